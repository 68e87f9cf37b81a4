"""What every page shares: sign-in and role checks, the cluster lookup and the page context."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from dashboard.pages.time_travel import snapshot_view
from dashboard.pages.volumes import status_view, traffic_source
from routing.models import Cluster
from routing.roles import ADMIN, EDITOR, VIEWER, has_role_anywhere, has_role_on, hides_cluster

View = Callable[..., HttpResponse]


def role_required(role: str = VIEWER) -> Callable[[View], View]:
    """Signed-out visitors go to sign-in; signed-in ones without the role get a 403 page.

    On a cluster's pages (a `cluster` argument) the role is the one on that cluster, and a
    cluster the user may not see is the 404 page, as one that does not exist. Elsewhere a role
    on any cluster will do (the page shows only what it covers). Users without any role, global
    or granted, get the 403 page everywhere.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            try:
                if not _allowed(request.user, role, kwargs.get("cluster")):
                    context = {"role": role, "no_live": True}
                    return render(request, "pages/forbidden.html", context, status=403)
                return view(request, *args, **kwargs)
            except Http404 as missing:  # the product's own page, also when DEBUG is on
                context = {"message": str(missing), "no_live": True}
                return render(request, "404.html", context, status=404)

        return wrapped

    return decorate


viewer_required = role_required(VIEWER)


def _allowed(user, role: str, cluster: str | None) -> bool:
    """Whether the user may open the page; Http404 for a cluster they may not see."""
    if cluster is None:
        return has_role_anywhere(user, role)
    if has_role_on(user, cluster, role):
        return True
    if hides_cluster(user, cluster):
        raise Http404(f"No cluster named {cluster!r}.")
    return False


def get_cluster(name: str) -> Cluster:
    try:
        return Cluster.objects.get(name=name)
    except Cluster.DoesNotExist:
        raise Http404(f"No cluster named {name!r}.") from None


def service_url(cluster: str, namespace: str, name: str) -> str | None:
    """The Service page's URL, or None for a name no URL can hold (one with "/" or empty):
    uploads refuse such names, but a page must still show whatever is stored, unlinked."""
    try:
        return reverse("service", args=[cluster, namespace, name])
    except NoReverseMatch:
        return None


def cluster_context(request: HttpRequest, cluster: Cluster, section: str) -> dict[str, Any]:
    """The context every cluster page starts from: the cluster, the snapshot it shows (the
    newest, or the one `?snapshot=SEQ` pins: dashboard.pages.time_travel), the tab, and its
    traffic source with the status the stale-volumes banner shows (base.html)."""
    source = traffic_source(cluster)
    return {
        "cluster": cluster,
        **snapshot_view(request, cluster, section),
        "section": section,
        "can_edit": has_role_on(request.user, cluster, EDITOR),
        "is_admin": has_role_on(request.user, cluster, ADMIN),
        "traffic_source": source,
        "volume_status": status_view(source),
    }
