"""Printed commands split back into exactly the intended argv, whatever the names hold."""

import json
import shlex
import subprocess
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.engine import analyze_cluster, build_cluster
from routing.engine.options import Options
from routing.engine.shell import command_line, kubectl_patch_service, merge_patch_of

PROPS = settings(max_examples=300, deadline=None)
ZONE_LABEL = "topology.kubernetes.io/zone"
# Anything a hostile dump could hold, shell metacharacters and quotes weighted in.
NASTY = st.text(
    alphabet=st.one_of(st.sampled_from(list(";|&$`'\"\\#*?~!(){}[]<> \t\n-=")), st.characters()),
    min_size=0,
    max_size=40,
)


# A kubectl that prints each argument it gets, NUL-terminated, so a real shell does the parsing.
_ECHO_KUBECTL = 'kubectl() { for a in "$@"; do printf \'%s\\0\' "$a"; done; }\n'


def argv_in_shell(line: str, shell: str = "/bin/sh") -> list[str]:
    """The arguments kubectl gets when `line` is pasted into `shell` (nothing else runs)."""
    result = subprocess.run(
        [shell, "-c", _ECHO_KUBECTL + line], capture_output=True, timeout=30, check=True
    )
    return [a.decode("utf-8", "surrogateescape") for a in result.stdout.split(b"\0")[:-1]]


def _argv(namespace: str, name: str, patch: str) -> list[str]:
    return ["kubectl", "-n", namespace, "patch", "service", name, "--type", "merge", "-p", patch]


@PROPS
@given(namespace=NASTY, name=NASTY, zone=NASTY)
def test_any_argv_splits_back_unchanged(namespace: str, name: str, zone: str) -> None:
    argv = ["kubectl", "-n", namespace, "label", "node", name, f"{ZONE_LABEL}={zone}", zone]
    assert shlex.split(command_line(argv)) == argv


@PROPS
@given(namespace=NASTY, name=NASTY)
def test_patch_line_splits_into_the_patch_argv(namespace: str, name: str) -> None:
    patch = '{"spec":{"trafficDistribution":"PreferSameZone"}}'
    line = kubectl_patch_service(namespace, name, patch)
    assert shlex.split(line) == _argv(namespace, name, patch)
    assert merge_patch_of(line) == patch


@PROPS
@given(namespace=NASTY, name=NASTY, patch=NASTY)
def test_patch_line_is_the_command_line_of_its_argv(namespace: str, name: str, patch: str) -> None:
    # kubectl_patch_service quotes only the three arguments that may need it (it runs for
    # thousands of Services): the line is exactly command_line's.
    line = kubectl_patch_service(namespace, name, patch)
    assert line == command_line(_argv(namespace, name, patch))


def _cluster(namespace: str, name: str, zone: str) -> list[dict[str, Any]]:
    """Two zones with a node and a ready endpoint each, and a Service with no policy: the
    engine recommends PreferSameZone for it."""
    nodes = [
        {
            "kind": "Node",
            "metadata": {"name": f"n{i}", "labels": {ZONE_LABEL: z}},
            "status": {
                "allocatable": {"cpu": "4"},
                "conditions": [{"type": "Ready", "status": "True"}],
            },
        }
        for i, z in enumerate((zone, f"{zone}-other"))
    ]
    service = {
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"clusterIP": "10.0.0.1", "selector": {"app": "x"}},
    }
    endpoints = [
        {
            "addresses": [f"10.1.0.{i}"],
            "conditions": {"ready": True},
            "nodeName": f"n{i}",
            "zone": node["metadata"]["labels"][ZONE_LABEL],
        }
        for i, node in enumerate(nodes)
    ]
    slice_ = {
        "kind": "EndpointSlice",
        "metadata": {
            "name": "s",
            "namespace": namespace,
            "labels": {"kubernetes.io/service-name": name},
        },
        "addressType": "IPv4",
        "endpoints": endpoints,
    }
    return [*nodes, service, slice_]


def _recommended_change(namespace: str, name: str, zone: str) -> str:
    items = [("items", i, obj) for i, obj in enumerate(_cluster(namespace, name, zone))]
    report = analyze_cluster(build_cluster(items), Options(provider="aws"))
    (svc,) = report["services"]
    assert svc["recommendation"] is not None, svc
    return str(svc["recommendation"]["change"])


@settings(max_examples=60, deadline=None)
@given(
    namespace=NASTY.filter(bool),
    name=NASTY.filter(bool),
    zone=NASTY.filter(lambda z: bool(z) and z != "unknown"),
)
def test_the_engines_recommended_change_splits_into_the_intended_argv(
    namespace: str, name: str, zone: str
) -> None:
    change = _recommended_change(namespace, name, zone)
    argv = shlex.split(change)
    assert argv[:-1] == _argv(namespace, name, "")[:-1]
    assert json.loads(argv[-1])["spec"] == {"trafficDistribution": "PreferSameZone"}


@pytest.mark.parametrize("shell", ["/bin/sh", "/bin/bash"])
def test_a_hostile_namespace_is_one_argument_in_a_real_shell(shell: str) -> None:
    change = _recommended_change("shop;id;#", "payments", "zone-a")
    assert change.startswith("kubectl -n 'shop;id;#' patch service payments --type merge -p '")
    argv = argv_in_shell(change, shell)
    assert argv == shlex.split(change)[1:]
    assert argv[:5] == ["-n", "shop;id;#", "patch", "service", "payments"]


def _shell_argument(text: str) -> bool:
    """Whether a process argument can hold it: no NUL, and UTF-8 (no lone surrogate, which no
    JSON or YAML dump can carry either)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\0" not in text


@settings(max_examples=100, deadline=None)
@given(namespace=NASTY.filter(_shell_argument), name=NASTY.filter(_shell_argument))
def test_a_real_shell_gets_the_same_argv(namespace: str, name: str) -> None:
    """Strings a process argument can hold reach kubectl unchanged."""
    line = kubectl_patch_service(namespace, name, '{"spec":{}}')
    assert argv_in_shell(line, "/bin/bash") == _argv(namespace, name, '{"spec":{}}')[1:]


def test_plain_names_print_exactly_as_before() -> None:
    """What the engine printed before names were quoted, byte for byte."""
    change = _recommended_change("shop", "payments", "zone-a")
    assert change == (
        "kubectl -n shop patch service payments --type merge -p "
        """'{"metadata":{"annotations":{"service.kubernetes.io/topology-mode":null,"""
        """"service.kubernetes.io/topology-aware-hints":null}},"""
        """"spec":{"trafficDistribution":"PreferSameZone"}}'"""
    )


@pytest.mark.parametrize("line", ["kubectl get pods", "kubectl patch service x -p '{}' --dry-run"])
def test_merge_patch_of_refuses_other_lines(line: str) -> None:
    with pytest.raises(ValueError):
        merge_patch_of(line)
