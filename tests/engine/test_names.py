"""Kubernetes' name and label rules (routing.engine.names), case by case from the API server's.

The cases follow the rules of k8s.io/apimachinery pkg/util/validation and
pkg/api/validate/content (IsDNS1123Label, IsDNS1123Subdomain, IsLabelKey, IsLabelValue,
IsValidPortName): the allowed characters, where dots, dashes and slashes may go, the limits in
bytes, and what a Python regex would wrongly let through (a trailing newline).
"""

import re
import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.engine import InputError
from routing.engine.names import (
    check_names,
    dns1123_label,
    dns1123_subdomain,
    label_key,
    label_value,
    object_problems,
    port_name,
)

LABEL_63 = "a" * 63
SUBDOMAIN_253 = ".".join(["a" * 63] * 3 + ["a" * 61])
assert len(SUBDOMAIN_253) == 253

CASES = {
    dns1123_label: (
        ["a", "ab", "a1", "a-1", "a--1--2--b", "0", "012", "1a", "1-a", LABEL_63],
        [
            "",
            "A",
            "aBc",
            "-",
            "a-",
            "-a",
            "_",
            "a_b",
            "a.b",
            ".",
            "a b",
            "a/b",
            "a\n",
            "é",
            LABEL_63 + "a",
        ],
    ),
    dns1123_subdomain: (
        ["a", "a.b", "a.b.c", "1.2.3", "a-1.b-2", SUBDOMAIN_253],
        [
            "",
            "A.b",
            "a..b",
            "a.",
            ".a",
            "a_b",
            "a/b",
            "-a.b",
            "a.-b",
            "a b",
            "a\n",
            SUBDOMAIN_253 + "a",
        ],
    ),
    label_key: (
        [
            "simple",
            "now-with-dashes",
            "1-starts-with-num",
            "1234",
            "Uppercase_Is_OK_123",
            "now.with.dots",
            "simple/simple",
            "now-with-dashes/simple",
            "1.2.3.4/5678",
            "example.com/Uppercase_Is_OK_123",
            "topology.kubernetes.io/zone",
            LABEL_63,
            f"{SUBDOMAIN_253}/{LABEL_63}",
        ],
        [
            "",
            "nospecialchars%^=@",
            "cantendwithadash-",
            "-cantstartwithadash",
            "only/one/slash",
            "Example.com/abc",
            "example_com/abc",
            "example.com/",
            "/simple",
            LABEL_63 + "a",
            f"{SUBDOMAIN_253}a/b",
            "a b",
            "a\n",
            "zone\x00",
        ],
    ),
    label_value: (
        [
            "",
            "simple",
            "now-with-dashes",
            "1-starts-with-num",
            "end-with-num-1",
            "1234",
            "Uppercase_Is_OK_123",
            "a.b_c-d",
            "us-east-1a",
            LABEL_63,
        ],
        [
            "nospecialchars%^=@",
            "Tama-nui-te-rā",
            "cantendwithadash-",
            "-cantstartwithadash",
            "a b",
            "a/b",
            "us-east-1c\"'><img src=x>",
            "a\n",
            "zone\x00",
            LABEL_63 + "a",
        ],
    ),
    port_name: (
        ["http", "re-mail-ck", "pop3", "a", "a-1", "1-a", "a-1-b-2-c", "x" * 15],
        ["", "-", "a-", "-a", "a--b", "1", "12", "A", "Http", "a_b", "a.b", "a b", "x" * 16],
    ),
}
VALID = [(rule, v) for rule, (good, _) in CASES.items() for v in good]
INVALID = [(rule, v) for rule, (_, bad) in CASES.items() for v in bad]


def _id(case) -> str:
    rule, value = case
    return f"{rule.__name__}:{value[:20]!r}"


@pytest.mark.parametrize("case", VALID, ids=_id)
def test_accepted(case) -> None:
    rule, value = case
    assert rule(value) == []


@pytest.mark.parametrize("case", INVALID, ids=_id)
def test_refused(case) -> None:
    rule, value = case
    assert rule(value), f"{rule.__name__} accepted {value!r}"


def test_limits_count_bytes_not_characters() -> None:
    assert label_value("é" * 32) == [
        "must be no more than 63 bytes",
        label_value("é")[0],  # and é is no allowed character either
    ]


