"""Roles: viewer, editor and admin, held on every cluster (global groups) or on some (grants).

Each role includes the ones below it. The Django groups `viewer`, `editor` and `admin` give the
role on every cluster, and superusers are admins everywhere; a ClusterGrant gives a user (or
every member of a group) a role on one cluster. Someone's role on a cluster is the highest of the
two; a cluster on which they hold none is one they do not see at all.

Both are read at most once per user object: the global role with one query (token auth reads it
along with the token, routing.api.auth), the grants with one more, and only when the global role
does not already answer the question.
"""

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from routing.models import Cluster, ClusterGrant

VIEWER = "viewer"
EDITOR = "editor"
ADMIN = "admin"
ROLES = (VIEWER, EDITOR, ADMIN)  # lowest first
_RANK = {role: i for i, role in enumerate(ROLES, start=1)}
_ROLE_ATTR = "_trafficlens_role"
_GRANTS_ATTR = "_trafficlens_grants"


def _highest(roles) -> str | None:
    return max(roles, key=_RANK.__getitem__, default=None)


def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def role_of(user) -> str | None:
    """The user's global role (on every cluster), or None; read once per user object."""
    if not _signed_in(user):
        return None
    if user.is_superuser:
        return ADMIN
    if not hasattr(user, _ROLE_ATTR):
        names = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        setattr(user, _ROLE_ATTR, _highest(names))
    return getattr(user, _ROLE_ATTR)


def remember_role(user, held: dict[str, bool]) -> None:
    """Record which role groups the user is in, read along with the user (token auth does)."""
    if not user.is_superuser:
        setattr(user, _ROLE_ATTR, _highest(role for role in ROLES if held.get(role)))


def has_role(user, role: str) -> bool:
    """Whether the user holds `role` on every cluster (a global group, or superuser)."""
    held = role_of(user)
    return held is not None and _RANK[held] >= _RANK[role]


def _grants_q(user) -> Q:
    """The grants that apply to the user: their own and their groups'."""
    memberships = User.groups.through.objects.filter(user_id=user.pk).values("group_id")
    return Q(user_id=user.pk) | Q(group_id__in=memberships)


def _grants(user) -> dict[str, str]:
    """The user's highest granted role per cluster name; one query, once per user object."""
    if not hasattr(user, _GRANTS_ATTR):
        best: dict[str, str] = {}
        rows = ClusterGrant.objects.filter(_grants_q(user)).values_list("cluster__name", "role")
        for name, role in rows:
            best[name] = max(role, best[name], key=_RANK.__getitem__) if name in best else role
        setattr(user, _GRANTS_ATTR, best)
    return getattr(user, _GRANTS_ATTR)


def _name(cluster: Cluster | str) -> str:
    return cluster if isinstance(cluster, str) else cluster.name


def role_on(user, cluster: Cluster | str) -> str | None:
    """The user's role on the cluster (a Cluster or its name): global role or grants, the higher.

    None: the user may not see the cluster. A name no cluster has gives the global role.
    """
    held = role_of(user)
    if not _signed_in(user) or held == ADMIN:
        return held
    return _highest(r for r in (held, _grants(user).get(_name(cluster))) if r is not None)


def has_role_on(user, cluster: Cluster | str, role: str) -> bool:
    """Whether the user holds `role` on the cluster; asks for grants only if the global role
    falls short."""
    if has_role(user, role):
        return True
    held = role_on(user, cluster)
    return held is not None and _RANK[held] >= _RANK[role]


def hides_cluster(user, cluster: Cluster | str) -> bool:
    """Whether the cluster is to look absent to the user (404, never 403): they hold a role,
    but none on it. Users with no role at all are refused (403) without a word on clusters."""
    return not has_role_on(user, cluster, VIEWER) and highest_role(user) is not None


def highest_role(user) -> str | None:
    """The highest role the user holds anywhere: globally or on at least one cluster."""
    held = role_of(user)
    if not _signed_in(user) or held == ADMIN:
        return held
    return _highest(r for r in (held, *_grants(user).values()) if r is not None)


def has_role_anywhere(user, role: str) -> bool:
    """Whether the user holds `role` globally or on at least one cluster."""
    if has_role(user, role):
        return True
    held = highest_role(user)
    return held is not None and _RANK[held] >= _RANK[role]


def clusters_with_role(user, role: str) -> QuerySet[Cluster]:
    """The clusters on which the user holds at least `role`, as one query (no rows read yet)."""
    if has_role(user, role):
        return Cluster.objects.all()
    if not _signed_in(user):
        return Cluster.objects.none()
    enough = [r for r in ROLES if _RANK[r] >= _RANK[role]]
    granted = ClusterGrant.objects.filter(_grants_q(user), role__in=enough).values("cluster_id")
    return Cluster.objects.filter(pk__in=granted)


def visible_clusters(user) -> QuerySet[Cluster]:
    """The clusters the user may see: every one with a global role, else the granted ones."""
    return clusters_with_role(user, VIEWER)


def manages_tokens_of(actor, owner) -> bool:
    """Whether `actor` may issue, list and revoke API tokens of `owner`.

    A token acts as its user, so issuing one for someone is acting as them: superusers alone
    may for superusers; global admins may for everyone else; an admin of some clusters only for
    themselves (their token then acts with their grants).
    """
    if actor.pk == owner.pk:
        return has_role_anywhere(actor, ADMIN)
    if owner.is_superuser:
        return bool(actor.is_superuser)
    return has_role(actor, ADMIN)


def manageable_tokens_q(actor) -> Q:
    """A filter on ApiToken rows: the tokens whose owner `actor` manages (manages_tokens_of)."""
    if actor.is_superuser:
        return Q()
    if has_role(actor, ADMIN):
        return Q(user__is_superuser=False) | Q(user_id=actor.pk)
    return Q(user_id=actor.pk)
