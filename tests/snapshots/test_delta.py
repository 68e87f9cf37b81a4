"""A watcher's delta snapshots store exactly what full writes of the same states store.

One sequence of cluster states is written three ways: as a watcher writes it (ClusterState's
handover, write_changes with only what changed), by write_snapshot (which re-analyses the
Services a change reaches) and by write_snapshot re-analysing every Service. After every state
the three clusters' object versions, Service summaries (content hashes and intervals) and
snapshot rows (counts, figures, ready endpoints by zone, cluster section) must be equal. The
states come from the simulated cluster's own churn (scaling, rollouts, nodes failing and
returning, policy switches) and from random edits of every kind, including those that must
fall back to writing every object; which path each write took is checked too.
"""

import copy
import random
from collections.abc import Callable
from typing import Any

import pytest

from routing.kube.resources import RESOURCES, object_key
from routing.kube.sim import SimCluster
from routing.models import Cluster, ObjectVersion, ServiceSummary, Snapshot
from routing.snapshots import delta, incremental, objects_at, prepare, write_snapshot
from routing.snapshots.trim import trim_object

from .builders import ZONES, endpoint, endpoint_slice, node, service
from .watching import WatcherWrites

pytestmark = pytest.mark.django_db

Key = tuple[str, str, str]
World = dict[Key, dict[str, Any]]
_SNAPSHOT_SKIP = {"id", "cluster", "taken_at", "created_at", "source"}
_LABEL = "kubernetes.io/service-name"


def sim_world(sim: SimCluster) -> World:
    """The simulated cluster's objects as the watcher holds them: trimmed, by key."""
    world: World = {}
    for resource in RESOURCES:
        for obj in sim.objects(resource.plural):
            obj["kind"], obj["apiVersion"] = resource.kind, resource.api_version
            trimmed = trim_object(obj)
            world[object_key(trimmed)] = trimmed
    return world


def stored(cluster: Cluster) -> tuple[list, list, list]:
    # The stored bytes too: a watcher's forms (worked out as objects arrive) must be what a
    # write that packs the objects itself stores.
    versions = [
        (*head, bytes(data))
        for *head, data in ObjectVersion.objects.filter(cluster=cluster).values_list(
            "kind", "namespace", "name", "content_hash", "first_seq", "last_seq", "data"
        )
    ]
    summaries = ServiceSummary.objects.filter(cluster=cluster).values_list(
        "namespace", "name", "content_hash", "first_seq", "last_seq", "severity", "saving_per_gb"
    )
    fields = [f for f in Snapshot._meta.concrete_fields if f.name not in _SNAPSHOT_SKIP]
    snaps = [
        {f.name: getattr(s, f.attname) for f in fields}
        for s in Snapshot.objects.filter(cluster=cluster).order_by("seq")
    ]
    return sorted(versions), sorted(summaries), snaps


