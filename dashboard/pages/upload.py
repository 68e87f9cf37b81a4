"""Upload a kubectl dump as a new snapshot of an existing cluster, or of a new one (admins)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from dashboard.pages.common import role_required
from routing.api.permissions import ADMIN, has_role
from routing.models import Cluster

DUMP_COMMAND = "kubectl get nodes,services,endpointslices,pods -A -o json > dump.json"


def _clusters(is_admin: bool) -> list[dict]:
    """Clusters offered as targets: upload-only ones, and for admins the watched ones too."""
    rows = Cluster.objects.order_by("name")
    if not is_admin:
        rows = rows.filter(source=Cluster.Source.UPLOAD)
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


@role_required("editor")
def upload_page(request: HttpRequest) -> HttpResponse:
    is_admin = has_role(request.user, ADMIN)
    clusters = _clusters(is_admin)
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
