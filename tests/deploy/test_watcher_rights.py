"""The watcher's listing and watching code (routing/kube) against a simulated API server that
enforces the rendered ClusterRole for the watcher's service-account token, connecting as a Pod
does (in-cluster configuration, https): with exactly those rights it sees everything; without
one of them it fails with the API server's explanation (or, for an optional kind, goes on
without it, as documented)."""

import copy
import json
import threading
import time

import pytest
from kubernetes.client.exceptions import ApiException

from routing.kube.connect import api_client
from routing.kube.listing import list_cluster
from routing.kube.resources import NODES, RESOURCES
from routing.kube.runner import ClusterWatcher
from tests.kube.fake_pod import running_pod

from .render import of_kind, render

TOKEN = "watcher-token-from-the-projected-volume"
USER = "system:serviceaccount:trafficlens:trafficlens-watcher"


@pytest.fixture(scope="module")
def rendered_rules():
    (role,) = of_kind(render("production"), "ClusterRole")
    return role["rules"]


@pytest.fixture
def pod(tmp_path, monkeypatch):
    yield from running_pod(tmp_path, monkeypatch, TOKEN)


def without(rules, group, resource, verb=None):
    """The rules less one resource (or one verb of it)."""
    trimmed = []
    for rule in copy.deepcopy(rules):
        if group in rule["apiGroups"] and resource in rule["resources"]:
            if verb is None:
                rule["resources"].remove(resource)
            else:
                trimmed.append({**rule, "resources": [resource]})
                trimmed[-1]["verbs"] = [v for v in rule["verbs"] if v != verb]
                rule["resources"].remove(resource)
        if rule["resources"]:
            trimmed.append(rule)
    return trimmed


def run_watcher(api, until, timeout=20.0, linger=0.0):
    """Run the watcher's ClusterWatcher until `until(watcher, written)` holds (or timeout), and
    `linger` seconds more."""
    written = threading.Event()
    watcher = ClusterWatcher(
        api,
        write=lambda objects, source: written.set(),
        set_status=lambda state, message: None,
        debounce=0.05,
        stale_after=0.5,
    )
    watcher.start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not until(watcher, written):
            time.sleep(0.05)
        time.sleep(linger)
        return watcher
    finally:
        watcher.stop()


def synced_and_watching(watcher, written):
    """The first snapshot is written and every resource has been listed (its watch follows)."""
    return written.is_set() and all(w.version and w.relists for w in watcher.watchers)


def test_exactly_the_rendered_rights_let_the_watcher_list_and_watch_everything(pod, rendered_rules):
    pod.enforce_cluster_role(TOKEN, USER, rendered_rules)
    api = api_client("incluster")
    objects, versions = list_cluster(api)
    assert set(versions) == {r.kind for r in RESOURCES}  # nothing skipped as "not granted"
    # Lingering past stale_after: a refused watch would have made the cluster stale by then.
    watcher = run_watcher(api, synced_and_watching, linger=1.0)
    assert watcher.state.synced
    assert watcher.health.stale_reason() is None
    assert all(w.reconnects == 0 for w in watcher.watchers)
    assert all(w.reconnects == 0 for w in watcher.watchers)  # no watch was refused


def test_a_token_the_role_is_not_bound_to_is_refused(pod, rendered_rules):
    pod.enforce_cluster_role("some-other-token", USER, rendered_rules)
    with pytest.raises(ApiException) as refused:
        list_cluster(api_client("incluster"))
    assert refused.value.status == 401


@pytest.mark.parametrize(
    "resource", [r for r in RESOURCES if not r.optional], ids=lambda r: r.plural
)
def test_without_a_required_resource_listing_fails_naming_it(pod, rendered_rules, resource):
    pod.enforce_cluster_role(TOKEN, USER, without(rendered_rules, resource.group, resource.plural))
    with pytest.raises(ApiException) as refused:
        list_cluster(api_client("incluster"))
    assert refused.value.status == 403
    message = json.loads(refused.value.body)["message"]
    assert f'User "{USER}" cannot list resource "{resource.plural}"' in message


def test_without_watch_on_nodes_the_cluster_turns_stale_saying_why(pod, rendered_rules):
    pod.enforce_cluster_role(TOKEN, USER, without(rendered_rules, "", "nodes", verb="watch"))
    watcher = run_watcher(api_client("incluster"), lambda w, _: w.health.stale_reason())
    stale = watcher.health.stale_reason()
    assert stale is not None
    assert stale.startswith(f"{NODES.kind} API unreachable")
    assert 'HTTP 403 Forbidden: nodes is forbidden: User "' + USER in stale
    assert 'cannot watch resource "nodes"' in stale


@pytest.mark.parametrize("resource", [r for r in RESOURCES if r.optional], ids=lambda r: r.plural)
def test_without_an_optional_resource_the_watcher_goes_on_without_it(pod, rendered_rules, resource):
    pod.enforce_cluster_role(TOKEN, USER, without(rendered_rules, resource.group, resource.plural))
    objects, versions = list_cluster(api_client("incluster"))
    assert resource.kind not in versions
    assert set(versions) == {r.kind for r in RESOURCES} - {resource.kind}
