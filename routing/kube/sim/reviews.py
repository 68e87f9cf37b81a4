"""`kubectl auth can-i`: SelfSubjectAccessReview and SelfSubjectRulesReview (authorization/v1).

The simulated cluster is read-only for everyone: get, list and watch are allowed on every
resource and `get` on every non-resource URL; anything else (a write, a subresource such as
pods/exec, or the wildcard verb, which includes writes) is denied, with a reason kubectl prints.

Recent kubectl sends the review as protobuf (and accepts JSON back), so the few fields a review
has are read from either encoding.
"""

from typing import Any

import orjson

from . import kinds
from .errors import HttpError

ALLOWED_VERBS = kinds.READ_VERBS
READ_ONLY = "the simulated cluster is read-only"


PROTOBUF_MAGIC = b"k8s\x00"  # the envelope of the API's protobuf encoding
# Field numbers of the review messages (k8s.io/api/authorization/v1/generated.proto).
RESOURCE_FIELDS = ("namespace", "verb", "group", "version", "resource", "subresource", "name")
NON_RESOURCE_FIELDS = ("path", "verb")


def _fields(data: bytes) -> dict[int, list[bytes | int]]:
    """A protobuf message's fields by number: varints as ints, length-delimited as bytes."""
    out: dict[int, list[bytes | int]] = {}
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
            out.setdefault(number, []).append(value)
        elif wire == 2:
            size, i = _varint(data, i)
            out.setdefault(number, []).append(data[i : i + size])
            i += size
        elif wire in (1, 5):  # fixed 64 and 32 bits: no review field has them; skipped
            i += 8 if wire == 1 else 4
        else:
            raise ValueError(f"unexpected protobuf wire type {wire}")
    return out


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if i >= len(data):
            raise ValueError("truncated protobuf varint")
        byte = data[i]
        value |= (byte & 0x7F) << shift
        i, shift = i + 1, shift + 7
        if not byte & 0x80:
            return value, i


def _strings(message: bytes, names: tuple[str, ...]) -> dict[str, str]:
    fields = _fields(message)
    out = {}
    for number, name in enumerate(names, start=1):
        value = fields.get(number, [b""])[-1]
        if isinstance(value, bytes) and value:
            out[name] = value.decode()
    return out


def _message(fields: dict[int, list[bytes | int]], number: int) -> bytes:
    value = fields.get(number, [b""])[-1]
    return value if isinstance(value, bytes) else b""


def _from_protobuf(body: bytes, kind: kinds.Kind) -> dict[str, Any]:
    envelope = _fields(body[len(PROTOBUF_MAGIC) :])  # runtime.Unknown: raw is field 2
    spec = _message(_fields(_message(envelope, 2)), 2)  # the review's spec is field 2
    if kind is kinds.RULES_REVIEWS:
        return {"kind": kind.kind, "spec": _strings(spec, ("namespace",))}
    fields, attributes = _fields(spec), {}
    if 1 in fields:
        attributes["resourceAttributes"] = _strings(_message(fields, 1), RESOURCE_FIELDS)
    if 2 in fields:
        attributes["nonResourceAttributes"] = _strings(_message(fields, 2), NON_RESOURCE_FIELDS)
    return {"kind": kind.kind, "spec": attributes}


def _spec(body: bytes, kind: kinds.Kind) -> dict[str, Any]:
    try:
        if body.startswith(PROTOBUF_MAGIC):
            review = _from_protobuf(body, kind)
        else:
            review = orjson.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:  # orjson's error is a ValueError too
        raise HttpError(400, "BadRequest", f"the request body cannot be decoded: {exc}") from None
    if not isinstance(review, dict) or review.get("kind", kind.kind) != kind.kind:
        raise HttpError(400, "BadRequest", f"the request body is not a {kind.kind}")
    spec = review.get("spec")
    if not isinstance(spec, dict):
        raise _invalid(kind, "spec", "Required value")
    return spec


def _invalid(kind: kinds.Kind, field: str, message: str) -> HttpError:
    cause = {"reason": "FieldValueInvalid", "message": message, "field": field}
    details = {"group": kind.group, "kind": kind.kind, "causes": [cause]}
    text = f'{kind.kind}.{kind.group} "" is invalid: {field}: {message}'
    return HttpError(422, "Invalid", text, details)


def access_decision(spec: dict[str, Any]) -> tuple[bool, str]:
    resource, non_resource = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if isinstance(resource, dict):
        verb = resource.get("verb", "")
        allowed = verb in ALLOWED_VERBS and not resource.get("subresource")
    else:
        allowed = (non_resource or {}).get("verb") == "get"
    return allowed, "" if allowed else READ_ONLY


def review(kind: kinds.Kind, body: bytes) -> dict[str, Any]:
    """The answered review (201 Created): the request's spec with its status filled in."""
    spec = _spec(body, kind)
    if kind is kinds.ACCESS_REVIEWS:
        attributes = [a for a in ("resourceAttributes", "nonResourceAttributes") if spec.get(a)]
        if len(attributes) != 1:
            message = "exactly one of nonResourceAttributes or resourceAttributes must be specified"
            raise _invalid(kind, "spec.resourceAttributes", message)
        allowed, reason = access_decision(spec)
        result: dict[str, Any] = {"allowed": allowed}
        if reason:
            result["reason"] = reason
    else:
        result = {
            "resourceRules": [
                {"verbs": list(ALLOWED_VERBS), "apiGroups": ["*"], "resources": ["*"]}
            ],
            "nonResourceRules": [{"verbs": ["get"], "nonResourceURLs": ["*"]}],
            "incomplete": False,
        }
    return {
        "kind": kind.kind,
        "apiVersion": kind.api_version,
        "metadata": {"creationTimestamp": None},
        "spec": spec,
        "status": result,
    }
