"""Every command a fix prints splits back (shlex, as a POSIX shell does) into exactly the argv it
was built from, whatever the cluster's names hold (issue 12: commands safe to paste)."""

import shlex

import orjson
from hypothesis import given, settings

from routing.fixes import commands
from routing.workloads import (
    Workload,
    describe_argv,
    describe_command,
    restart_argv,
    restart_command,
    scale_argv,
    scale_command,
    spread_argv,
    spread_command,
)
from tests.engine.test_shell import NASTY

PROPS = settings(max_examples=200, deadline=None)


@PROPS
# Label values reach a patch as JSON: no lone surrogates (routing.engine.names refuses them).
@given(
    namespace=NASTY,
    name=NASTY,
    label=NASTY.filter(lambda s: not any(0xD800 <= ord(c) <= 0xDFFF for c in s)),
)
def test_workload_commands_split_back_into_their_argv(namespace, name, label):
    for kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        owner = Workload(kind, namespace, name, 3, 3, False, template_labels={"app": label})
        assert shlex.split(scale_command(owner, 5)) == scale_argv(owner, 5)
        assert shlex.split(spread_command(owner)) == spread_argv(owner)
        assert shlex.split(restart_command(owner)) == restart_argv(owner)
        assert shlex.split(describe_command(owner)) == describe_argv(owner)


@PROPS
@given(namespace=NASTY, service=NASTY, node=NASTY, zone=NASTY, pod=NASTY)
def test_fix_commands_split_back_into_their_argv(namespace, service, node, zone, pod):
    assert shlex.split(commands.label_node(node, zone))[3:] == [
        node,
        f"topology.kubernetes.io/zone={zone}",
    ]
    assert shlex.split(commands.describe_pod(namespace, pod))[2::3] == [namespace, pod]
    assert shlex.split(commands.get_slices(namespace, service))[2] == namespace
    assert shlex.split(commands.get_slices(namespace, service))[6] == (
        f"kubernetes.io/service-name={service}"
    )
    argv = shlex.split(commands.remove_slice_hints(namespace, service, [0, 2]))
    assert argv[:6] == ["kubectl", "-n", namespace, "patch", "endpointslice", service]
    assert orjson.loads(argv[-1]) == [
        {"op": "remove", "path": "/endpoints/0/hints"},
        {"op": "remove", "path": "/endpoints/2/hints"},
    ]
