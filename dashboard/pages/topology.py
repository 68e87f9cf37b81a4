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
from routing.figures.policy_services import TOP_SERVICES, policy_services
from routing.figures.traffic import OBSERVED, flow_map
from routing.models import Snapshot
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


def top_services(snapshot: Snapshot, volumes: dict[tuple[str, str], Volume]) -> list[dict]:
    """The Services whose crossing costs most, as observed: by monthly cost where volumes are
    known (those first), else by cost per GB; ties by namespace and name. As the page's JS ranks
    them (from the list API's rows, which carry the same monthly figures and sources)."""
    return policy_services(snapshot, OBSERVED, volumes, TOP_SERVICES)["topServices"]


def page_data(
    cluster_name: str, snapshot: Snapshot | None, policy: str, limits: Thresholds
) -> dict[str, Any]:
    """The JSON the page's module starts from (json_script "topology-data"). Its figures read
    every Service's row: cached per snapshot, policy and volumes, as the API's answers are."""
    if snapshot is None:
        return _page_data(cluster_name, None, policy, limits, {})
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
        lambda: _page_data(cluster_name, snapshot, policy, limits, known.get()),
    )


def _page_data(
    cluster_name: str,
    snapshot: Snapshot | None,
    policy: str,
    limits: Thresholds,
    volumes: dict[tuple[str, str], Volume],
) -> dict[str, Any]:
    return {
        "cluster": cluster_name,
        **limits.as_json(),  # severity colours of the headline figures (routing.figures.health)
        "policy": policy,
        "policies": POLICIES,
        "settingsUrl": reverse("settings", args=[cluster_name]),
        "serviceUrl": reverse("service", args=[cluster_name, "NAMESPACE", "NAME"]),
        "snapshot": snapshot.seq if snapshot is not None else None,
        "flowmap": (
            {"snapshot": snapshot.seq, **flow_map(snapshot, policy)}
            if snapshot is not None
            else None
        ),
        "topServices": top_services(snapshot, volumes) if snapshot is not None else [],
        # Under a what-if policy, the top table under it (GET .../top-services/?policy=).
        "policyServices": (
            {"snapshot": snapshot.seq, **policy_services(snapshot, policy, volumes)}
            if snapshot is not None and policy != OBSERVED
            else None
        ),
        "volumes": {f"{ns}/{name}": v.gb for (ns, name), v in sorted(volumes.items())},
    }


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
