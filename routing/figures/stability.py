"""How long each recommendation has held: the run of snapshots, ending at the one shown, in
which a Service's leading advice stayed the same.

An SRE acts on advice that holds, not on one that flips with every rollout. The leading advice
is what the recommendations list leads with (routing.figures.traffic.recommendations): the
recommended policy, or, when the best fix is not a policy switch, that fix's kind. Its figures
may move (a volume, an endpoint count) without the advice changing.

Summaries are stored per interval of snapshots in which the Service's analysis stayed the same
(routing.models.ServiceSummary), so the walk back reads a few rows, not one per snapshot, and
stops at the first row whose advice differs, or at a gap (the Service did not exist). Only the
two JSON fields the advice depends on are read, for all the page's Services in one query.
"""

from datetime import datetime
from typing import Any

from django.db.models import Q
from django.db.models.fields.json import KT, KeyTextTransform, KeyTransform

from routing.models import ServiceSummary, Snapshot


def leading_advice(recommendation: dict | None, fixes: list[dict] | None) -> tuple[str, str] | None:
    """What the recommendations list leads with: ("policy", name) or ("fix", kind); None if
    the Service has no advice."""
    best = fixes[0] if fixes else None
    if recommendation and (best is None or best["kind"] == "set-policy"):
        return ("policy", recommendation["policy"])
    if best is not None:
        return ("fix", best["kind"])
    return None


def _advice_of(rec_policy: str | None, fix_kind: str | None) -> tuple[str, str] | None:
    """leading_advice from the two JSON fields it reads (fetched without the rest)."""
    recommendation = {"policy": rec_policy} if rec_policy is not None else None
    return leading_advice(recommendation, [{"kind": fix_kind}] if fix_kind is not None else None)


def _history(snapshot: Snapshot, keys: list[tuple[str, str]]) -> dict[tuple[str, str], list]:
    """Each Service's summary intervals up to `snapshot`, newest first, as (first_seq,
    last_seq, advice): one query for them all, reading two small JSON fields, not the rows."""
    if not keys:
        return {}
    wanted = Q()
    for namespace, name in keys:
        wanted |= Q(namespace=namespace, name=name)
    rows = (
        ServiceSummary.objects.filter(cluster_id=snapshot.cluster_id, first_seq__lte=snapshot.seq)
        .filter(wanted)
        .annotate(
            rec_policy=KT("recommendation__policy"),
            fix_kind=KeyTextTransform("kind", KeyTransform(0, "fixes")),
        )
        .order_by("namespace", "name", "-first_seq")
        .values_list("namespace", "name", "first_seq", "last_seq", "rec_policy", "fix_kind")
    )
    out: dict[tuple[str, str], list] = {}
    for namespace, name, first, last, rec_policy, fix_kind in rows:
        out.setdefault((namespace, name), []).append(
            (first, last, _advice_of(rec_policy, fix_kind))
        )
    return out


def run_start(seq: int, intervals: list[tuple[int, int | None, Any]]) -> int | None:
    """The first seq of the run, ending at `seq`, over which the advice did not change, from
    the Service's intervals newest first; None if it has no advice (or no row) at `seq`."""
    if not intervals:
        return None
    first, last, advice = intervals[0]
    if (last is not None and last <= seq) or advice is None:
        return None
    start = first
    for first, last, other in intervals[1:]:
        if last != start or other != advice:
            break  # a gap (deleted, then created again) or other advice
        start = first
    return start


def stable_since_seq(snapshot: Snapshot, namespace: str, name: str) -> int | None:
    """The first seq of the Service's run of the same leading advice ending at `snapshot`."""
    history = _history(snapshot, [(namespace, name)])
    return run_start(snapshot.seq, history.get((namespace, name), []))


def with_stability(snapshot: Snapshot, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items (recommendations of `snapshot`) with `stableSince`: the seq and time of the
    first snapshot kept with the same advice, `atLeast` when that run reaches back past the
    oldest snapshot kept (pruned history may hold more of it), and `changedHere` when the advice
    is new in `snapshot` against an earlier one. Three queries, however many items."""
    keys = [(item["namespace"], item["name"]) for item in items]
    history = _history(snapshot, keys)
    starts = {key: run_start(snapshot.seq, history.get(key, [])) for key in keys}
    kept = Snapshot.objects.filter(cluster_id=snapshot.cluster_id, seq__lte=snapshot.seq)
    oldest = kept.order_by("seq").values_list("seq", "taken_at").first()
    wanted = {s for s in starts.values() if s is not None}
    times = dict(kept.filter(seq__in=wanted).values_list("seq", "taken_at"))
    out = []
    for item, key in zip(items, keys, strict=True):
        start = starts[key]
        since = None
        if start is not None:
            seq, taken_at = _first_kept(start, times, oldest, snapshot)
            since = {
                "seq": seq,
                "takenAt": _iso(taken_at),
                "seconds": max(0.0, (snapshot.taken_at - taken_at).total_seconds()),
                # Seqs start at 1: a run reaching the oldest snapshot kept, when that is not
                # the first ever taken, may go further back in what pruning deleted.
                "atLeast": oldest is not None and oldest[0] > 1 and start <= oldest[0],
                # New here: an earlier snapshot is kept, and there the advice was other or absent.
                "changedHere": start == snapshot.seq and oldest is not None and oldest[0] < start,
            }
        out.append({**item, "stableSince": since})
    return out


def _first_kept(
    start: int,
    times: dict[int, datetime],
    oldest: tuple[int, datetime] | None,
    snapshot: Snapshot,
) -> tuple[int, datetime]:
    """The first snapshot kept at or after `start`: itself, almost always; the oldest kept when
    pruning deleted the run's beginning; else (a snapshot deleted out of seq order) the next."""
    if start in times:
        return start, times[start]
    if oldest is not None and start <= oldest[0]:
        return oldest
    found = (
        Snapshot.objects.filter(cluster_id=snapshot.cluster_id, seq__gte=start)
        .order_by("seq")
        .values_list("seq", "taken_at")
        .first()
    )
    return found or (snapshot.seq, snapshot.taken_at)


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
