"""OpenAPI v3 for the served kinds: `/openapi/v3` (the index) and one document per group version.

`kubectl explain` reads these: it finds a resource's kind through the `get` operation of its path
(`x-kubernetes-group-version-kind`), then the schema carrying the same group-version-kind, and
follows `$ref`s from there. Each document holds its kinds, their list kinds and every schema
they refer to, as the API server publishes them.
"""

import functools
import hashlib
from typing import Any

import orjson

from . import kinds
from .kinds import Kind
from .openapi_core import (
    AUTHZ,
    CORE,
    DISCOVERY,
    EVENTS,
    META,
    SCHEMAS,
    Schema,
    integer,
    ref,
    refs,
    string,
    struct,
    time,
)
from .openapi_groups import GROUP_SCHEMAS

ALL_SCHEMAS = SCHEMAS | GROUP_SCHEMAS
PREFIX = {"": CORE, "apps": "io.k8s.api.apps.v1.", "discovery.k8s.io": DISCOVERY}
PREFIX |= {"events.k8s.io": EVENTS, "authorization.k8s.io": AUTHZ}
API_VERSION = string("The versioned schema of this representation of an object.")
KIND = string("The REST resource this object represents, in CamelCase.")


def _spec_status(kind: Kind, what: str) -> dict[str, Schema]:
    prefix = PREFIX[kind.group] + kind.kind
    return {
        "spec": ref(prefix + "Spec", f"The desired state of the {what}."),
        "status": ref(prefix + "Status", f"The observed state of the {what}."),
    }


def _event_fields(core: bool) -> dict[str, Schema]:
    reference = ref(CORE + "ObjectReference", "The object the event is about.")
    if core:
        return {
            "involvedObject": reference,
            "reason": string("Why it happened, in one CamelCase word."),
            "message": string("What happened, for people."),
            "source": ref(CORE + "EventSource", "The component that reported it."),
            "firstTimestamp": time("When it was first seen."),
            "lastTimestamp": time("When it was last seen."),
            "count": integer("How often it was seen."),
            "type": string("Normal or Warning."),
            "eventTime": ref(META + "MicroTime", "When it first happened (new API)."),
            "series": ref(CORE + "EventSeries", "Its repetitions (new API)."),
            "reportingComponent": string("The controller that reported it."),
            "reportingInstance": string("The instance of that controller."),
        }
    return {
        "eventTime": ref(META + "MicroTime", "When it first happened."),
        "series": ref(EVENTS + "EventSeries", "Its repetitions."),
        "reportingController": string("The controller that reported it."),
        "reportingInstance": string("The instance of that controller."),
        "reason": string("Why it happened, in one CamelCase word."),
        "regarding": reference,
        "note": string("What happened, for people."),
        "type": string("Normal or Warning."),
        "deprecatedSource": ref(CORE + "EventSource", "The reporter, as the core API named it."),
        "deprecatedFirstTimestamp": time("When it was first seen (core API)."),
        "deprecatedLastTimestamp": time("When it was last seen (core API)."),
        "deprecatedCount": integer("How often it was seen (core API)."),
    }


# kind -> (description, its own fields besides apiVersion, kind and metadata, required ones)
KIND_FIELDS: dict[Kind, tuple[str, dict[str, Schema], tuple[str, ...]]] = {
    kinds.NODES: ("A machine that runs Pods.", _spec_status(kinds.NODES, "node"), ()),
    kinds.SERVICES: (
        "A stable address for a set of Pods, and how traffic reaches them.",
        _spec_status(kinds.SERVICES, "Service"),
        (),
    ),
    kinds.PODS: ("A group of containers on one node.", _spec_status(kinds.PODS, "Pod"), ()),
    kinds.NAMESPACES: (
        "A scope for names.",
        _spec_status(kinds.NAMESPACES, "namespace"),
        (),
    ),
    kinds.EVENTS: ("A report of something that happened to an object.", _event_fields(True), ()),
    kinds.EVENTS_V1: (
        "A report of something that happened to an object.",
        _event_fields(False),
        ("eventTime",),
    ),
    kinds.ENDPOINTS: (
        "The addresses of a Service's Pods (deprecated since 1.33: use EndpointSlices).",
        {"subsets": refs(CORE + "EndpointSubset", "The addresses, grouped by their ports.")},
        (),
    ),
    kinds.ENDPOINT_SLICES: (
        "A subset of a Service's endpoints, with the hints kube-proxy routes by.",
        {
            "addressType": string("The type of the addresses.", ("FQDN", "IPv4", "IPv6")),
            "endpoints": refs(DISCOVERY + "Endpoint", "The endpoints, at most 1000."),
            "ports": refs(DISCOVERY + "EndpointPort", "The ports every endpoint serves."),
        },
        ("addressType", "endpoints"),
    ),
    kinds.REPLICA_SETS: (
        "A set of identical Pods: one revision of a Deployment.",
        _spec_status(kinds.REPLICA_SETS, "ReplicaSet"),
        (),
    ),
    kinds.DEPLOYMENTS: (
        "Pods kept running and updated by rolling out ReplicaSets.",
        _spec_status(kinds.DEPLOYMENTS, "Deployment"),
        (),
    ),
    kinds.STATEFUL_SETS: (
        "Pods with stable names, each with its own storage.",
        _spec_status(kinds.STATEFUL_SETS, "StatefulSet"),
        (),
    ),
    kinds.DAEMON_SETS: (
        "One Pod on each eligible node.",
        _spec_status(kinds.DAEMON_SETS, "DaemonSet"),
        (),
    ),
    kinds.ACCESS_REVIEWS: (
        "Asks whether the current user may perform an action.",
        {
            "spec": ref(AUTHZ + "SelfSubjectAccessReviewSpec", "The action to check."),
            "status": ref(AUTHZ + "SubjectAccessReviewStatus", "The server's decision."),
        },
        ("spec",),
    ),
    kinds.RULES_REVIEWS: (
        "Lists what the current user may do in a namespace.",
        {
            "spec": ref(AUTHZ + "SelfSubjectRulesReviewSpec", "The namespace to ask about."),
            "status": ref(AUTHZ + "SubjectRulesReviewStatus", "The rules."),
        },
        ("spec",),
    ),
}


