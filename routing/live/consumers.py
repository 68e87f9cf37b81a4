"""The live socket: /ws/clusters/<name>/ (one cluster) or /ws/clusters/ (every cluster).

Refuses sockets without a signed-in viewer: it accepts, then closes with an application code
the page understands (a close before accepting reaches the browser only as code 1006):
4401 not signed in, 4403 no role (on any cluster), 4404 no such cluster or one the user may not
see. /ws/clusters/ follows only the clusters the user may see (routing.roles). On connect it
joins its clusters' groups and sends `hello` with each cluster's status and latest seq, so a page
that reconnects learns what it missed; then it forwards every event of those groups.
"""

from typing import Any

import orjson
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from routing.live.events import HelloCluster, group_name, hello
from routing.models import Snapshot, effective_status
from routing.roles import VIEWER, has_role_anywhere, visible_clusters

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404


class ClusterConsumer(AsyncJsonWebsocketConsumer):
    groups: list[str] = []  # joined in connect (Channels would join class-level ones itself)

    async def connect(self) -> None:
        self.joined: list[str] = []
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if not await database_sync_to_async(has_role_anywhere)(user, VIEWER):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        name = self.scope["url_route"]["kwargs"].get("cluster")
        clusters = await database_sync_to_async(_clusters)(user, name)
        if name is not None and not clusters:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        for cluster_id, _ in clusters:
            group = group_name(cluster_id)
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.append(group)
        await self.send_json(hello([shown for _, shown in clusters]))

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """The socket only pushes; whatever a client sends is ignored."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every handler, in a worker thread:
        # a thread hop per event per socket, 40% of the ASGI server's time with 1,000 sockets
        # (docs/benchmarks.md). Forwarding an event touches no database, so it goes straight
        # to its handler; connect and the rest still get the clean-up.
        if message["type"] == "live.event":
            await self.live_event(message)
        else:
            await super().dispatch(message)

    async def live_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        return orjson.dumps(content).decode()  # once per event per socket: the fast encoder


def _clusters(user, name: str | None) -> list[tuple[int, HelloCluster]]:
    """The clusters a socket follows (of those the user may see): id, and what `hello` says."""
    newest = Snapshot.objects.filter(cluster=OuterRef("pk")).order_by("-seq")
    clusters = visible_clusters(user).order_by("name")
    query = clusters.annotate(
        seq=Subquery(newest.values("seq")[:1]), taken_at=Subquery(newest.values("taken_at")[:1])
    )
    if name is not None:
        query = query.filter(name=name)
    rows = query.values(
        "id", "name", "status", "status_message", "watch_lease_expires_at", "seq", "taken_at"
    )
    now = timezone.now()
    followed: list[tuple[int, HelloCluster]] = []
    for c in rows:
        # As the pages and the API show it: stale once the watcher stopped renewing its lease.
        shown = effective_status(
            c["status"], c["status_message"], c["watch_lease_expires_at"], now=now
        )
        followed.append(
            (
                c["id"],
                {
                    "name": c["name"],
                    "status": shown.code,
                    "message": shown.message,
                    "seq": c["seq"],
                    "takenAt": c["taken_at"].isoformat() if c["taken_at"] else None,
                },
            )
        )
    return followed
