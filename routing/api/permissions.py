"""The API's permission check, over the roles of routing.roles (global groups and grants).

Safe methods need `viewer`; unsafe ones need the view's `write_role` (default `admin`). On a path
naming a cluster (`{cluster}`), that is the role on that cluster, and a cluster the user holds no
role on is a 404, as if it did not exist. Elsewhere it is the global role, unless the view sets
`role_anywhere` (it then shows only what the user's grants cover). A user with no role at all,
neither global nor granted, gets 403 everywhere.
"""

from rest_framework.permissions import BasePermission

from routing.api.lookups import cluster_not_found
from routing.roles import ADMIN, VIEWER, has_role, has_role_anywhere, has_role_on, hides_cluster


class RolePermission(BasePermission):
    """Authenticated, and the role the method needs: `viewer` to read, `view.write_role` to write.

    Unauthenticated requests fail here with 401 (DRF's NotAuthenticated); a user without the role
    gets 403 with a message naming the role needed.
    """

    message = "This needs a role you do not have."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if request.method in ("GET", "HEAD", "OPTIONS"):
            needed = getattr(view, "read_role", VIEWER)
        else:
            needed = getattr(view, "write_role", ADMIN)
        cluster = (getattr(view, "kwargs", None) or {}).get("cluster")
        if cluster is not None:
            allowed = has_role_on(user, cluster, needed)
            if not allowed and hides_cluster(user, cluster):
                raise cluster_not_found(cluster)
        else:
            anywhere = getattr(view, "role_anywhere", False)
            allowed = has_role(user, needed) or (anywhere and has_role_anywhere(user, needed))
        if not allowed:
            self.message = f"This needs the {needed} role."
        return allowed
