"""A fake Pod environment for in-cluster tests: a simulated API server on https, its CA, and a
service-account token file where routing.kube.incluster looks, all under tmp_path."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from routing.kube import incluster
from routing.kube.sim import SimCluster


def self_signed_certificate(directory: Path) -> tuple[str, str]:
    """(certificate, key) files for 127.0.0.1, made with the openssl command."""
    cert, key = directory / "tls.crt", directory / "tls.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


def start_https_sim(directory: Path) -> SimCluster:
    """The demo cluster, still (no churn), on https with a certificate from `directory`."""
    return SimCluster("demo", seed=2, churn=0, bookmark_interval=0.2).start(
        tls=self_signed_certificate(directory)
    )


def enter_pod(
    monkeypatch: pytest.MonkeyPatch, directory: Path, sim: SimCluster, token: str
) -> None:
    """Make this process look like a Pod of `sim`'s cluster with `token` mounted."""
    account = directory / "serviceaccount"
    account.mkdir(exist_ok=True)
    (account / "token").write_text(token)
    # Self-signed: the server's own certificate is the CA that signed it.
    (account / "ca.crt").write_text((directory / "tls.crt").read_text())
    monkeypatch.setattr(incluster, "TOKEN_PATH", account / "token")
    monkeypatch.setattr(incluster, "CA_PATH", account / "ca.crt")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(sim.port))


def running_pod(
    directory: Path, monkeypatch: pytest.MonkeyPatch, token: str
) -> Iterator[SimCluster]:
    """A fixture's body: this process as a Pod of a fresh https simulated cluster, stopped after."""
    sim = start_https_sim(directory)
    enter_pod(monkeypatch, directory, sim, token)
    yield sim
    sim.stop()