class ThreeWays:
    """One sequence of states, written as deltas, by write_snapshot, and re-analysed whole."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, forms: bool = True):
        def cluster(name: str) -> Cluster:
            return Cluster.objects.create(name=name, source=Cluster.Source.SIMULATED)

        self.delta, self.full, self.whole = cluster("delta"), cluster("full"), cluster("whole")
        self.watcher = WatcherWrites(self.delta, forms)
        self.state = self.watcher.state  # the watcher's, which a test may tell things directly
        self.paths: list[str] = []
        real = delta._write_paused

        def every_object(*args: Any, **kwargs: Any) -> Snapshot:
            self.paths[-1] = "full"
            return real(*args, **kwargs)

        monkeypatch.setattr(delta, "_write_paused", every_object)

    def write(self, world: World) -> str:
        """Store `world` three ways; the path the delta writer took ("delta" or "full")."""
        objects = [copy.deepcopy(obj) for obj in world.values()]
        self.paths.append("delta")
        self.watcher.write(objects)
        write_snapshot(self.full, objects, source="watch", trimmed=True)
        write_snapshot(self.whole, objects, source="watch", trimmed=True, reanalyze_all=True)
        return self.paths[-1]

    def assert_same(self, label: str) -> None:
        written = stored(self.delta)
        assert written == stored(self.full), label
        assert written == stored(self.whole), label


# -- random edits of a trimmed world, each with the path its write must take ------------------


def _pick(world: World, kind: str, rng: random.Random) -> dict[str, Any]:
    return world[rng.choice(sorted(k for k in world if k[0] == kind))]


def _slice_of(world: World, rng: random.Random) -> dict[str, Any]:
    with_endpoints = sorted(
        k for k, o in world.items() if k[0] == "EndpointSlice" and o.get("endpoints")
    )
    return world[rng.choice(with_endpoints)]


def _endpoint(world: World, rng: random.Random) -> dict[str, Any]:
    return rng.choice(_slice_of(world, rng)["endpoints"])


def pod_phase(world: World, rng: random.Random) -> str:
    status = _pick(world, "Pod", rng)["status"]
    status["phase"] = "Pending" if status.get("phase") == "Running" else "Running"
    return "delta"


def pod_label(world: World, rng: random.Random) -> str:
    _pick(world, "Pod", rng)["metadata"].setdefault("labels", {})["rev"] = str(rng.random())
    return "delta"


def service_policy(world: World, rng: random.Random) -> str:
    spec = _pick(world, "Service", rng)["spec"]
    spec["trafficDistribution"] = rng.choice(
        [None, "PreferSameZone", "PreferClose", "PreferSameNode"]
    )
    if spec["trafficDistribution"] is None:
        del spec["trafficDistribution"]
    return "delta"


def service_auto(world: World, rng: random.Random) -> str:
    meta = _pick(world, "Service", rng)["metadata"]
    annotations = meta.setdefault("annotations", {})
    if annotations.pop("service.kubernetes.io/topology-mode", None) is None:
        annotations["service.kubernetes.io/topology-mode"] = "Auto"
    return "delta"


def service_local(world: World, rng: random.Random) -> str:
    spec = _pick(world, "Service", rng)["spec"]
    spec["internalTrafficPolicy"] = rng.choice(["Local", "Cluster"])
    return "delta"


def service_noise(world: World, rng: random.Random) -> str:
    meta = _pick(world, "Service", rng)["metadata"]
    meta.setdefault("annotations", {})["example.com/deployed-at"] = str(rng.random())
    return "delta"


def endpoint_ready(world: World, rng: random.Random) -> str:
    conditions = _endpoint(world, rng)["conditions"]
    conditions["ready"] = conditions["serving"] = not conditions.get("ready")
    return "delta"


def endpoint_hint(world: World, rng: random.Random) -> str:
    ep = _endpoint(world, rng)
    if ep.pop("hints", None) is None:
        ep["hints"] = {"forZones": [{"name": ep.get("zone") or "us-east-1a"}]}
    return "delta"


def endpoint_zone(world: World, rng: random.Random) -> str:
    ep = _endpoint(world, rng)
    ep["zone"] = rng.choice(["us-east-1a", "us-east-1b", "us-east-1c"])
    return "delta"


def endpoint_added(world: World, rng: random.Random) -> str:
    slice_ = _slice_of(world, rng)
    ep = copy.deepcopy(rng.choice(slice_["endpoints"]))
    ep["addresses"] = [f"10.200.{rng.randrange(256)}.{rng.randrange(1, 255)}"]
    slice_["endpoints"].append(ep)
    return "delta"


def slice_moved(world: World, rng: random.Random) -> str:
    """A slice relabelled to another (existing) Service: both are analysed again."""
    slice_ = _slice_of(world, rng)
    namespace = slice_["metadata"]["namespace"]
    others = sorted(k[2] for k in world if k[0] == "Service" and k[1] == namespace)
    slice_["metadata"]["labels"][_LABEL] = rng.choice(others)
    return "delta"


def service_gone_with_slices(world: World, rng: random.Random, stash: list) -> str:
    svc = _pick(world, "Service", rng)
    namespace, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
    gone = [
        k
        for k, o in world.items()
        if k == ("Service", namespace, name)
        or (k[0] == "EndpointSlice" and k[1] == namespace and _label(o) == name)
    ]
    stash.append([world.pop(k) for k in gone])
    return "delta"


def service_back(world: World, rng: random.Random, stash: list) -> str:
    if not stash:
        return "delta"  # nothing to bring back: an unchanged state
    for obj in stash.pop(rng.randrange(len(stash))):
        world[object_key(obj)] = obj
    return "delta"


def service_gone_slices_kept(world: World, rng: random.Random) -> str:
    """Its slices now belong to no Service: the parse warnings' count changes."""
    labelled = {(k[1], _label(o)) for k, o in world.items() if k[0] == "EndpointSlice"}
    keys = sorted(k for k in world if k[0] == "Service" and (k[1], k[2]) in labelled)
    del world[rng.choice(keys)]
    return "full"