def _gvk(kind: Kind, name: str = "") -> dict[str, str]:
    return {"group": kind.group, "kind": name or kind.kind, "version": kind.version}


def kind_schemas(kind: Kind) -> dict[str, Schema]:
    """The kind's schema and its list's."""
    description, fields, required = KIND_FIELDS[kind]
    name = PREFIX[kind.group] + kind.kind
    meta = ref(META + "ObjectMeta", "Standard object metadata.")
    top = struct(description, required, apiVersion=API_VERSION, kind=KIND, metadata=meta, **fields)
    top["x-kubernetes-group-version-kind"] = [_gvk(kind)]
    if kind in kinds.REVIEWS:
        return {name: top}
    listed = struct(
        f"A list of {kind.kind} objects.",
        ("items",),
        apiVersion=API_VERSION,
        items=refs(name, "The objects."),
        kind=KIND,
        metadata=ref(META + "ListMeta", "Standard list metadata."),
    )
    listed["x-kubernetes-group-version-kind"] = [_gvk(kind, kind.list_kind)]
    return {name: top, name + "List": listed}


def _operation(kind: Kind, action: str, schema: str) -> dict[str, Any]:
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    group = "".join(p.capitalize() for p in (kind.group or "core").split(".")[:1])
    verb = {"list": "list", "get": "read", "post": "create"}[action]
    what = f"{kind.kind} objects" if action == "list" else f"a {kind.kind}"
    return {
        "description": f"{verb} {what}",
        "operationId": f"{verb}{group}{kind.version.capitalize()}{kind.kind}",
        "responses": {"200": {"description": "OK", "content": content}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": _gvk(kind),
    }


def _paths(kind: Kind) -> dict[str, Any]:
    base = f"/apis/{kind.group}/{kind.version}" if kind.group else f"/api/{kind.version}"
    name = PREFIX[kind.group] + kind.kind
    if kind in kinds.REVIEWS:
        return {f"{base}/{kind.plural}": {"post": _operation(kind, "post", name)}}
    scoped = f"{base}/namespaces/{{namespace}}/{kind.plural}" if kind.namespaced else None
    listing = {"get": _operation(kind, "list", name + "List")}
    paths = {f"{base}/{kind.plural}": listing}
    one = {"get": _operation(kind, "get", name)}
    if scoped:
        paths[scoped] = listing
        paths[scoped + "/{name}"] = one
    else:
        paths[f"{base}/{kind.plural}/{{name}}"] = one
    return paths


def closure(schemas: dict[str, Schema]) -> dict[str, Schema]:
    """The schemas and every schema they refer to, transitively."""
    out = dict(schemas)
    todo = list(schemas.values())
    while todo:
        for target in _refs(todo.pop()):
            if target not in out:
                out[target] = ALL_SCHEMAS[target]
                todo.append(out[target])
    return dict(sorted(out.items()))


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"].rsplit("/", 1)[1]] if "$ref" in node else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def _group_versions() -> dict[str, list[Kind]]:
    out: dict[str, list[Kind]] = {}
    for kind in kinds.SERVED:
        key = f"apis/{kind.group}/{kind.version}" if kind.group else f"api/{kind.version}"
        out.setdefault(key, []).append(kind)
    return out


@functools.cache
def _documents() -> dict[str, bytes]:
    docs = {}
    for key, served in _group_versions().items():
        schemas: dict[str, Schema] = {}
        paths: dict[str, Any] = {}
        for kind in served:
            schemas |= kind_schemas(kind)
            paths |= _paths(kind)
        doc = {
            "openapi": "3.0.0",
            "info": {"title": "Kubernetes", "version": kinds.SERVER_VERSION["gitVersion"]},
            "paths": paths,
            "components": {"schemas": closure(schemas)},
        }
        docs[key] = orjson.dumps(doc)
    return docs


def index() -> dict[str, Any]:
    paths = {}
    for key, doc in sorted(_documents().items()):
        digest = hashlib.sha512(doc).hexdigest().upper()
        paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
    return {"paths": paths}


def document(path: str) -> bytes | None:
    """`/openapi/v3` or one group version's document (`/openapi/v3/apis/apps/v1`), as JSON;
    None if there is no such document. The `hash` in the query only busts caches: any is
    accepted."""
    if path == "/openapi/v3":
        return orjson.dumps(index())
    return _documents().get(path.removeprefix("/openapi/v3/"))
