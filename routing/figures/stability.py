"""How long each recommendation has held: the run of snapshots, ending at the one shown, in
which a Service's leading advice stayed the same.

An SRE acts on advice that holds, not on one that flips with every rollout. The leading advice
is what the recommendations list leads with (routing.figures.traffic.recommendations): the
recommended policy, or, when the best fix is not a policy switch, that fix's kind. Its figures
may move (a volume, an endpoint count) without the advice changing.

Summaries are stored per interval of snapshots in which the Service's analysis stayed the same
(routing.models.ServiceSummary), so the walk back reads a few rows, not one per snapshot, and
stops at the first row whose advice differs, or at a gap (the Service did not exist).
"""

from datetime import datetime
from typing import Any

from routing.models import ServiceSummary, Snapshot

CHUNK = 16  # summary rows read at a time while walking back; most runs end within a few


def leading_advice(recommendation: dict | None, fixes: list[dict] | None) -> tuple[str, str] | None:
    """What the recommendations list leads with: ("policy", name) or ("fix", kind); None if
    the Service has no advice."""
    best = fixes[0] if fixes else None
    if recommendation and (best is None or best["kind"] == "set-policy"):
        return ("policy", recommendation["policy"])
    if best is not None:
        return ("fix", best["kind"])
    return None


def stable_since_seq(snapshot: Snapshot, namespace: str, name: str) -> int | None:
    """The first seq of the run, ending at `snapshot`, over which the Service's leading advice
    did not change; None if it has no advice in `snapshot`."""
    rows = (
        ServiceSummary.objects.filter(
            cluster_id=snapshot.cluster_id,
            namespace=namespace,
            name=name,
            first_seq__lte=snapshot.seq,
        )
        .order_by("-first_seq")
        .values_list("first_seq", "last_seq", "recommendation", "fixes")
    )
    advice: tuple[str, str] | None = None
    start: int | None = None
    for first, last, recommendation, fixes in rows.iterator(chunk_size=CHUNK):
        if start is None:  # the row the snapshot shows
            if last is not None and last <= snapshot.seq:
                return None  # the Service is not in this snapshot
            advice = leading_advice(recommendation, fixes)
            if advice is None:
                return None
        elif last != start or leading_advice(recommendation, fixes) != advice:
            break  # a gap (deleted, then created again) or other advice
        start = first
    return start


def with_stability(snapshot: Snapshot, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items (recommendations of `snapshot`) with `stableSince`: the seq and time of the
    first snapshot kept with the same advice, `atLeast` when that run reaches back past the
    oldest snapshot kept (pruned history may hold more of it), and `changedHere` when the advice
    is new in `snapshot` against an earlier one. For one page of items only: each costs a short
    query."""
    kept = Snapshot.objects.filter(cluster_id=snapshot.cluster_id, seq__lte=snapshot.seq)
    oldest = kept.order_by("seq").values_list("seq", flat=True).first()
    out = []
    for item in items:
        start = stable_since_seq(snapshot, item["namespace"], item["name"])
        since = None
        if start is not None:
            first = kept.filter(seq__gte=start).order_by("seq").values_list("seq", "taken_at")[:1]
            seq, taken_at = first[0] if first else (snapshot.seq, snapshot.taken_at)
            since = {
                "seq": seq,
                "takenAt": _iso(taken_at),
                "seconds": max(0.0, (snapshot.taken_at - taken_at).total_seconds()),
                # Seqs start at 1: a run reaching the oldest snapshot kept, when that is not
                # the first ever taken, may go further back in what pruning deleted.
                "atLeast": oldest is not None and oldest > 1 and start <= oldest,
                # New here: an earlier snapshot is kept, and there the advice was other or absent.
                "changedHere": start == snapshot.seq and oldest is not None and oldest < start,
            }
        out.append({**item, "stableSince": since})
    return out


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
