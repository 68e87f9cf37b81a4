"""Which snapshot a cluster page shows: the newest, or the one a deep link pins (`?snapshot=SEQ`).

A pinned page is a fixed point in time: it is not refreshed by live snapshots (js/live.js), its
tabs and Service links keep the pin, and the cluster bar offers the way back to the newest. The
picker lists the newest snapshots first; an older one is reached by its link (the timeline lists
them all). Beside it, "Compare with" opens the comparison of the snapshot shown with another
(dashboard/pages/compare.py)."""

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest

from routing.models import Cluster, Snapshot

PICKER_SIZE = 50  # snapshots offered in the cluster bar's picker, newest first
PINNABLE = ("topology", "services", "recommendations")  # sections that show one snapshot


def requested_seq(request: HttpRequest) -> int | None:
    raw = request.GET.get("snapshot", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def snapshot_view(request: HttpRequest, cluster: Cluster, section: str) -> dict[str, Any]:
    """The page's snapshot and what the cluster bar shows about it."""
    latest = cluster.latest_snapshot()
    seq = requested_seq(request) if section in PINNABLE else None
    pinned: Snapshot | None = None
    missing = None
    if seq is not None and latest is not None and seq != latest.seq:
        pinned = cluster.snapshots.filter(seq=seq).first()
        if pinned is None:
            missing = seq  # pruned, or never taken: the newest is shown, with a note
    shown = pinned or latest
    recent = []  # the picker is only on the pages that show one snapshot
    if section in PINNABLE:
        recent = list(
            cluster.snapshots.order_by("-seq").values_list("seq", "taken_at")[:PICKER_SIZE]
        )
    if pinned is not None and all(s != pinned.seq for s, _ in recent):
        recent.append((pinned.seq, pinned.taken_at))
    keep = [(k, v) for k, v in request.GET.items() if k not in ("snapshot", "page")]
    return {
        # "Compare with": the shown snapshot against another, preset to the one before it.
        "compare_default": _compare_default(recent, shown),
        "snapshot": shown,
        "latest_snapshot": latest,
        "pinned": pinned is not None,
        "snapshot_missing": missing,
        "snapshot_choices": recent,
        "snapshot_keep": keep,
        "pin_query": f"?{urlencode({'snapshot': pinned.seq})}" if pinned is not None else "",
    }


def _compare_default(recent: list, shown: Snapshot | None) -> int | None:
    """The snapshot the cluster bar's "Compare with" offers first: the newest one older than
    the one shown, else (the oldest is shown) the newest other one."""
    if shown is None:
        return None
    others = [seq for seq, _ in recent if seq != shown.seq]
    older = [seq for seq in others if seq < shown.seq]
    return max(older) if older else (others[0] if others else None)
