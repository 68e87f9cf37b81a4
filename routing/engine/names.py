"""Kubernetes' rules for names and labels, applied to uploaded objects as the API server would.

A live API server never hands out an object that breaks these rules, so only uploaded dumps are
checked (routing.snapshots.intake). Rules and message wording follow k8s.io/apimachinery at
eed236c (July 2026): pkg/util/validation/validation.go (IsDNS1123Label, IsDNS1123Subdomain,
IsValidPortName),
pkg/api/validate/content/kube.go (IsLabelKey, IsLabelValue) and content/errors.go (the wording);
which rule each field follows is from k8s.io/kubernetes pkg/apis/core/validation (object names,
labels, annotations, Service ports, Pod spec.nodeName, a Pod template's nodeSelector),
pkg/apis/discovery/validation (EndpointSlice endpoints, hints and ports) and
pkg/apis/apps/validation (ReplicaSet, Deployment, StatefulSet and DaemonSet names: DNS
subdomains; their selectors' matchLabels and templates' labels: labels). Lengths count bytes,
as Go's len() does.
"""

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from .errors import InputError
from .loader import Items, label_of

Rule = Callable[[str], list[str]]
Problem = tuple[str, str, str]  # (field path, value, what is wrong)

_LABEL_MAX = 63
_SUBDOMAIN_MAX = 253
_PORT_NAME_MAX = 15
_DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_SUBDOMAIN = _DNS_LABEL + r"(\." + _DNS_LABEL + ")*"
_LABEL_NAME = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE = "(" + _LABEL_NAME + ")?"
_MATCH = {p: re.compile(p).fullmatch for p in (_DNS_LABEL, _DNS_SUBDOMAIN, _LABEL_NAME)}
_SHOWN_VALUE = 80  # characters of an offending value quoted in a message


def _too_long(limit: int) -> str:
    return f"must be no more than {limit} bytes"


def _regex_error(message: str, pattern: str, *examples: str) -> str:
    # The API server's wording to the space: "(e.g. 'my-name',  or '123-abc', regex used ...".
    shown = "".join(f"'{e}', " if i == 0 else f" or '{e}', " for i, e in enumerate(examples))
    return f"{message} (e.g. {shown}regex used for validation is '{pattern}')"


def _size(value: str) -> int:
    return len(value.encode("utf-8", "surrogatepass"))


def dns1123_label(value: str) -> list[str]:
    """Namespaces, Service names (see object_problems), port names, endpoint hostnames."""
    errors = [_too_long(_LABEL_MAX)] if _size(value) > _LABEL_MAX else []
    if not _MATCH[_DNS_LABEL](value):
        if _MATCH[_DNS_SUBDOMAIN](value):
            errors.append("must not contain dots")
        else:
            errors.append(
                _regex_error(
                    "a lowercase RFC 1123 label must consist of lower case alphanumeric "
                    "characters or '-', and must start and end with an alphanumeric character",
                    _DNS_LABEL,
                    "my-name",
                    "123-abc",
                )
            )
    return errors


def dns1123_subdomain(value: str) -> list[str]:
    """Node, EndpointSlice and Pod names, node names in endpoints, hints and Pod specs."""
    errors = [_too_long(_SUBDOMAIN_MAX)] if _size(value) > _SUBDOMAIN_MAX else []
    if not _MATCH[_DNS_SUBDOMAIN](value):
        errors.append(
            _regex_error(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                "characters, '-' or '.', and must start and end with an alphanumeric character",
                _DNS_SUBDOMAIN,
                "example.com",
            )
        )
    return errors


def _name_part_error() -> str:
    return _regex_error(
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
        "with an alphanumeric character",
        _LABEL_NAME,
        "MyName",
        "my.name",
        "123-abc",
    )


