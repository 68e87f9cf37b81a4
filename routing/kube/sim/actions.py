"""Operations shared by the test API and churn: policy switches, scaling per zone, rollouts."""

from .objects import TOPOLOGY_MODE, PodRec, Workload
from .world import World

TRAFFIC_DISTRIBUTIONS = (None, "PreferClose", "PreferSameZone", "PreferSameNode")


def set_traffic_distribution(world: World, namespace: str, name: str, value: str | None) -> None:
    """Set (or with None remove) a Service's spec.trafficDistribution."""
    if value not in TRAFFIC_DISTRIBUTIONS:
        raise ValueError(f"unsupported trafficDistribution {value!r}")

    def change(obj: dict) -> None:
        obj["spec"].pop("trafficDistribution", None)
        if value:
            obj["spec"]["trafficDistribution"] = value

    world.update_service(namespace, name, change)


def set_topology_mode(world: World, namespace: str, name: str, value: str | None) -> None:
    """Set (or with None remove) a Service's topology-mode annotation."""

    def change(obj: dict) -> None:
        annotations = obj["metadata"].setdefault("annotations", {})
        annotations.pop(TOPOLOGY_MODE, None)
        if value is not None:
            annotations[TOPOLOGY_MODE] = value
        if not annotations:
            del obj["metadata"]["annotations"]

    world.update_service(namespace, name, change)


def live_pods(workload: Workload) -> list[PodRec]:
    """The workload's Pods that are not terminating, oldest first."""
    return [p for p in workload.pods.values() if p.deleted is None]


def pick_node(world: World, workload: Workload, zone: str) -> str | None:
    """The Ready worker in `zone` running the fewest of the workload's Pods (first by name)."""
    candidates = world.ready_workers(zone)
    if not candidates:
        return None
    load = {n.name: 0 for n in candidates}
    for pod in live_pods(workload):
        if pod.node in load:
            load[pod.node] += 1
    return min(load, key=lambda name: (load[name], name))


def scale(
    world: World,
    namespace: str,
    name: str,
    replicas_per_zone: int | dict[str, int],
    *,
    graceful: bool = False,
) -> None:
    """Run exactly this many live Pods in each zone (an int means every zone).

    Extra Pods go newest first: deleted at once, or left terminating with `graceful`.
    Zones a dict does not name keep their Pods.
    """
    with world.batch():
        workload = world.workloads[(namespace, name)]
        if isinstance(replicas_per_zone, int):
            targets = dict.fromkeys(world.zones(), replicas_per_zone)
        else:
            targets = dict(replicas_per_zone)
        for zone, want in sorted(targets.items()):
            live = [p for p in live_pods(workload) if world.zone_of(p) == zone]
            while len(live) < want:
                node = pick_node(world, workload, zone)
                if node is None:
                    raise ValueError(f"no Ready worker in zone {zone!r}")
                live.append(world.add_pod(workload, node))
            for pod in reversed(live[want:]):
                if graceful:
                    world.terminate_pod(pod)
                else:
                    world.delete_pod(pod)


def rollout(world: World, namespace: str, name: str) -> list[PodRec]:
    """Replace every live Pod with one of a new ReplicaSet on the same node, at once.

    Churn stages the same steps over time (new Pods start unready, old ones terminate, then go).
    Returns the new Pods.
    """
    with world.batch():
        workload = world.workloads[(namespace, name)]
        old = live_pods(workload)
        world.new_revision(workload)
        fresh = [world.add_pod(workload, pod.node) for pod in old]
        for pod in old:
            world.delete_pod(pod)
        return fresh