def slice_orphaned(world: World, rng: random.Random) -> str:
    _slice_of(world, rng)["metadata"]["labels"][_LABEL] = f"gone-{rng.randrange(10**6)}"
    return "full"


def endpoint_bad_address(world: World, rng: random.Random) -> str:
    _endpoint(world, rng)["addresses"] = ["not-an-address"]
    return "full"


def node_noise(world: World, rng: random.Random) -> str:
    _pick(world, "Node", rng)["metadata"]["labels"]["example.com/pool-rev"] = str(rng.random())
    return "delta"


def node_zone(world: World, rng: random.Random) -> str:
    labels = _pick(world, "Node", rng)["metadata"]["labels"]
    labels["topology.kubernetes.io/zone"] = rng.choice(["us-east-1a", "us-east-1b", "us-east-1c"])
    return "either"  # a zone label set to the one it has changes nothing


def node_cpu(world: World, rng: random.Random) -> str:
    _pick(world, "Node", rng)["status"]["allocatable"]["cpu"] = str(rng.choice([2, 4, 8, 16]))
    return "either"


def node_gone(world: World, rng: random.Random) -> str:
    node = _pick(world, "Node", rng)
    del world[object_key(node)]
    return "full"


def edited_and_undone(world: World, rng: random.Random) -> str:
    """Listed as changed (a state the watcher saw in between), stored as it was."""
    return "delta"


def _label(obj: dict[str, Any]) -> Any:
    return (obj["metadata"].get("labels") or {}).get(_LABEL)


EDITS: list[Callable[..., str]] = [
    pod_phase,
    pod_label,
    service_policy,
    service_auto,
    service_local,
    service_noise,
    endpoint_ready,
    endpoint_hint,
    endpoint_zone,
    endpoint_added,
    slice_moved,
    service_gone_with_slices,
    service_back,
    service_gone_slices_kept,
    slice_orphaned,
    endpoint_bad_address,
    node_noise,
    node_zone,
    node_cpu,
    node_gone,
    edited_and_undone,
]
STASHED = (service_gone_with_slices, service_back)
# Edits that leave a slice the parse warns about (or a Node fewer): undone after their write,
# or every later edit whose view holds that slice would have to write every object too.
UNDONE = (service_gone_slices_kept, slice_orphaned, endpoint_bad_address, node_gone)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_edits_store_what_full_writes_store(monkeypatch, seed):
    rng = random.Random(seed)
    world = sim_world(SimCluster("demo", seed=seed, churn=0))
    ways = ThreeWays(monkeypatch)
    assert ways.write(world) == "full"  # the first: every object
    ways.assert_same("first")
    stash: list = []
    # Every edit once, in random order, then random ones: each state written three ways.
    edits = rng.sample(EDITS, len(EDITS)) + [rng.choice(EDITS) for _ in range(14)]
    for step, edit in enumerate(edits):
        before = copy.deepcopy(world)
        if edit is edited_and_undone:
            endpoint_ready(world, rng)
            ways.state.replace_kind(
                "EndpointSlice", [o for o in world.values() if o["kind"] == "EndpointSlice"]
            )
            world = copy.deepcopy(before)
        expected = edit(world, rng, stash) if edit in STASHED else edit(world, rng)
        path = ways.write(world)
        label = f"step {step}: {edit.__name__}"
        ways.assert_same(label)
        if expected != "either":
            assert path == expected, label
        if edit in UNDONE:
            world = before
            ways.write(world)
            ways.assert_same(f"{label}, undone")
    assert ways.paths.count("delta") >= len(ways.paths) // 2, ways.paths


