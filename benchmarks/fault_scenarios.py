"""The fault matrix's scenarios: inject one fault, make changes, measure how the system recovers.

Each scenario returns what it injected, what it observed and the changes it made; run_scenario
adds the checks every scenario shares (seqs contiguous, every change stored, the last snapshot
equal to the cluster). Times are seconds on the monotonic clock of the benchmark's process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from benchmarks.fault_rig import WATCHER_APP

if TYPE_CHECKING:
    from benchmarks.fault_matrix import Probe, Run

PROBE_EVERY = 5.0  # seconds between changes made during a long fault


@dataclass
class Outcome:
    injected: str
    recovery: str
    notes: str = ""
    stale: str | None = None  # None: from the status samples
    probes: list[Probe] = field(default_factory=list)


def secs(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"


def since(start: float) -> float:
    return time.monotonic() - start


def probes_during(run: Run, seconds: float, wait: bool) -> tuple[list[Probe], list[float | None]]:
    """A change every PROBE_EVERY s for `seconds`; with `wait`, how long each took to be stored."""
    start = time.monotonic()
    probes: list[Probe] = []
    latencies: list[float | None] = []
    while since(start) < seconds:
        probe = run.probe()
        probes.append(probe)
        if wait:
            latencies.append(run.wait_landed(probe, min(15.0, seconds)))
        left = seconds - since(start)
        run.clock.sleep(max(0.0, min(PROBE_EVERY * len(probes) - since(start), left)))
    return probes, latencies


def until_watching(run: Run, timeout: float = 60) -> float | None:
    start = time.monotonic()
    return since(start) if run.clock.wait_for(lambda: run.status() == "watching", timeout) else None


def sigkill_replaced(run: Run) -> Outcome:
    ttl, watcher = run.args.lease_ttl, run.watcher
    watcher.kill()
    killed = time.monotonic()
    probe = run.probe()  # nobody watches: only the scheduler's fallback can store it
    shown = run.clock.wait_for(lambda: run.status() == "stale", 3 * ttl)
    to_stale = since(killed) if shown else None
    stored = run.wait_landed(probe, run.args.scheduler_every + 2 * ttl + 15)
    landed = run.landed(probe)
    watcher.start()
    to_watching = until_watching(run)
    after = run.probe()
    stored_after = run.wait_landed(after, 30)
    fallback = secs(stored + (probe.at - killed) if stored is not None else None)
    return Outcome(
        injected="kill -9 of the only watcher; a new one started after the fallback snapshot",
        stale=f"yes, {secs(to_stale)} after the kill (TTL {ttl:g} s)",
        recovery=f"new watcher `watching` {secs(to_watching)} after its start; "
        f"next change stored in {secs(stored_after)}",
        notes=f"a change made after the kill was stored by a `{landed[1] if landed else '-'}` "
        f"(fallback) snapshot {fallback} after the kill (scheduler every "
        f"{run.args.scheduler_every:g} s)",
        probes=[probe, after],
    )


def sigkill_restarted(run: Run) -> Outcome:
    run.watcher.kill()
    run.watcher.start()
    restarted = time.monotonic()
    probe = run.probe()
    stored = run.wait_landed(probe, 60)
    to_watching = until_watching(run)
    return Outcome(
        injected="kill -9 of the watcher, a new one started at once",
        recovery=f"change made at the restart stored in {secs(stored)}; "
        f"`watching` {secs(since(restarted) if to_watching is not None else None)} after it",
        notes="the new watcher takes the cluster once the dead one's presence lapses (half "
        "the TTL), without waiting for its lease (routing/jobs/presence.py)",
        probes=[probe],
    )


def redis_down(run: Run) -> Outcome:
    watcher, seconds = run.watcher, run.args.redis_down
    holder = watcher.holder(run.clock)
    log_from = run.watcher.log.stat().st_size
    run.redis.stop()
    probes, latencies = probes_during(run, seconds, wait=True)
    alive = watcher.alive()
    run.redis.start()
    back = time.monotonic()
    key = f"trafficlens:watch:{run.cluster.pk}"
    held = run.clock.wait_for(lambda: run.redis.get(key) == holder.encode(), 60, step=0.2)
    to_lease = since(back) if held else None
    after = run.probe()
    stored_after = run.wait_landed(after, 30)
    log = watcher.output(since=log_from)
    stored = [v for v in latencies if v is not None]
    return Outcome(
        injected=f"own redis-server stopped for {seconds:g} s (leases, channel layer)",
        recovery=f"lease held again {secs(to_lease)} after Redis returned; "
        f"next change stored in {secs(stored_after)}",
        notes=f"watcher alive throughout: {'yes' if alive and watcher.alive() else 'NO'}; "
        f"{len(stored)} of {len(probes)} changes made during the outage stored meanwhile, "
        f"slowest in {secs(max(stored) if stored else None)}; outage logged "
        f"{log.count('Redis is unreachable')}x by the supervisor, "
        f"{log.count('cannot publish live events')}x by the live publisher",
        probes=[*probes, after],
    )


def postgres_terminated(run: Run) -> Outcome:
    import psycopg

    with psycopg.connect(f"{run.args.server}/postgres", autocommit=True) as conn:
        killed = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (WATCHER_APP,),
        ).fetchall()
    probe = run.probe()
    stored = run.wait_landed(probe, 30)
    return Outcome(
        injected=f"pg_terminate_backend of the watcher's {len(killed)} connections",
        recovery=f"change made right after stored in {secs(stored)}",
        notes=f"watcher alive: {'yes' if run.watcher.alive() else 'NO'}",
        probes=[probe],
    )


def postgres_unreachable(run: Run) -> Outcome:
    seconds, proxy = run.args.postgres_down, run.proxy
    proxy.cut()
    down = time.monotonic()
    probes, _ = probes_during(run, seconds, wait=False)
    stale = [t for t in run.stale_between(down, time.monotonic())]
    by_fallback = sum(1 for p in probes if (run.landed(p) or (0, ""))[1] == "scheduled")
    proxy.restore()
    back = time.monotonic()
    to_watching = until_watching(run)
    waits = [run.wait_landed(p, 30) for p in probes]
    after = run.probe()
    stored_after = run.wait_landed(after, 30)
    return Outcome(
        injected=f"the watcher's PostgreSQL connections cut, new ones refused, for {seconds:g} s",
        stale=f"yes, {secs(stale[0] - down)} into the outage" if stale else "no",
        recovery=f"`watching` {secs(to_watching)} after the database was reachable again; "
        f"next change stored in {secs(stored_after)}",
        notes=f"watcher alive: {'yes' if run.watcher.alive() else 'NO'}; {by_fallback} of "
        f"{len(probes)} changes made meanwhile stored by the scheduler's fallback snapshots "
        f"before the end, all {'stored' if all(w is not None for w in waits) else 'NOT stored'} "
        f"{secs(since(back))} after it",
        probes=[*probes, after],
    )


def api_500_burst(run: Run) -> Outcome:
    run.sim.faults.fail_next_requests(30, code=500)
    run.sim.faults.drop_watches(abrupt=True)
    probe = run.probe()
    stored = run.wait_landed(probe, 60)
    return Outcome(
        injected="watch connections reset, then the next 30 API requests answer 500",
        recovery=f"change made meanwhile stored in {secs(stored)}",
        probes=[probe],
    )


def api_500_sustained(run: Run) -> Outcome:
    seconds, faults = run.args.api_down, run.sim.faults
    faults.fail_next_requests(10**9, code=500)
    faults.drop_watches(abrupt=True)
    probes, _ = probes_during(run, seconds, wait=False)
    faults.clear()
    back = time.monotonic()
    to_watching = until_watching(run)
    waits = [run.wait_landed(p, 60) for p in probes]
    landed = [w for w in waits if w is not None]
    return Outcome(
        injected=f"every API request answers 500 for {seconds:g} s (watches reset)",
        recovery=f"`watching` {secs(to_watching)} after the API answered again; the changes "
        f"made meanwhile stored {secs(since(back)) if len(landed) == len(probes) else 'NOT'} "
        f"after it",
        notes="the scheduler's fallback snapshots fail meanwhile, as the watcher's lists do",
        probes=probes,
    )


def api_410(run: Run) -> Outcome:
    from routing.models import Cluster

    before = Cluster.objects.get(pk=run.cluster.pk).watch_reconnects
    faults = run.sim.faults
    faults.compact()
    faults.expire_next_watches(8)
    faults.drop_watches()
    probe = run.probe()
    stored = run.wait_landed(probe, 60)
    time.sleep(1.5)  # the watcher reports reconnects once a second
    after = Cluster.objects.get(pk=run.cluster.pk).watch_reconnects
    return Outcome(
        injected="event log compacted, the next 8 watches answer 410 Gone, watches ended",
        recovery=f"change made meanwhile stored in {secs(stored)} (relist)",
        notes=f"{after - before} watch reconnects counted",
        probes=[probe],
    )


def api_drops(run: Run) -> Outcome:
    probes, waits = [], []
    for _ in range(3):
        run.sim.faults.drop_watches(abrupt=True)
        probe = run.probe()
        probes.append(probe)
        waits.append(run.wait_landed(probe, 30))
        run.clock.sleep(1.0)
    stored = [w for w in waits if w is not None]
    return Outcome(
        injected="every watch connection reset mid-stream, 3 times 1 s apart",
        recovery=f"each change stored in at most {secs(max(stored) if stored else None)}",
        probes=probes,
    )


SCENARIOS: dict[str, Callable[[Run], Outcome]] = {
    "watcher-sigkill": sigkill_replaced,
    "watcher-sigkill-restart": sigkill_restarted,
    "redis-down": redis_down,
    "postgres-terminate": postgres_terminated,
    "postgres-unreachable": postgres_unreachable,
    "api-500-burst": api_500_burst,
    "api-500-sustained": api_500_sustained,
    "api-410": api_410,
    "api-drops": api_drops,
}


def run_scenario(run: Run, name: str) -> dict[str, str]:
    first, start = run.latest_seq(), time.monotonic()
    outcome = SCENARIOS[name](run)
    matched = run.clock.wait_for(_safe(run.matches_cluster), 30, step=0.5)
    last = run.latest_seq()
    missing = [p for p in outcome.probes if run.landed(p) is None]
    stale = outcome.stale
    if stale is None:
        seen = run.stale_between(start, time.monotonic())
        stale = f"yes, for about {len(seen) * run.sampler.every:.1f} s" if seen else "no"
    if matched and not missing:
        lost = f"nothing ({len(outcome.probes)} changes; last snapshot = cluster)"
    else:
        lost = f"{len(missing)} changes missing; last snapshot = cluster: {bool(matched)}"
    return {
        "fault": name,
        "injected": outcome.injected,
        "contiguous": f"{'yes' if run.contiguous(first, last) else 'NO'} (seq {first}–{last})",
        "lost": lost,
        "stale": stale,
        "recovery": outcome.recovery,
        "notes": outcome.notes,
    }


def _safe(check: Callable[[], bool]) -> Callable[[], bool]:
    def guarded() -> bool:
        try:
            return check()
        except Exception:  # noqa: BLE001 - e.g. the API still failing: not yet
            return False

    return guarded
