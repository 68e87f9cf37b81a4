"""Validate Prometheus Operator objects offline against their CRDs' OpenAPI schemas.

tests/deploy/schemas/ holds only the `openAPIV3Schema` of each CRD version we render (its
`$comment` names the release and file it was taken from). The API server prunes fields a CRD
does not know, silently; `kubectl apply --validate=strict` refuses them. This checks the strict
way: every object schema that lists its properties and neither allows others nor preserves
unknown fields gets `additionalProperties: false`. The CEL rules (`x-kubernetes-validations`)
are not evaluated.
"""

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema

SCHEMAS = Path(__file__).resolve().parent / "schemas"
KINDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
}


def is_custom(obj: dict[str, Any]) -> bool:
    return (obj["apiVersion"], obj["kind"]) in KINDS


def _strict(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _strict(value) for key, value in node.items()}
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


@functools.cache
def _validator(kind: str) -> jsonschema.Draft7Validator:
    schema = json.loads((SCHEMAS / f"{kind.lower()}-v1.json").read_text())
    return jsonschema.Draft7Validator(_strict(schema))


def errors(obj: dict[str, Any]) -> list[str]:
    """What is wrong with the object (empty when it is valid), each with the path to it."""
    assert is_custom(obj), f"no stored schema for {obj['apiVersion']} {obj['kind']}"
    found = [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
        for e in _validator(obj["kind"]).iter_errors(obj)
    ]
    # The schemas leave metadata open (`type: object`): the fields every object needs.
    meta = obj.get("metadata", {})
    if not isinstance(meta.get("name"), str) or not meta["name"]:
        found.append("metadata/name: missing")
    for key in ("labels", "annotations"):
        if not all(isinstance(v, str) for v in meta.get(key, {}).values()):
            found.append(f"metadata/{key}: values must be strings")
    return found
