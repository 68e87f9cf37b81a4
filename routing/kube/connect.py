"""Build a `kubernetes` ApiClient for a cluster from a kubeconfig context or the in-cluster account.

Credentials never pass through the database: a Cluster row only names a context (or says
"in-cluster"); the kubeconfig file and service-account token stay where Kubernetes put them.
"""

from kubernetes import client, config

from . import incluster


class ConnectError(Exception):
    """The cluster's connection settings cannot be used (no such context, no service account)."""


def api_client(source: str, context: str = "", kubeconfig: str | None = None) -> client.ApiClient:
    """An ApiClient for `source` ("kubeconfig", "simulated" or "incluster")."""
    try:
        if source == "incluster":
            return client.ApiClient(incluster.configuration())
        return config.new_client_from_config(config_file=kubeconfig, context=context or None)
    except (config.ConfigException, FileNotFoundError, OSError, KeyError, ValueError) as exc:
        where = (
            "the in-cluster service account"
            if source == "incluster"
            else (f"kubeconfig {kubeconfig or '(default)'} context {context or '(current)'}")
        )
        raise ConnectError(f"cannot use {where}: {exc}") from None