def test_messages_are_the_api_servers() -> None:
    assert dns1123_label("Cart") == [
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
        "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
        "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    ]
    assert dns1123_label("a.b") == ["must not contain dots"]
    assert label_key("/x") == ["prefix part must be non-empty"]
    assert port_name("a--") == [
        "must not contain consecutive hyphens",
        "must not begin or end with a hyphen",
    ]


def _service(name: str = "cart", namespace: str = "shop", **spec) -> dict:
    return {"kind": "Service", "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def _slice(**endpoint) -> dict:
    return {
        "kind": "EndpointSlice",
        "metadata": {
            "name": "cart-abc12",
            "namespace": "shop",
            "labels": {"kubernetes.io/service-name": "cart"},
        },
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["10.0.0.1"], **endpoint}],
    }


@pytest.mark.parametrize(
    ("obj", "path"),
    [
        (_service("Cart"), "metadata.name"),
        (_service("a/b"), "metadata.name"),
        (_service(namespace="Shop"), "metadata.namespace"),
        (_service(selector={"app": "a b"}), "spec.selector[app]"),
        (_service(ports=[{"name": "Web", "port": 80}]), "spec.ports[0].name"),
        (_service(ports=[{"port": 80, "targetPort": "http_alt"}]), "spec.ports[0].targetPort"),
        (_slice(zone="us east"), "endpoints[0].zone"),
        (_slice(nodeName="Node_1"), "endpoints[0].nodeName"),
        (_slice(hostname="a.b"), "endpoints[0].hostname"),
        (_slice(hints={"forZones": [{"name": "<z>"}]}), "endpoints[0].hints.forZones[0].name"),
        (_slice(hints={"forNodes": [{"name": "N"}]}), "endpoints[0].hints.forNodes[0].name"),
        (
            _slice(deprecatedTopology={"topology.kubernetes.io/zone": "a b"}),
            "endpoints[0].deprecatedTopology[topology.kubernetes.io/zone]",
        ),
        ({"kind": "Node", "metadata": {"name": "ip_10_0_0_1"}}, "metadata.name"),
        (
            {"kind": "Node", "metadata": {"name": "n", "labels": {"kubernetes.io/hostname": "é"}}},
            "metadata.labels[kubernetes.io/hostname]",
        ),
        ({"kind": "Pod", "metadata": {"name": "p", "labels": {"bad key": "x"}}}, "metadata.labels"),
        ({"kind": "Pod", "metadata": {"name": "p"}, "spec": {"nodeName": "N1"}}, "spec.nodeName"),
        (
            {"kind": "Service", "metadata": {"name": "a", "annotations": {"a b": "x"}}},
            "metadata.annotations",
        ),
    ],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_object_problems_name_the_field(obj: dict, path: str) -> None:
    assert [p[0] for p in object_problems(obj)] == [path]


def test_valid_objects_and_other_kinds_have_no_problems() -> None:
    annotated = _service(selector={"app.kubernetes.io/name": "cart"})
    annotated["metadata"]["annotations"] = {"Example.com/Any-Case": "free text: <any> 'value'"}
    assert object_problems(annotated) == []
    assert object_problems(_slice(zone="us-east-1a", nodeName="ip-10-0-0-1.ec2.internal")) == []
    assert object_problems({"kind": "ConfigMap", "metadata": {"name": "Any Name"}}) == []
    # Missing or mistyped fields are the parser's to refuse, with its own message.
    assert object_problems({"kind": "Service", "metadata": {"name": 7, "labels": "x"}}) == []


def test_check_names_raises_naming_the_object_and_the_rule() -> None:
    items = [("items", 0, _service()), ("items", 1, _service("a/b"))]
    with pytest.raises(InputError) as raised:
        check_names(items)
    assert raised.value.obj == "items[1] (Service shop/a/b)"
    assert str(raised.value).startswith(
        'items[1] (Service shop/a/b): metadata.name: Invalid value: "a/b": a lowercase RFC 1123 '
        "label must consist of"
    )


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=70), st.text(alphabet="az09-._/ A\n'\";é", max_size=70)))
def test_accepted_names_are_plain_words_for_shells_and_urls(value: str) -> None:
    """What passes needs no shell quoting and holds no "/", so it makes a URL path segment."""
    if not dns1123_label(value):
        assert shlex.quote(value) == value
        assert re.fullmatch("[a-z0-9-]{1,63}", value) and value[0] != "-" != value[-1]
    if not dns1123_subdomain(value):
        assert shlex.quote(value) == value and "/" not in value
    if not label_value(value):
        assert re.fullmatch("[A-Za-z0-9._-]{0,63}", value)
        assert shlex.quote(value) == value or value == ""
