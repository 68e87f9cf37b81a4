"""A cluster's topology page: the zone-to-zone flow map (observed or under a what-if policy),
its heatmap table and the Services whose traffic costs most to cross zones.

The first paint's data comes from stored summaries (routing.figures.traffic.flow_map);
js/topology.js draws the picture from it and re-reads GET
/api/v1/clusters/<name>/flowmap/?policy=... on policy switches and live snapshots.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from dashboard.pages.common import cluster_context, get_cluster, viewer_required
from routing.figures.health import Thresholds
from routing.figures.traffic import OBSERVED, flow_map
from routing.models import ServiceSummary, Snapshot
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
TOP_SERVICES = 10


def top_services(snapshot: Snapshot, volumes: dict[tuple[str, str], Volume]) -> list[dict]:
    """The Services whose crossing costs most: by monthly cost where volumes are known (those
    first), else by cost per GB; ties by namespace and name. As the page's JS ranks them (from
    the list API's rows, which carry the same monthly figures and sources)."""
    rows = ServiceSummary.objects.at(snapshot.cluster_id, snapshot.seq).values_list(
        "namespace", "name", "policy", "cross_zone_fraction", "cost_per_gb"
    )
    items: list[dict[str, Any]] = []
    for namespace, name, policy, cross_zone, cost in rows:
        volume = volumes.get((namespace, name))
        items.append(
            {
                "namespace": namespace,
                "name": name,
                "policy": policy,
                "crossZoneFraction": cross_zone,
                "costPerGb": cost,
                "monthlyGb": volume.gb if volume else None,
                "monthlyCost": cost * volume.gb if volume else None,
                "volumeSource": volume.source if volume else None,
            }
        )
    items.sort(
        key=lambda i: (
            i["monthlyCost"] is None,
            -(i["monthlyCost"] or 0.0),
            -i["costPerGb"],
            i["namespace"],
            i["name"],
        )
    )
    return items[:TOP_SERVICES]


def page_data(
    cluster_name: str, snapshot: Snapshot | None, policy: str, limits: Thresholds
) -> dict[str, Any]:
    """The JSON the page's module starts from (json_script "topology-data")."""
    volumes = SnapshotVolumes(snapshot).get() if snapshot is not None else {}
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
