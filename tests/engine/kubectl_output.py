"""Dumps written byte for byte as kubectl and the shells people run it in write them."""

import codecs
import json
from pathlib import Path
from typing import Any

import yaml

from tests.factories import DEMO_DUMP

# What `> file` in Windows PowerShell 5.1 does to kubectl's UTF-8 output, and its relatives.
ENCODINGS = {
    "utf-8 with BOM": (codecs.BOM_UTF8, "utf-8"),
    "utf-16 LE with BOM": (codecs.BOM_UTF16_LE, "utf-16-le"),
    "utf-16 BE with BOM": (codecs.BOM_UTF16_BE, "utf-16-be"),
    "utf-32 LE with BOM": (codecs.BOM_UTF32_LE, "utf-32-le"),
    "utf-32 BE with BOM": (codecs.BOM_UTF32_BE, "utf-32-be"),
}
# The kinds `kubectl cluster-info dump` writes per namespace, and their file names
# (kubernetes/kubectl pkg/cmd/clusterinfo/clusterinfo_dump.go). No EndpointSlices.
CLUSTER_INFO_FILES = {
    "Event": "events",
    "ReplicationController": "replication-controllers",
    "Service": "services",
    "DaemonSet": "daemonsets",
    "Deployment": "deployments",
    "ReplicaSet": "replicasets",
    "Pod": "pods",
}


def demo_objects() -> list[dict[str, Any]]:
    return json.loads(DEMO_DUMP.read_text())["items"]


def as_json(doc: Any) -> str:
    """kubectl's -o json: four-space indents and a final newline."""
    return json.dumps(doc, indent=4) + "\n"


def as_yaml_stream(docs: list[Any]) -> str:
    """kubectl's -o yaml for several objects (e.g. --watch): documents split by ---."""
    return "---\n".join(yaml.safe_dump(d, sort_keys=True) for d in docs)


def encoded(text: str, encoding: str) -> bytes:
    mark, codec = ENCODINGS[encoding]
    return mark + text.encode(codec)


def typed_list(kind: str, objects: list[dict[str, Any]]) -> dict[str, Any]:
    """A list as a typed client reads it (cluster-info dump): the items carry no kind."""
    items = [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in objects]
    return {
        "apiVersion": "v1",
        "items": items,
        "kind": f"{kind}List",
        "metadata": {"resourceVersion": "48213"},
    }


def watch_event(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "object": obj}


def logs_block(namespace: str, pod: str) -> str:
    """What cluster-info dump prints to standard output after a namespace's Pods."""
    return (
        f"==== START logs for container app of pod {namespace}/{pod} ====\n"
        '{"level": "info", "msg": "listening on :8080"}\n'
        "plain text line, ] } with brackets\n"
        f"==== END logs for container app of pod {namespace}/{pod} ====\n"
    )


def write_cluster_info_dump(root: Path, objects: list[dict[str, Any]], suffix: str = ".json"):
    """The tree `kubectl cluster-info dump --output-directory=root` writes for these objects:
    nodes.json, NS/{kind}.json for every namespace (empty lists too) and NS/POD/logs.txt."""
    dump = as_json if suffix == ".json" else lambda doc: yaml.safe_dump(doc)
    root.mkdir(parents=True, exist_ok=True)
    nodes = [o for o in objects if o["kind"] == "Node"]
    (root / f"nodes{suffix}").write_text(dump(typed_list("Node", nodes)))
    namespaces = {o["metadata"].get("namespace") for o in objects} - {None}
    for namespace in sorted(namespaces | {"kube-system"}):
        (root / namespace).mkdir()
        here = [o for o in objects if o["metadata"].get("namespace") == namespace]
        for kind, name in CLUSTER_INFO_FILES.items():
            of_kind = [o for o in here if o["kind"] == kind]
            (root / namespace / f"{name}{suffix}").write_text(dump(typed_list(kind, of_kind)))
        for pod in (o for o in here if o["kind"] == "Pod"):
            (root / namespace / pod["metadata"]["name"]).mkdir()
            logs = logs_block(namespace, pod["metadata"]["name"])
            (root / namespace / pod["metadata"]["name"] / "logs.txt").write_text(logs)
