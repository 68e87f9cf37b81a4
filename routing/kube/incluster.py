"""The cluster a Pod runs in: is there one, and the client settings of its service account.

Kubernetes gives every Pod the API server's address (KUBERNETES_SERVICE_HOST/PORT) and, unless
`automountServiceAccountToken: false`, its service account's token and CA at TOKEN_PATH and
CA_PATH. They are read from there on every connection (the token rotates), never copied.
"""

import os
from collections.abc import Mapping
from pathlib import Path

from kubernetes import client
from kubernetes.config.incluster_config import InClusterConfigLoader

ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
TOKEN_PATH = ACCOUNT_DIR / "token"
CA_PATH = ACCOUNT_DIR / "ca.crt"


def in_pod(environ: Mapping[str, str] = os.environ) -> bool:
    """True in a Pod whose service-account token is mounted (the watcher's; the other
    components run without one, so for them this is False)."""
    return bool(environ.get("KUBERNETES_SERVICE_HOST")) and TOKEN_PATH.is_file()


def configuration() -> client.Configuration:
    """Client settings from the mounted service account (raises ConfigException without one).

    The paths are read when called, so tests can point them at a fake account."""
    settings = client.Configuration()
    loader = InClusterConfigLoader(
        token_filename=str(TOKEN_PATH), cert_filename=str(CA_PATH), environ=os.environ
    )
    loader.load_and_set(settings)
    return settings
