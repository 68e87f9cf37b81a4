"""Two teams sharing one TrafficLens: team A holds a role on cluster `a` only, team B on `b` only.

The role comes from a ClusterGrant, given either to the user itself or to a group the user is in
(`via`); neither team member is in a global role group. `gina` is a global viewer (the `viewer`
group), who sees both clusters.
"""

from dataclasses import dataclass

from django.contrib.auth.models import Group, User

from routing.models import Cluster, ClusterGrant
from routing.snapshots import import_dump
from tests.factories import DEMO_DUMP

VIAS = ("user", "group")


@dataclass
class Teams:
    a: Cluster
    b: Cluster
    alice: User  # team A
    bob: User  # team B
    gina: User  # global viewer


def grant(user: User, cluster: Cluster, role: str, via: str) -> ClusterGrant:
    """Give `user` `role` on `cluster`, directly or through a group of its own."""
    if via == "user":
        return ClusterGrant.objects.create(cluster=cluster, user=user, role=role)
    group, _ = Group.objects.get_or_create(name=f"team-{cluster.name}-{role}")
    user.groups.add(group)
    return ClusterGrant.objects.get_or_create(cluster=cluster, group=group, role=role)[0]


def two_teams(role: str, via: str, *, snapshots: bool = True) -> Teams:
    """Clusters `a` and `b` (each with a snapshot of the demo dump unless told otherwise), and
    alice with `role` on a, bob with `role` on b, gina a global viewer."""
    a = Cluster.objects.create(
        name="a", display_name="Team A cluster", source=Cluster.Source.UPLOAD
    )
    b = Cluster.objects.create(
        name="b", display_name="Team B cluster", source=Cluster.Source.UPLOAD
    )
    if snapshots:
        for cluster in (a, b):
            import_dump(cluster, DEMO_DUMP.read_bytes())
    alice = User.objects.create_user("alice", password="pw-alice-1")
    bob = User.objects.create_user("bob", password="pw-bob-1")
    gina = User.objects.create_user("gina", password="pw-gina-1")
    gina.groups.add(Group.objects.get_or_create(name="viewer")[0])
    grant(alice, a, role, via)
    grant(bob, b, role, via)
    return Teams(a=a, b=b, alice=alice, bob=bob, gina=gina)
