"""One Service: its policy and headline figures, endpoints by zone and node with their hints, what
kube-proxy does (js/proxy_words.js: zones with one outcome in one sentence), the flow picture and
its table (js/service_flows.js), diagnostics, the four-policy comparison with the recommendation
and the change to apply, and its history. The view reads the report stored with the latest
snapshot (routing.figures.reports.service_detail) and renders the figures; js/service.js draws
the rest from it and re-reads GET /api/v1/clusters/<c>/services/<ns>/<name>/ when a snapshot
lands."""

from typing import Any

from django.conf import settings
from django.db.models import Max, Min
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from dashboard.pages.common import cluster_context, get_cluster, viewer_required
from dashboard.pages.format import (
    NO_TRAFFIC,
    gb,
    pct,
    per_gb,
    times,
    usd,
    volume_label,
)
from routing.figures.reports import service_detail
from routing.figures.traffic import patch_yaml
from routing.models import ServiceSummary

SEVERITY_WORDS = {"error": "Error", "warning": "Warning", "info": "Note"}
VOLUME_NOUNS = {
    "measured": "measured volume",
    "simulated": "simulated volume (demo model)",
    "manual": "volume set by hand",
}


def policy_words(policy: dict[str, Any]) -> str:
    """The declared routing policy in a few words (js/service.js says it the same way)."""
    if policy["mechanism"] == "trafficDistribution":
        return f"trafficDistribution: {policy['trafficDistribution']}"
    if policy["mechanism"] == "topologyAuto":
        key = policy.get("topologyAnnotation") or "service.kubernetes.io/topology-mode"
        return f"{key}: {policy.get('topologyMode') or 'Auto'}"
    return "no topology policy"


def volume_words(cost: dict[str, Any], now=None) -> str:
    """Where the Service's volume came from ("measured (..., 12 min ago)", "set by hand"),
    or "no traffic measured" (js/service.js says it the same way)."""
    volume = cost.get("volume")
    if cost.get("monthlyGb") is None or not volume:
        return NO_TRAFFIC
    return volume_label(volume["source"], volume["detail"], volume["at"], now or timezone.now())


def saving_words(detail: dict[str, Any]) -> str:
    """The recommendation's monthly saving with the volume it rests on, or why there is none."""
    rec, cost = detail.get("recommendation"), detail["cost"]
    if not rec:
        return ""
    saved = rec.get("monthlySaved")
    if saved is None or cost.get("monthlyGb") is None:
        return f"Saving per month: {NO_TRAFFIC} for this Service."
    noun = VOLUME_NOUNS.get(str((cost.get("volume") or {}).get("source")), "volume")
    verb = "Saves" if saved >= 0 else "Costs"
    return f"{verb} {usd(abs(saved))} a month, with its {noun} of {gb(cost['monthlyGb'])}."


def compare_words(cost: dict[str, Any], now=None) -> str:
    """What the comparison's Monthly column is, or why it is missing."""
    if cost.get("monthlyGb") is None:
        return f"Monthly figures: {NO_TRAFFIC} for this Service."
    return (
        f"Monthly: each outcome's cost per GB × {gb(cost['monthlyGb'])} a month, "
        f"{volume_words(cost, now)}."
    )


def headline(detail: dict[str, Any], limit: float, now=None) -> list[dict[str, Any]]:
    """The figures at the top of the page: id, label, text, whether it is a warning, and for
    the monthly cost where its volume came from."""
    flows, cost = detail["flows"], detail["cost"]
    figures = [
        {"id": "cross-zone", "label": "Cross-zone", "text": pct(flows["crossZoneFraction"])},
        {"id": "dropped", "label": "Dropped", "text": pct(flows["dropped"])},
        {
            "id": "overload",
            "label": f"Max overload (limit {limit:g}×)",
            "text": times(flows["maxOverload"]),
            "warn": flows["maxOverload"] > limit,
        },
        {"id": "cost", "label": "Cost per GB", "text": per_gb(cost["costPerGb"])},
    ]
    if cost.get("monthlyCost") is not None:
        figures.append(
            {
                "id": "monthly",
                "label": f"A month ({gb(cost['monthlyGb'])})",
                "text": usd(cost["monthlyCost"]),
                "source": volume_words(cost, now),
            }
        )
    else:
        figures.append({"id": "monthly", "label": "A month", "text": NO_TRAFFIC, "none": True})
    return figures


def _bad_key(namespace: str, name: str) -> bool:
    return any(len(part) > 253 or "\x00" in part for part in (namespace, name))


@viewer_required
def service_page(request: HttpRequest, cluster: str, namespace: str, name: str) -> HttpResponse:
    found = get_cluster(cluster)
    context = cluster_context(request, found, "services")
    snapshot = context["snapshot"]
    detail = None
    if snapshot is not None and not _bad_key(namespace, name):
        detail = service_detail(snapshot, namespace, name)
    page = {
        **context,
        "namespace": namespace,
        "name": name,
        "services_url": reverse("services", args=[found.name]),
        "timeline_url": reverse("timeline", args=[found.name]),
    }
    if detail is None:
        earlier = {}
        if not _bad_key(namespace, name):
            earlier = ServiceSummary.objects.filter(
                cluster=found, namespace=namespace, name=name
            ).aggregate(first=Min("first_seq"), last=Max("last_seq"))
        page["missing"] = True
        page["earlier"] = earlier if earlier.get("first") else None
        page["data"] = {"cluster": found.name, "namespace": namespace, "name": name}
        return render(request, "pages/service.html", page, status=404)

    limit = settings.TRAFFICLENS_OVERLOAD_LIMIT
    recommendation = detail.get("recommendation")
    yaml_text = patch_yaml(recommendation["change"]) if recommendation else None
    page.update(
        {
            "detail": detail,
            "policy_words": policy_words(detail["policy"]),
            "figures": headline(detail, limit),
            "compare_words": compare_words(detail["cost"]),
            "saving_words": saving_words(detail),
            "diagnostics": [
                {**d, "label": SEVERITY_WORDS.get(d["severity"], d["severity"])}
                for d in detail["diagnostics"]
            ],
            "recommendation": recommendation,
            "recommendation_yaml": yaml_text,
            "data": {
                "cluster": found.name,
                "namespace": namespace,
                "name": name,
                "seq": snapshot.seq,
                "overloadLimit": limit,
                "detail": detail,
                "yaml": yaml_text,
            },
        }
    )
    return render(request, "pages/service.html", page)
