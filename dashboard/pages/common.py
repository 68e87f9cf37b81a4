"""What every page shares: sign-in and role checks, the cluster lookup and the page context."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from routing.api.permissions import VIEWER, has_role
from routing.models import Cluster

View = Callable[..., HttpResponse]


def role_required(role: str = VIEWER) -> Callable[[View], View]:
    """Signed-out visitors go to sign-in; signed-in ones without the role get a 403 page."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, role):
                context = {"role": role, "no_live": True}
                return render(request, "pages/forbidden.html", context, status=403)
            try:
                return view(request, *args, **kwargs)
            except Http404 as missing:  # the product's own page, also when DEBUG is on
                context = {"message": str(missing), "no_live": True}
                return render(request, "404.html", context, status=404)

        return wrapped

    return decorate


viewer_required = role_required(VIEWER)


def get_cluster(name: str) -> Cluster:
    try:
        return Cluster.objects.get(name=name)
    except Cluster.DoesNotExist:
        raise Http404(f"No cluster named {name!r}.") from None


def cluster_context(request: HttpRequest, cluster: Cluster, section: str) -> dict[str, Any]:
    """The context every cluster page starts from: the cluster, its latest snapshot, the tab."""
    return {
        "cluster": cluster,
        "snapshot": cluster.latest_snapshot(),
        "section": section,
        "can_edit": has_role(request.user, "editor"),
        "is_admin": has_role(request.user, "admin"),
    }
