"""A cluster's topology page: the zone-to-zone flow map (observed or under a what-if policy),
its heatmap table and the Services whose traffic costs most to cross zones (under a what-if
policy: ranked by their figures under it, beside the observed ones).

The first paint's data comes from stored summaries (routing.figures.traffic.flow_map,
routing.figures.policy_services); js/topology.js draws the picture from it and re-reads GET
/api/v1/clusters/<name>/flowmap/?policy=... and .../top-services/?policy=... on policy switches
and live snapshots.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from dashboard.pages.common import cluster_context, get_cluster, viewer_required
from routing.api.cache import snapshot_value
from routing.figures.health import Thresholds
from routing.figures.policy_services import policy_services
from routing.figures.runs import OBSERVED, Run, read_runs
from routing.figures.traffic import flow_map
from routing.models import Snapshot
from routing.snapshots.write import gc_paused
from routing.volumes.lookup import SnapshotVolumes, Volume

# The toggle's choices: the flow map's `policy` values, with what each one means.
POLICIES = [
    {"key": OBSERVED, "label": "Observed", "about": "as the cluster routes now, from its hints"},
    {
        "key": "PreferSameNode",
        "label": "PreferSameNode",
        "about": "every Service used trafficDistribution: PreferSameNode",
    },
    {
        "key": "PreferSameZone",
        "label": "PreferSameZone",
        "about": "every Service used trafficDistribution: PreferSameZone "
        "(PreferClose is its older name: same behaviour)",
    },
    {
        "key": "Auto",
        "label": "Auto",
        "about": "every Service had the service.kubernetes.io/topology-mode: Auto annotation",
    },
    {
        "key": "none",
        "label": "none",
        "about": "no Service used topology routing (endpoints chosen cluster-wide)",
    },
]
POLICY_KEYS = {p["key"] for p in POLICIES}


def top_services(
    snapshot: Snapshot, volumes: dict[tuple[str, str], Volume], runs: list[Run] | None = None
) -> list[dict]:
    """The Services whose crossing costs most, as observed: by monthly cost where volumes are
    known (those first), else by cost per GB; ties by namespace and name. As the page's JS ranks
    them (from the list API's rows, which carry the same monthly figures and sources). `runs`:
    the snapshot's rows as already read, under any policy (routing.figures.runs)."""
    return policy_services(snapshot, OBSERVED, volumes, runs=runs)["topServices"]


def page_data(
    cluster_name: str, snapshot: Snapshot | None, policy: str, limits: Thresholds
) -> dict[str, Any]:
    """The JSON the page's module starts from (json_script "topology-data"). Its figures read
    every Service's row: cached per snapshot, policy and volumes, as the API's answers are."""
    if snapshot is None:
        return _page_data(cluster_name, None, policy, limits, None)
    known = SnapshotVolumes(snapshot)
    parts: list[tuple[str, Any]] = [
        ("cluster", cluster_name),
        ("policy", policy),
        ("volumes", known.stamp()),
    ]
    parts += sorted(limits.as_json().items())
    return snapshot_value(
        "topology",
        snapshot.pk,
        snapshot.created_at,
        parts,
        lambda: _page_data(cluster_name, snapshot, policy, limits, known),
    )


# The page's figures read every Service's row once and keep the runs: the collector stays off
# until they are freed, on return (routing.figures.runs.read_runs says why).
@gc_paused()
def _page_data(
    cluster_name: str,
    snapshot: Snapshot | None,
    policy: str,
    limits: Thresholds,
    known: SnapshotVolumes | None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "cluster": cluster_name,
        **limits.as_json(),  # severity colours of the headline figures (routing.figures.health)
        "policy": policy,
        "policies": POLICIES,
        "settingsUrl": reverse("settings", args=[cluster_name]),
        "serviceUrl": reverse("service", args=[cluster_name, "NAMESPACE", "NAME"]),
        "snapshot": None,
        "flowmap": None,
        "topServices": [],
        "policyServices": None,  # under a what-if policy: the top table under it
    }
    if snapshot is None or known is None:
        return data
    # One read of every Service row serves the flow map, the observed top table (kept for a
    # switch back) and, under a what-if policy, the top table under it.
    runs = read_runs(snapshot, policy, matrices=True)
    volumes = known.get()
    data["snapshot"] = snapshot.seq
    data["flowmap"] = {"snapshot": snapshot.seq, **flow_map(snapshot, policy, runs, known)}
    data["topServices"] = top_services(snapshot, volumes, runs)
    if policy != OBSERVED:
        data["policyServices"] = {
            "snapshot": snapshot.seq,
            **policy_services(snapshot, policy, volumes, runs=runs),
        }
    return data


@viewer_required
def cluster_page(request: HttpRequest, cluster: str, **kwargs: str) -> HttpResponse:
    found = get_cluster(cluster)
    context = cluster_context(request, found, "topology")
    snapshot = context["snapshot"]
    if snapshot is not None:
        snapshot.cluster = found  # flow_map and volumes read it; saves a query
    policy = request.GET.get("policy", OBSERVED)
    if policy not in POLICY_KEYS:
        policy = OBSERVED
    context["policy"] = policy
    context["policies"] = POLICIES
    context["data"] = page_data(found.name, snapshot, policy, Thresholds.of(found))
    return render(request, "pages/cluster.html", context)
