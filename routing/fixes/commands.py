"""The commands a fix prints, each built from an argv list and quoted for a POSIX shell
(routing.engine.shell): names come from the cluster and must stay single arguments."""

from typing import Any

import orjson

from routing.engine.model import SERVICE_NAME_LABEL, ZONE_LABEL
from routing.engine.shell import command_line, kubectl_patch_service


def label_node(node: str, zone: str) -> str:
    return command_line(["kubectl", "label", "node", node, f"{ZONE_LABEL}={zone}"])


def describe_pod(namespace: str, pod: str) -> str:
    return command_line(["kubectl", "-n", namespace, "describe", "pod", pod])


def get_slices(namespace: str, service: str) -> str:
    selector = f"{SERVICE_NAME_LABEL}={service}"
    return command_line(
        ["kubectl", "-n", namespace, "get", "endpointslices", "-l", selector, "-o", "yaml"]
    )


def patch_service(namespace: str, name: str, patch: dict[str, Any]) -> str:
    return kubectl_patch_service(namespace, name, orjson.dumps(patch).decode())


def remove_slice_hints(namespace: str, slice_name: str, indices: list[int]) -> str:
    """A JSON patch removing the hints of the slice's endpoints at `indices`."""
    patch = [{"op": "remove", "path": f"/endpoints/{i}/hints"} for i in indices]
    return command_line(
        [
            "kubectl",
            "-n",
            namespace,
            "patch",
            "endpointslice",
            slice_name,
            "--type",
            "json",
            "-p",
            orjson.dumps(patch).decode(),
        ]
    )
