"""`/openapi/v2`: the same schemas as Swagger 2.0, in the protobuf encoding kubectl asks for.

kubectl up to 1.28 reads this one document for `explain` (1.29 and later read OpenAPI v3), and
client-go only decodes it as protobuf (gnostic's openapi_v2.Document). The v3 schemas are
rewritten the 2.0 way (references into #/definitions, standing alone) and encoded by hand:
only the Document, Info, Definitions and Schema fields a schema here uses are written.
"""

import functools
from typing import Any

import orjson

from . import kinds
from .openapi import closure, kind_schemas
from .openapi_core import Schema

# What the API server answers with: clients ask with "@v1.0", which no MIME parser accepts back.
PROTOBUF_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"


def _as_v2(schema: Schema) -> Schema:
    if "allOf" in schema:  # v3's {allOf: [{$ref}], description}: 2.0 puts the $ref beside it
        target = schema["allOf"][0]["$ref"].rsplit("/", 1)[1]
        out: Schema = {"$ref": f"#/definitions/{target}"}
        if "description" in schema:
            out["description"] = schema["description"]
        return out
    out = {k: v for k, v in schema.items() if k not in ("properties", "items", "default")}
    if "properties" in schema:
        out["properties"] = {name: _as_v2(s) for name, s in schema["properties"].items()}
    if "items" in schema:
        out["items"] = _as_v2(schema["items"])
    if isinstance(schema.get("additionalProperties"), dict):
        out["additionalProperties"] = _as_v2(schema["additionalProperties"])
    return out


def definitions() -> dict[str, Schema]:
    """Every served kind's schemas and those they refer to, the 2.0 way."""
    schemas: dict[str, Schema] = {}
    for kind in kinds.SERVED:
        schemas |= kind_schemas(kind)
    return {name: _as_v2(schema) for name, schema in closure(schemas).items()}


# -- protobuf -----------------------------------------------------------------------------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes | str) -> bytes:
    """A length-delimited field: a string or an embedded message."""
    data = payload.encode() if isinstance(payload, str) else payload
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _any(value: Any) -> bytes:
    """gnostic's Any: the value as YAML text (field 2); JSON is YAML."""
    return _field(2, orjson.dumps(value))


def _schema(s: Schema) -> bytes:
    # Field numbers of openapi.v2.Schema (gnostic's OpenAPIv2.proto).
    out = [
        _field(1, s["$ref"]) if "$ref" in s else b"",
        _field(2, s["format"]) if "format" in s else b"",
        _field(4, s["description"]) if "description" in s else b"",
        *(_field(19, name) for name in s.get("required", ())),
        *(_field(20, _any(value)) for value in s.get("enum", ())),
    ]
    if isinstance(s.get("additionalProperties"), dict):
        out.append(_field(21, _field(1, _schema(s["additionalProperties"]))))
    if "type" in s:
        out.append(_field(22, _field(1, s["type"])))
    if "items" in s:
        out.append(_field(23, _field(1, _schema(s["items"]))))
    if "properties" in s:
        properties = s["properties"].items()
        named = (_field(1, _field(1, k) + _field(2, _schema(v))) for k, v in properties)
        out.append(_field(25, b"".join(named)))
    for key, value in s.items():
        if key.startswith("x-"):
            out.append(_field(31, _field(1, key) + _field(2, _any(value))))
    return b"".join(out)


@functools.cache
def document(protobuf: bool) -> bytes:
    defs = definitions()
    version = kinds.SERVER_VERSION["gitVersion"]
    if not protobuf:
        info = {"title": "Kubernetes", "version": version}
        return orjson.dumps({"swagger": "2.0", "info": info, "paths": {}, "definitions": defs})
    named = b"".join(_field(1, _field(1, n) + _field(2, _schema(s))) for n, s in defs.items())
    return b"".join(
        (
            _field(1, "2.0"),
            _field(2, _field(1, "Kubernetes") + _field(2, version)),
            _field(9, named),
        )
    )
