"""Optional RBAC for the simulated API: bearer tokens bound to ClusterRole rules.

Off by default (the simulated cluster then accepts any credentials and allows every read). Once
`SimCluster.enforce_cluster_role` has bound a token, resource requests need a bound token: an
unknown or missing one is 401, and a request no rule of its role allows is 403 with the API
server's wording, so that a test can give the watcher exactly a rendered ClusterRole's rights.
Discovery, version, health and OpenAPI paths stay open to any bound token, as the default
`system:discovery` and `system:public-info-viewer` roles leave them in a real cluster.
"""

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import HttpError

VERB_BY_METHOD = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
TRUE = ("1", "true")


@dataclass(frozen=True, slots=True)
class Subject:
    user: str  # e.g. system:serviceaccount:trafficlens:trafficlens-watcher
    rules: tuple[Mapping[str, Any], ...]  # a ClusterRole's `rules`, as in its manifest


def request_verb(method: str, name: str | None, query: Mapping[str, str]) -> str:
    """The RBAC verb of a request, as the API server derives it."""
    if method in ("GET", "HEAD"):
        if name is not None:
            return "get"
        return "watch" if query.get("watch", "").lower() in TRUE else "list"
    if method == "DELETE" and name is None:
        return "deletecollection"
    return VERB_BY_METHOD.get(method, method.lower())


def allows(rule: Mapping[str, Any], verb: str, group: str, plural: str, name: str | None) -> bool:
    """Whether one PolicyRule grants the request (cluster-wide: a ClusterRoleBinding)."""

    def has(field: str, value: str) -> bool:
        values = rule.get(field) or ()
        return value in values or "*" in values

    if not (has("verbs", verb) and has("apiGroups", group) and has("resources", plural)):
        return False
    names = rule.get("resourceNames") or ()
    return not names or (name is not None and name in names)


class Authorizer:
    """Tokens and the rules bound to them; checked by the server on every resource request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subjects: dict[str, Subject] = {}

    def bind(self, token: str, user: str, rules: Sequence[Mapping[str, Any]]) -> None:
        with self._lock:
            self._subjects[token] = Subject(user, tuple(rules))

    def authenticate(self, authorization: str | None) -> Subject:
        scheme, _, token = (authorization or "").partition(" ")
        with self._lock:
            subject = self._subjects.get(token.strip()) if scheme.lower() == "bearer" else None
        if subject is None:
            raise HttpError(401, "Unauthorized", "Unauthorized")
        return subject

    def authorize(
        self,
        subject: Subject,
        verb: str,
        group: str,
        plural: str,
        name: str | None,
        namespace: str | None,
    ) -> None:
        if any(allows(rule, verb, group, plural, name) for rule in subject.rules):
            return
        shown = f"{plural}.{group}" if group else plural
        named = f' "{name}"' if name else ""
        scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
        message = (
            f'{shown}{named} is forbidden: User "{subject.user}" cannot {verb} resource '
            f'"{plural}" in API group "{group}" {scope}'
        )
        raise HttpError(403, "Forbidden", message, {"kind": plural, "group": group})
