"""A test helper that does what a fix tells people to do, the way they would: run its
commands against the dump (a JSON merge patch for `kubectl patch`, a label for `kubectl label`),
let the EndpointSlice controller catch up (hints rewritten), and analyse the result afresh.

Commands that only inspect (`describe`, `get`) change nothing; a fix whose change is not a
command on the dump's objects (more endpoints or endpoints moved, which `kubectl scale`, a
workload's spread patch or a restart make the controllers do; Pods made ready) is applied from its
what-if body or, for readiness,
by marking the named endpoints ready, as the kubelet would once the probe passes.
"""

import shlex
from dataclasses import replace
from typing import Any

import orjson

from routing.engine import Options, analyze_cluster, build_cluster
from routing.whatif import apply_changes, reconcile_hints

ZONE = "topology.kubernetes.io/zone"
WORKLOADS = ("deployment", "statefulset", "replicaset", "daemonset")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _run(objects: list[dict[str, Any]], command: str) -> None:
    argv = shlex.split(command)
    assert argv[0] == "kubectl", command
    namespace = argv[argv.index("-n") + 1] if "-n" in argv else "default"
    if argv[1] in ("scale", "rollout") or (
        "patch" in argv and argv[argv.index("patch") + 1].split("/")[0] in WORKLOADS
    ):
        return  # the workload's controllers make the Pods: the fix's what-if body stands for them
    if "patch" in argv and "endpointslice" in argv:
        _json_patch_slice(objects, namespace, argv[argv.index("endpointslice") + 1], argv)
    elif "patch" in argv:
        kind, name = argv[argv.index("patch") + 1 : argv.index("patch") + 3]
        assert kind == "service"
        patch = orjson.loads(argv[argv.index("-p") + 1])
        for i, obj in enumerate(objects):
            meta = obj.get("metadata") or {}
            if obj["kind"] == "Service" and (meta.get("namespace") or "default", meta["name"]) == (
                namespace,
                name,
            ):
                objects[i] = merge_patch(obj, patch)
    elif "label" in argv:
        node, label = argv[argv.index("node") + 1], argv[-1]
        key, value = label.split("=", 1)
        for obj in objects:
            if obj["kind"] == "Node" and obj["metadata"]["name"] == node:
                obj["metadata"].setdefault("labels", {})[key] = value
            if obj["kind"] == "EndpointSlice":  # the controller copies the zone it now sees
                for ep in obj.get("endpoints") or []:
                    if ep.get("nodeName") == node and key == ZONE:
                        ep["zone"] = value
    else:
        assert argv[-2:] in (["-o", "yaml"],) or "describe" in argv, command


def _json_patch_slice(objects: list[dict[str, Any]], namespace: str, name: str, argv) -> None:
    """The RFC 6902 `remove` operations on an EndpointSlice that remove-stale-hints prints."""
    assert argv[argv.index("--type") + 1] == "json"
    operations = orjson.loads(argv[argv.index("-p") + 1])
    for obj in objects:
        meta = obj.get("metadata") or {}
        if obj["kind"] != "EndpointSlice" or (meta.get("namespace"), meta["name"]) != (
            namespace,
            name,
        ):
            continue
        for op in operations:
            assert op["op"] == "remove", op
            _, field, index, key = op["path"].split("/")
            del obj[field][int(index)][key]  # a KeyError, as the API server's 422, if absent


def after_applying(
    items: list[dict[str, Any]],
    namespace: str,
    name: str,
    fix: dict[str, Any],
    options: Options | None = None,
) -> dict[str, float]:
    objects: list[dict[str, Any]] = orjson.loads(orjson.dumps(items))
    if fix["kind"] == "fix-readiness":
        for obj in objects:
            for ep in obj.get("endpoints") or [] if obj["kind"] == "EndpointSlice" else []:
                ep["conditions"] = {"ready": True, "serving": True, "terminating": False}
    for command in fix["commands"]:
        _run(objects, command)
    # More endpoints (add-endpoints, or a label that needs them too): after the commands, so
    # new endpoints land in the zones the labels now say.
    if fix["whatIf"] and "replicasPerZone" in fix["whatIf"]:
        wanted = {"replicasPerZone": fix["whatIf"]["replicasPerZone"]}
        objects = apply_changes(objects, namespace, name, wanted).objects
    reconcile_hints(objects, namespace, name)
    report = analyze_cluster(
        build_cluster([("items", i, o) for i, o in enumerate(objects)]),
        replace(options or Options(), services=frozenset({(namespace, name)})),
    )
    entry = report["services"][0]
    return {
        "crossZoneFraction": entry["flows"]["crossZoneFraction"],
        "dropped": entry["flows"]["dropped"],
        "maxOverload": entry["flows"]["maxOverload"],
        "costPerGb": entry["cost"]["costPerGb"],
    }
