"""Roles for the API: the Django groups viewer, editor and admin (superusers are admins).

Each role includes the ones below it. Safe methods need `viewer`; unsafe ones need the view's
`write_role` (default `admin`). An authenticated user in none of the groups may do nothing.
"""

from rest_framework.permissions import BasePermission

VIEWER = "viewer"
EDITOR = "editor"
ADMIN = "admin"
ROLES = (VIEWER, EDITOR, ADMIN)  # lowest first
_RANK = {role: i for i, role in enumerate(ROLES, start=1)}
_CACHE_ATTR = "_trafficlens_role"


def role_of(user) -> str | None:
    """The highest role the user holds, or None; read once per user object (one query)."""
    if not user or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return ADMIN
    if not hasattr(user, _CACHE_ATTR):
        names = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        setattr(user, _CACHE_ATTR, max(names, key=_RANK.__getitem__, default=None))
    return getattr(user, _CACHE_ATTR)


def remember_role(user, held: dict[str, bool]) -> None:
    """Record which role groups the user is in, read along with the user (token auth does)."""
    if not user.is_superuser:
        names = [role for role in ROLES if held.get(role)]
        setattr(user, _CACHE_ATTR, max(names, key=_RANK.__getitem__, default=None))


def has_role(user, role: str) -> bool:
    held = role_of(user)
    return held is not None and _RANK[held] >= _RANK[role]


class RolePermission(BasePermission):
    """Authenticated, and the role the method needs: `viewer` to read, `view.write_role` to write.

    Unauthenticated requests fail here with 401 (DRF's NotAuthenticated); a user without the role
    gets 403 with a message naming the role needed.
    """

    message = "This needs a role you do not have."

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if request.method in ("GET", "HEAD", "OPTIONS"):
            needed = getattr(view, "read_role", VIEWER)
        else:
            needed = getattr(view, "write_role", ADMIN)
        if has_role(request.user, needed):
            return True
        self.message = f"This needs the {needed} role."
        return False
