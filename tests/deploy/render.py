"""Render deploy/kubernetes with the venv's kubectl (its built-in kustomize), once per variant."""

import functools
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
KUBECTL = Path(sys.executable).parent / "kubectl"
OVERLAYS = ("single", "production")
# Every variant a user can render: each overlay, and production with the extra-clusters component.
VARIANTS = (*OVERLAYS, "production+extra-clusters")
# With components/monitoring, whose ServiceMonitor and PrometheusRule are not core Kubernetes
# objects (tests/deploy/test_monitoring_manifests.py validates them against their CRDs).
MONITORED_VARIANTS = ("single+monitoring", "production+extra-clusters+monitoring")
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job")


@functools.cache
def render(variant: str) -> tuple[dict[str, Any], ...]:
    overlay, *components = variant.split("+")
    target = KUBERNETES / "overlays" / overlay
    with tempfile.TemporaryDirectory() as tmp:
        args = [str(KUBECTL), "kustomize"]
        if components:  # an overlay of the overlay, as a user would write it
            (Path(tmp) / "kustomization.yaml").write_text(
                yaml.safe_dump(
                    {
                        "apiVersion": "kustomize.config.k8s.io/v1beta1",
                        "kind": "Kustomization",
                        # kustomize takes no absolute paths to other kustomizations
                        "resources": [os.path.relpath(target, tmp)],
                        "components": [
                            os.path.relpath(KUBERNETES / "components" / component, tmp)
                            for component in components
                        ],
                    }
                )
            )
            target = Path(tmp)
            args.append("--load-restrictor=LoadRestrictionsNone")
        out = subprocess.run([*args, str(target)], check=True, capture_output=True, text=True)
    return tuple(doc for doc in yaml.safe_load_all(out.stdout) if doc)


def of_kind(objects: tuple[dict[str, Any], ...], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def named(objects: tuple[dict[str, Any], ...], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in of_kind(objects, kind) if o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def pod_templates(objects: tuple[dict[str, Any], ...]) -> list[tuple[str, dict[str, Any]]]:
    """(workload name, pod spec) of every workload."""
    return [
        (o["metadata"]["name"], o["spec"]["template"]["spec"])
        for o in objects
        if o["kind"] in WORKLOAD_KINDS
    ]
