"""Upload a kubectl dump as a new snapshot of an existing cluster, or of a new one (admins of
every cluster)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from dashboard.pages.common import role_required
from routing.models import Cluster
from routing.roles import ADMIN, EDITOR, clusters_with_role, has_role, has_role_on
from routing.snapshots import intake

DUMP_COMMAND = f"{intake.DUMP_COMMAND} > dump.json"


def _clusters(user) -> list[dict]:
    """Clusters offered as targets: the upload-only ones the user edits, and the watched ones
    they are an admin of (a dump there is a snapshot next to the watcher's)."""
    rows = [
        c
        for c in clusters_with_role(user, EDITOR).order_by("name")
        if c.source == Cluster.Source.UPLOAD or has_role_on(user, c, ADMIN)
    ]
    return [
        {
            "name": c.name,
            "label": str(c),
            "upload": c.source == Cluster.Source.UPLOAD,
            "clusterUrl": reverse("cluster", args=[c.name]),
            "timelineUrl": reverse("timeline", args=[c.name]),
        }
        for c in rows
    ]


def _size(limit: int) -> str:
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if limit >= factor:
            return f"{limit / factor:.3g} {unit}"
    return f"{limit} bytes"


@role_required(EDITOR)
def upload_page(request: HttpRequest) -> HttpResponse:
    is_admin = has_role(request.user, ADMIN)  # may add a cluster: an admin of every cluster
    clusters = _clusters(request.user)
    preselect = request.GET.get("cluster", "")
    limit = settings.TRAFFICLENS_UPLOAD_MAX_BYTES
    data = {
        "clusters": clusters,
        "isAdmin": is_admin,
        "limit": limit,
        "limitText": _size(limit),
        # Turned into a cluster's page and timeline for a cluster created here.
        "clusterUrl": reverse("cluster", args=["CLUSTER"]),
        "timelineUrl": reverse("timeline", args=["CLUSTER"]),
    }
    context = {
        "title": "Upload a dump",
        "clusters": clusters,
        "upload_clusters": [c for c in clusters if c["upload"]],
        "watched_clusters": [c for c in clusters if not c["upload"]],
        "preselect": preselect,
        "is_admin": is_admin,
        "limit_text": data["limitText"],
        "limit_bytes": f"{limit:,}",
        "command": DUMP_COMMAND,
        "data": data,
    }
    return render(request, "pages/upload.html", context)