def label_key(value: str) -> list[str]:
    """Label keys (and annotation keys): an optional DNS subdomain prefix and "/", then a name."""
    parts = value.split("/")
    if len(parts) > 2:
        return [
            "a valid label key "
            + _name_part_error()
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    errors = []
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors += [f"prefix part {e}" for e in dns1123_subdomain(prefix)]
    name = parts[-1]
    if not name:
        errors.append("name part must be non-empty")
    elif _size(name) > _LABEL_MAX:
        errors.append(f"name part {_too_long(_LABEL_MAX)}")
    if not _MATCH[_LABEL_NAME](name):
        errors.append(f"name part {_name_part_error()}")
    return errors


def label_value(value: str) -> list[str]:
    """Label values (zones, regions, host names...), and zone names in endpoints and hints."""
    errors = [_too_long(_LABEL_MAX)] if _size(value) > _LABEL_MAX else []
    if value and not _MATCH[_LABEL_NAME](value):
        errors.append(
            _regex_error(
                "a valid label must be an empty string or consist of alphanumeric characters, "
                "'-', '_' or '.', and must start and end with an alphanumeric character",
                _LABEL_VALUE,
                "MyValue",
                "my_value",
                "12345",
            )
        )
    return errors


def port_name(value: str) -> list[str]:
    """An IANA_SVC_NAME: a Service port's targetPort given by name (a container port's name)."""
    errors = [_too_long(_PORT_NAME_MAX)] if _size(value) > _PORT_NAME_MAX else []
    if not re.fullmatch("[-a-z0-9]+", value):
        errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search("[a-z]", value):
        errors.append("must contain at least one letter (a-z)")
    if "--" in value:
        errors.append("must not contain consecutive hyphens")
    if value.startswith("-") or value.endswith("-"):
        errors.append("must not begin or end with a hyphen")
    return errors


def _annotation_key(value: str) -> list[str]:
    # The API server checks annotation keys in lower case: capitals are allowed there.
    return label_key(value.lower())


# Object names by kind. Service names: the API server takes DNS-1035 labels (a letter first) by
# default and any DNS-1123 label behind the RelaxedServiceNameValidation gate; a dump from either
# kind of cluster is accepted, hence the wider rule.
NAME_RULES: dict[str, Rule] = {
    "Node": dns1123_subdomain,
    "Service": dns1123_label,
    "EndpointSlice": dns1123_subdomain,
    "Pod": dns1123_subdomain,
    "ReplicaSet": dns1123_subdomain,
    "Deployment": dns1123_subdomain,
    "StatefulSet": dns1123_subdomain,
    "DaemonSet": dns1123_subdomain,
}


def _strings(value: Any) -> Iterator[tuple[str, str]]:
    """(key, value) of a map of strings; anything else is the parser's to refuse."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and isinstance(item, str):
                yield key, item


def _entries(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    if isinstance(value, list):
        for i, entry in enumerate(value):
            if isinstance(entry, dict):
                yield i, entry


class _Checker:
    """Applies rules, remembering values already found valid (names repeat across objects)."""

    def __init__(self) -> None:
        self.valid: dict[Rule, set[str]] = {}
        self.problems: list[Problem] = []

    def __call__(self, rule: Rule, path: str, value: Any) -> None:
        if not isinstance(value, str):
            return  # a missing or mistyped field: the parser refuses it with its own message
        known = self.valid.setdefault(rule, set())
        if value in known:
            return
        errors = rule(value)
        if errors:
            self.problems += [(path, value, e) for e in errors]
        else:
            known.add(value)

    def labels(self, path: str, labels: Any) -> None:
        for key, value in _strings(labels):
            self(label_key, path, key)
            self(label_value, f"{path}[{key}]", value)

    def annotations(self, path: str, annotations: Any) -> None:
        for key, _ in _strings(annotations):
            self(_annotation_key, path, key)  # values are free text

    def metadata(self, kind: str, meta: dict[str, Any]) -> None:
        name = meta.get("name")
        if name:  # an absent or empty name is the parser's "metadata.name is missing"
            self(NAME_RULES[kind], "metadata.name", name)
        if kind != "Node" and meta.get("namespace"):  # absent: "default"
            self(dns1123_label, "metadata.namespace", meta["namespace"])
        self.labels("metadata.labels", meta.get("labels"))
        self.annotations("metadata.annotations", meta.get("annotations"))


def _service(check: _Checker, obj: dict[str, Any]) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    check.labels("spec.selector", spec.get("selector"))
    for i, port in _entries(spec.get("ports")):
        if port.get("name"):
            check(dns1123_label, f"spec.ports[{i}].name", port["name"])
        if isinstance(port.get("targetPort"), str):
            check(port_name, f"spec.ports[{i}].targetPort", port["targetPort"])


def _endpoint_slice(check: _Checker, obj: dict[str, Any]) -> None:
    for i, ep in _entries(obj.get("endpoints")):
        at = f"endpoints[{i}]"
        if ep.get("nodeName"):  # "" is no name at all, and harmless
            check(dns1123_subdomain, f"{at}.nodeName", ep["nodeName"])
        if ep.get("hostname"):
            check(dns1123_label, f"{at}.hostname", ep["hostname"])
        # The API server leaves `zone` unchecked, but the EndpointSlice controller copies it from
        # the Node's zone label, so a zone that is no label value cannot be a real one.
        check(label_value, f"{at}.zone", ep.get("zone"))
        check.labels(f"{at}.deprecatedTopology", ep.get("deprecatedTopology"))
        check.labels(f"{at}.topology", ep.get("topology"))  # its discovery/v1beta1 name
        hints = ep.get("hints")
        if isinstance(hints, dict):
            for j, zone in _entries(hints.get("forZones")):
                check(label_value, f"{at}.hints.forZones[{j}].name", zone.get("name"))
            for j, node in _entries(hints.get("forNodes")):
                check(dns1123_subdomain, f"{at}.hints.forNodes[{j}].name", node.get("name"))
    for i, port in _entries(obj.get("ports")):
        if port.get("name"):
            check(dns1123_label, f"ports[{i}].name", port["name"])


def _pod(check: _Checker, obj: dict[str, Any]) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict) and spec.get("nodeName"):
        check(dns1123_subdomain, "spec.nodeName", spec["nodeName"])


def _workload(check: _Checker, obj: dict[str, Any]) -> None:
    """The labels a workload's selector matches and its Pod template carries: they end up on
    Pods, in the fixes' patches and commands."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    selector = spec.get("selector")
    if isinstance(selector, dict):
        check.labels("spec.selector.matchLabels", selector.get("matchLabels"))
    template = spec.get("template")
    if not isinstance(template, dict):
        return
    meta = template.get("metadata")
    if isinstance(meta, dict):
        check.labels("spec.template.metadata.labels", meta.get("labels"))
    pod_spec = template.get("spec")
    if isinstance(pod_spec, dict):
        check.labels("spec.template.spec.nodeSelector", pod_spec.get("nodeSelector"))


_BY_KIND: dict[str, Callable[[_Checker, dict[str, Any]], None]] = {
    "Node": lambda check, obj: None,
    "Service": _service,
    "EndpointSlice": _endpoint_slice,
    "Pod": _pod,
    "ReplicaSet": _workload,
    "Deployment": _workload,
    "StatefulSet": _workload,
    "DaemonSet": _workload,
}


def object_problems(obj: dict[str, Any], check: _Checker | None = None) -> list[Problem]:
    """What the API server would refuse in a Node, Service, EndpointSlice, Pod or apps/v1
    workload ([] if none, or for other kinds). Fields of the wrong type are left to the parser."""
    check = check or _Checker()
    kind = obj.get("kind")
    meta = obj.get("metadata")
    if not isinstance(kind, str) or kind not in _BY_KIND or not isinstance(meta, dict):
        return []
    check.problems = []
    check.metadata(kind, meta)
    _BY_KIND[kind](check, obj)
    return check.problems


def _shortened(value: str) -> str:
    return value if len(value) <= _SHOWN_VALUE else value[:_SHOWN_VALUE] + "..."


def _quoted(value: str) -> str:
    return json.dumps(_shortened(value), ensure_ascii=False)


def describe(obj: dict[str, Any]) -> str:
    """The object as a person names it: Service shop/cart, Node ip-10-0-0-1."""
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    name = _shortened(str(meta.get("name")))
    if obj.get("kind") == "Node":
        return f"Node {name}"
    return f"{obj.get('kind')} {_shortened(str(meta.get('namespace') or 'default'))}/{name}"


def check_names(items: Items) -> None:
    """Raise InputError for the first object the API server would refuse, in its words:
    `items[3] (Service shop/Cart): metadata.name: Invalid value: "Cart": a lowercase ...`."""
    check = _Checker()
    for prefix, index, obj in items:
        problems = object_problems(obj, check)
        if problems:
            path, value, message = problems[0]
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise InputError(
                f"{path}: Invalid value: {_quoted(value)}: {message}{more}",
                obj=f"{label_of(prefix, index)} ({describe(obj)})",
            )
