"""A kubeconfig for the simulated cluster, for kubectl and `kubernetes.config.load_kube_config`."""

import os
from pathlib import Path

import yaml

CONTEXT = "simcluster"
TOKEN = "simcluster-token-not-a-secret"  # the simulated API accepts any credentials


def kubeconfig(server: str, namespace: str = "default") -> dict:
    """One cluster, one user (a dummy bearer token), one context named `simcluster`."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        # Plain HTTP on loopback; the flag keeps clients from insisting on a CA if the URL
        # is ever switched to https.
        "clusters": [
            {"name": CONTEXT, "cluster": {"server": server, "insecure-skip-tls-verify": True}}
        ],
        "users": [{"name": CONTEXT, "user": {"token": TOKEN}}],
        "contexts": [
            {
                "name": CONTEXT,
                "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": namespace},
            }
        ],
        "current-context": CONTEXT,
    }


def write_kubeconfig(path: str | os.PathLike[str], server: str) -> Path:
    """Write the kubeconfig (mode 0600, as kubectl expects) and return its path."""
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(kubeconfig(server), sort_keys=False)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return target