def test_the_simulated_clusters_churn_stores_what_full_writes_store(monkeypatch):
    sim = SimCluster("demo", seed=3, churn=3.0)
    ways = ThreeWays(monkeypatch)
    ways.write(sim_world(sim))
    for step in range(16):
        sim.churn.advance(1.0)
        ways.write(sim_world(sim))
        ways.assert_same(f"step {step}: {dict(sim.churn.actions)}")
    assert sum(sim.churn.actions.values()) >= 16
    assert ways.paths.count("delta") >= 8, ways.paths


def _small_world(*objects: dict[str, Any]) -> World:
    world: World = {}
    for obj in objects:
        trimmed = trim_object(copy.deepcopy(obj))
        world[object_key(trimmed)] = trimmed
    return world


def test_the_first_and_last_service_or_slice_store_what_full_writes_store(monkeypatch):
    """Whether anything can be simulated (notSimulated) reads the whole cluster: a delta that
    adds the first or takes the last Service or slice writes every object, and stores the same."""
    nodes = [node(f"n-{z[-1]}", z) for z in ZONES]
    web = service("web", trafficDistribution="PreferSameZone")
    web_slice = endpoint_slice(
        "web", [endpoint(f"10.1.0.{i}", f"n-{z[-1]}", z, z) for i, z in enumerate(ZONES)]
    )
    stray = endpoint_slice("gone", [endpoint("10.9.0.1", "n-a", ZONES[0])], suffix="y")
    ways = ThreeWays(monkeypatch)
    states = [
        _small_world(*nodes),  # nothing to analyse
        _small_world(*nodes, web),  # a Service, but no slice anywhere: not simulated
        _small_world(*nodes, web, stray),  # a slice, of no Service: simulated
        _small_world(*nodes, web, stray, web_slice),
        _small_world(*nodes, web, web_slice),
        _small_world(*nodes, web_slice),  # the last Service gone, its slice left
        _small_world(*nodes),
        _small_world(*nodes, web, web_slice),
    ]
    for i, world in enumerate(states):
        ways.write(world)
        ways.assert_same(f"state {i}")
    assert ways.paths == ["full", "full", "full", "delta", "full", "full", "full", "full"]


def test_a_workload_alone_changes_no_summary_as_write_snapshot_does(monkeypatch):
    """The engine reads no apps/v1 object (incremental.py): scaling a Deployment whose Pods
    and slices have not changed yet re-analyses nothing, in a delta as in write_snapshot."""
    world = sim_world(SimCluster("demo", seed=1, churn=0))
    ways = ThreeWays(monkeypatch)
    ways.write(world)
    deployment = next(o for k, o in sorted(world.items()) if k[0] == "Deployment")
    deployment["spec"]["replicas"] += 2
    assert ways.write(world) == "delta"
    written = stored(ways.delta)
    assert written == stored(ways.full)
    summaries = ServiceSummary.objects.filter(cluster=ways.delta)
    assert not summaries.filter(first_seq=2).exists()
    versions = ObjectVersion.objects.filter(cluster=ways.delta, first_seq=2)
    assert list(versions.values_list("kind", flat=True)) == ["Deployment"]


def test_a_node_change_the_scope_misses_still_writes_every_object(monkeypatch):
    """The cluster section's Node figures are computed again and compared, not trusted: were
    incremental.py to miss a Node field routing reads (here, made to ignore CPU), the changed
    section still sends the write down the full path."""
    monkeypatch.setattr(incremental, "_routing_view", lambda node: node["metadata"]["name"])
    world = sim_world(SimCluster("demo", seed=1, churn=0))
    ways = ThreeWays(monkeypatch)
    ways.write(world)
    first_node = next(o for k, o in sorted(world.items()) if k[0] == "Node")
    first_node["status"]["allocatable"]["cpu"] = "64"
    assert ways.write(world) == "full"
    ways.assert_same("a Node's CPU")


