"""Compare: two snapshots of a cluster side by side (`?from=SEQ&to=SEQ`, `to` defaulting to the
newest): the headline figures before and after with the change, the Services whose figures
changed, and what changed in words. The cluster bar's "Compare with" leads here.

The figures are GET /api/v1/clusters/<name>/compare/'s answer (routing.figures.compare), put in
the page for js/compare.js. A missing, malformed or unknown seq gets the page with a message and
the chooser (400 or 404), never a traceback; `from` newer than `to` is turned round (a redirect),
so the page always reads oldest to newest.
"""

from typing import Any
from urllib.parse import urlencode

import orjson
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from dashboard.pages.common import cluster_context, get_cluster, viewer_required
from routing.api.renderers import ORJSONRenderer
from routing.figures.compare import compare_snapshots
from routing.models import Cluster, Snapshot

CHOICES = 200  # snapshots offered in each of the chooser's lists, newest first


class Problem(Exception):
    """What is wrong with the query, for people, and the page's status."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _seq(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise Problem(
            f"“{raw[:40]}” is not a snapshot number: “{name}” takes a snapshot's number, "
            "as the cluster bar and the timeline show it."
        )
    return int(raw)


def _snapshot(cluster: Cluster, seq: int) -> Snapshot:
    found = cluster.snapshots.filter(seq=seq).first()
    if found is None:
        raise Problem(f"There is no snapshot {seq} of {cluster} (pruned, or never taken).", 404)
    found.cluster = cluster
    return found


def _pair(request: HttpRequest, cluster: Cluster, latest: Snapshot | None):
    """(before, after) snapshots named by the query; None when `from` is not given."""
    first, second = _seq(request, "from"), _seq(request, "to")
    if first is None:
        if second is not None:
            raise Problem("Choose the snapshot to compare from (“from”): the one before.")
        return None
    if latest is None:
        raise Problem(f"{cluster} has no snapshot yet: there is nothing to compare.", 404)
    before = _snapshot(cluster, first)
    after = _snapshot(cluster, second) if second is not None else latest
    if before.seq == after.seq:
        raise Problem(f"Both sides are snapshot {before.seq}: choose two different snapshots.")
    return before, after


@viewer_required
def compare_page(request: HttpRequest, cluster: str, **kwargs: str) -> HttpResponse:
    found = get_cluster(cluster)
    context = cluster_context(request, found, "compare")
    latest = context["latest_snapshot"]
    status = 200
    problem = None
    comparison: dict[str, Any] | None = None
    try:
        pair = _pair(request, found, latest)
    except Problem as exc:
        pair, problem, status = None, str(exc), exc.status
    if pair is not None:
        before, after = pair
        if before.seq > after.seq:  # the page reads oldest to newest
            query = urlencode({"from": after.seq, "to": before.seq})
            return HttpResponseRedirect(f"{reverse('compare', args=[found.name])}?{query}")
        # Through the API's renderer, so the page holds the API's answer to the character
        # (its times keep their microseconds, as the API writes them).
        comparison = orjson.loads(ORJSONRenderer().render(compare_snapshots(before, after)))
    choices = list(found.snapshots.order_by("-seq").values_list("seq", "taken_at")[:CHOICES])
    chosen = (
        (comparison["from"]["seq"], comparison["to"]["seq"]) if comparison else _defaults(choices)
    )
    for seq in chosen:  # an older one reached by its link is offered too
        if seq is not None and all(s != seq for s, _ in choices):
            choices += list(found.snapshots.filter(seq=seq).values_list("seq", "taken_at"))
    data = {
        "cluster": found.name,
        "comparison": comparison,
        "clusterUrl": reverse("cluster", args=[found.name]),
        "serviceUrl": reverse("service", args=[found.name, "NAMESPACE", "NAME"]),
    }
    page = {
        **context,
        "problem": problem,
        "compare_choices": sorted(choices, reverse=True),
        "compare_from": chosen[0],
        "compare_to": chosen[1],
        "data": data,
    }
    return render(request, "pages/compare.html", page, status=status)


def _defaults(choices: list) -> tuple[int | None, int | None]:
    """The chooser's preset without a comparison: the one before the newest, and the newest."""
    if len(choices) < 2:
        return None, choices[0][0] if choices else None
    return choices[1][0], choices[0][0]