def test_another_writer_that_stores_no_object_leaves_the_watchers_change_valid(monkeypatch):
    """A recompute (a price change) or a measured-volume refresh writes a snapshot of the stored
    objects, analysed again: the watcher's next write is still a delta, and exact. An upload of
    other objects is not: the next write stores every object."""
    world = sim_world(SimCluster("demo", seed=1, churn=0))
    ways = ThreeWays(monkeypatch)
    ways.write(world)
    Cluster.objects.filter(pk__in=[ways.delta.pk, ways.full.pk, ways.whole.pk]).update(
        price_cross_zone="0.05"
    )
    for cluster in (ways.delta, ways.full, ways.whole):
        cluster.refresh_from_db()
        latest = Snapshot.objects.filter(cluster=cluster).order_by("-seq").first()
        write_snapshot(cluster, objects_at(latest), source="manual", trimmed=True)
    service_policy(world, random.Random(5))
    assert ways.write(world) == "delta"
    ways.assert_same("after a recompute")
    pod_phase(world, random.Random(6))  # an upload of a state the watcher has not seen
    for cluster in (ways.delta, ways.full, ways.whole):
        write_snapshot(cluster, list(copy.deepcopy(world).values()), source="upload")
    service_noise(world, random.Random(7))
    assert ways.write(world) == "full"
    ways.assert_same("after an upload")


@pytest.mark.parametrize("forms", [False, True], ids=["hashed-by-the-write", "forms-on-arrival"])
def test_a_full_write_from_the_watcher_hashes_only_what_it_saw_change(monkeypatch, forms):
    """A change that reaches every Service (a Node gone) writes every object, but the objects
    the watcher did not see change since its last snapshot are stored as they are: they are
    not hashed again, unless another writer stored other objects in between. With each
    object's stored form worked out as it arrives (as start_watch does), nothing is hashed but
    what the watcher saw change, even then."""
    world = sim_world(SimCluster("demo", seed=1, churn=0))
    ways = ThreeWays(monkeypatch, forms)
    ways.write(world)
    hashed: list[Key] = []
    counting = False
    real_hashed, real_write = prepare._hashed, ways.watcher.write

    def spy(obj: dict[str, Any], label: str) -> tuple[bytes, str]:
        if counting:
            hashed.append(object_key(obj))
        return real_hashed(obj, label)

    def watcher_write(objects: list[dict[str, Any]]) -> Snapshot:
        nonlocal counting
        counting = True
        try:
            return real_write(objects)
        finally:
            counting = False

    monkeypatch.setattr(prepare, "_hashed", spy)
    monkeypatch.setattr(ways.watcher, "write", watcher_write)
    rng = random.Random(11)
    node_gone(world, rng)
    before = copy.deepcopy(world)
    service_noise(world, rng)
    edited = [key for key in world if world[key] != before[key]]
    assert len(edited) == 1
    assert ways.write(world) == "full"
    ways.assert_same("a Node gone")
    # The Service edited (also by the delta attempt before it fell back); the Node gone has
    # nothing to hash.
    assert set(hashed) == set(edited)
    # Another writer stores other objects: the watcher's next full write hashes every object
    # (only those it saw change, with the forms at hand).
    seen = copy.deepcopy(world)
    pod_phase(world, random.Random(12))
    for cluster in (ways.delta, ways.full, ways.whole):
        write_snapshot(cluster, list(copy.deepcopy(world).values()), source="upload")
    hashed.clear()
    node_gone(world, rng)
    assert ways.write(world) == "full"
    ways.assert_same("a Node gone after an upload")
    saw_change = {key for key, obj in world.items() if seen.get(key) != obj}
    assert saw_change and len(saw_change) < len(world)
    assert set(hashed) == (saw_change if forms else set(world))
