"""Benchmark: many clusters watched by two `manage.py watch` replicas (issue 16, target 5).

The production shape on loopback: N simulated clusters (the `large` scenario, default 20 of
500 Services, 5,000 endpoints, 50 nodes each) served by this process; two watcher processes
exactly as docker-compose.yml's `watcher` runs them (`manage.py watch`, Redis leases split the
clusters), writing to PostgreSQL. Then:

1. steady: every 1/`--rate` s a Service of a random cluster switches its trafficDistribution
   (each Service at most once, so each change has one answer); a change's latency is from the
   instant it was made to the creation of the first snapshot of its cluster that holds it
   (Snapshot.created_at, stamped inside the writing transaction);
2. failover: the replica holding the most clusters is killed (SIGKILL: no goodbye, its leases
   run out), changes go on; the takeover time is from the kill until the other replica holds
   every one of its clusters (the Redis lease keys), then until each of them has a snapshot
   written again (its watcher runs there), and no change may be lost: every change
   of both phases must reach the database.

Memory: each replica's resident set (VmRSS) before any cluster exists and once it holds its
share, so the cost per watched cluster is (RSS - baseline) / clusters held.

Targets: p99 of change-to-database under 2 s while both replicas run; takeover within one lease
period; nothing lost, of the changes made after the kill too (those on the killed replica's
clusters reach the database once the survivor has taken them over: their latency is reported).

    .venv/bin/python benchmarks/bench_watchers.py                          # 20 x 500 Services
    .venv/bin/python benchmarks/bench_watchers.py --clusters 3 --services 50 --endpoints 300 \
        --nodes 6 --steady 5 --failover 8 --lease-ttl 3                     # a quick one

Drops and recreates its own database (default trafficlens_bench_watchers).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from random import Random

import orjson
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_db import django_on  # noqa: E402

P99_TARGET_S = 2.0
TOPOLOGY_ANNOTATIONS = {
    "service.kubernetes.io/topology-mode",
    "service.kubernetes.io/topology-aware-hints",
}
SECRET_KEY = "bench-only-" + "w" * 50


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--services", type=int, default=500, help="per cluster")
    parser.add_argument("--endpoints", type=int, default=5000, help="per cluster")
    parser.add_argument("--nodes", type=int, default=50, help="per cluster")
    parser.add_argument("--rate", type=float, default=5.0, help="changes per second, all clusters")
    parser.add_argument("--steady", type=float, default=60.0, help="seconds of steady changes")
    parser.add_argument("--failover", type=float, default=40.0, help="seconds after the kill")
    parser.add_argument("--lease-ttl", type=float, default=15.0, help="the watchers' lease")
    parser.add_argument("--settle", type=float, default=15.0, help="max wait for the last writes")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="no db name")
    parser.add_argument("--database", default="trafficlens_bench_watchers")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--logs", help="keep the replicas' logs in this folder (r0.log, r1.log)")
    parser.add_argument(
        "--log-level", default="WARNING", help="the replicas' LOG_LEVEL (INFO: each takeover step)"
    )
    parser.add_argument("--json", help="also write the results here")
    return parser.parse_args(argv)


def merged_kubeconfig(sims: list, path: Path) -> None:
    """One kubeconfig with a context per simulated cluster (sim00, sim01, ...)."""
    from routing.kube.sim.kubeconfig import kubeconfig

    doc: dict = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": []}
    for i, sim in enumerate(sims):
        one = kubeconfig(sim.url)
        name = f"sim{i:02d}"
        doc["clusters"].append({"name": name, "cluster": one["clusters"][0]["cluster"]})
        doc["users"].append({"name": name, "user": one["users"][0]["user"]})
        doc["contexts"].append({"name": name, "context": {"cluster": name, "user": name}})
    doc["current-context"] = "sim00"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    path.chmod(0o600)


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def holders(redis_url: str, cluster_ids: list[int]) -> dict[int, str | None]:
    """Which replica holds each cluster's lease now (routing.jobs.locks.Lease keys)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    values = client.mget([f"trafficlens:watch:{pk}" for pk in cluster_ids])
    return {pk: (v.decode() if v else None) for pk, v in zip(cluster_ids, values, strict=True)}


def present(redis_url: str) -> int:
    """How many replicas share the clusters (routing.jobs.presence leases)."""
    import redis

    from routing.jobs.presence import SHARING

    client = redis.Redis.from_url(redis_url)
    return sum(1 for _ in client.scan_iter(match=f"trafficlens:{SHARING}*"))


def start_replica(args: argparse.Namespace, kubeconfig: Path, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": f"{args.pg}/{args.database}",
        "REDIS_URL": args.redis,
        "TRAFFICLENS_KUBECONFIG": str(kubeconfig),
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "LOG_LEVEL": args.log_level,
        "PYTHONUNBUFFERED": "1",  # the start line (its lease holder id) is read from the log
    }
    command = [sys.executable, "manage.py", "watch", "--lease-ttl", str(args.lease_ttl)]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


def holder_in(log: Path) -> str | None:
    found = re.search(r"watcher (watch-[0-9a-f]+) started", log.read_text())
    return found.group(1) if found else None


def wait_until(predicate, timeout: float, what: str, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


class Changes:
    """Switches Services' trafficDistribution, each Service once, and remembers when."""

    def __init__(self, sims: list, clusters: list, seed: int):
        self.rng = Random(seed)
        # Services whose declared policy is their trafficDistribution alone (no topology
        # annotation, which would declare Auto whatever the field says), so that the summary's
        # `policy` tells when the change arrived.
        self.pool = [
            (
                i,
                svc["metadata"]["namespace"],
                svc["metadata"]["name"],
                svc["spec"].get("trafficDistribution"),
            )
            for i, sim in enumerate(sims)
            for svc in sim.objects("services")
            if not set(svc["metadata"].get("annotations") or ()) & TOPOLOGY_ANNOTATIONS
        ]
        self.rng.shuffle(self.pool)
        self.sims, self.clusters = sims, clusters
        self.made: list[dict] = []

    def make(self, phase: str) -> None:
        i, namespace, name, before = self.pool.pop()
        after = "PreferSameZone" if before != "PreferSameZone" else None
        at = time.time()
        self.sims[i].set_traffic_distribution(namespace, name, after)
        self.made.append(
            {
                "cluster": self.clusters[i].pk,
                "namespace": namespace,
                "name": name,
                "policy": after or "none",
                "at": at,
                "phase": phase,
            }  # fmt: skip
        )

    def run(self, seconds: float, rate: float, phase: str) -> None:
        start = time.monotonic()
        n = 0
        while time.monotonic() - start < seconds:
            self.make(phase)
            n += 1
            time.sleep(max(0.0, start + n / rate - time.monotonic()))


def arrival(change: dict) -> float | None:
    """When the first snapshot holding the change was created (None: never)."""
    from django.db.models import Q

    from routing.models import ServiceSummary, Snapshot

    rows = ServiceSummary.objects.filter(
        cluster_id=change["cluster"],
        namespace=change["namespace"],
        name=change["name"],
        policy=change["policy"],
    ).order_by("first_seq")
    for row in rows:
        snaps = Snapshot.objects.filter(cluster_id=change["cluster"], seq__gte=row.first_seq)
        if row.last_seq is not None:
            snaps = snaps.filter(Q(seq__lt=row.last_seq))
        first = snaps.order_by("seq").values_list("created_at", flat=True).first()
        if first is not None and first.timestamp() >= change["at"] - 1e-3:
            return first.timestamp()
    return None


def served_after(cluster_ids: list[int], since: float) -> float | None:
    """Seconds from `since` until every one of the clusters had a snapshot written after it
    (by the replica that took them over: the other is dead); None if one never got one."""
    from routing.models import Snapshot

    firsts = []
    for pk in cluster_ids:
        first = (
            Snapshot.objects.filter(
                cluster_id=pk, created_at__gt=datetime.fromtimestamp(since, UTC)
            )
            .order_by("seq")
            .values_list("created_at", flat=True)
            .first()
        )
        if first is None:
            return None
        firsts.append(first.timestamp() - since)
    return round(max(firsts), 2) if firsts else None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def latencies(changes: list[dict]) -> dict:
    found = [c["latency"] for c in changes if c["latency"] is not None]
    lost = [c for c in changes if c["latency"] is None]
    out: dict = {"changes": len(changes), "lost": len(lost), "lostChanges": lost[:20]}
    out["seconds"] = sorted(round(v, 3) for v in found)
    if found:
        out.update(
            p50=round(statistics.median(found), 3),
            p99=round(percentile(found, 99), 3),
            max=round(max(found), 3),
        )
    return out


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    from benchmarks.bench_analyze import machine

    m = machine()
    print(f"machine: {m['platform']}; {m['cpu']}; nproc {m['nproc']}; {m['python']}", flush=True)
    django_on(args.pg, args.database, fresh=True)
    import redis

    from routing.kube.sim.cluster import SimCluster
    from routing.models import Cluster

    redis.Redis.from_url(args.redis).flushdb()
    sims = []
    started = time.perf_counter()
    for i in range(args.clusters):
        sim = SimCluster(
            "large",
            seed=args.seed + i,
            churn=0,
            services=args.services,
            endpoints=args.endpoints,
            nodes=args.nodes,
        )
        sims.append(sim.start())
    print(f"{args.clusters} simulated clusters up in {time.perf_counter() - started:.1f} s")
    results: dict = {"machine": m, "args": vars(args)}
    replicas: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = Path(tmp, "kubeconfig")
        merged_kubeconfig(sims, kubeconfig)
        try:
            logs = [Path(args.logs or tmp, f"r{r}.log") for r in (0, 1)]
            replicas = [start_replica(args, kubeconfig, log) for log in logs]
            # Each replica's lease holder id, from its start line (routing watch command).
            names = [
                wait_until(lambda log=log: holder_in(log), 60, f"{log.name}'s start line")
                for log in logs
            ]
            # Both present (each announces itself on its first tick) before there is anything to
            # take: else the first to tick counts itself alone and takes every cluster, and the
            # split evens out only a cluster a tick later (a start-up race, not what is measured).
            wait_until(lambda: present(args.redis) == 2, 60, "both replicas' presence leases")
            time.sleep(1)  # supervisors ticking with nothing to take
            baseline = [rss_bytes(p.pid) for p in replicas]
            clusters = [
                Cluster.objects.create(
                    name=f"sim{i:02d}", source=Cluster.Source.KUBECONFIG, kube_context=f"sim{i:02d}"
                )
                for i in range(args.clusters)
            ]
            ids = [c.pk for c in clusters]
            wait_until(
                lambda: all(c.latest_snapshot() for c in Cluster.objects.filter(pk__in=ids)),
                300,
                "a first snapshot of every cluster",
            )
            held = holders(args.redis, ids)
            per_replica = {h: sum(1 for v in held.values() if v == h) for h in set(held.values())}
            print(f"first snapshots of all clusters; leases held: {sorted(per_replica.values())}")
            changes = Changes(sims, clusters, args.seed)
            changes.run(args.steady, args.rate, "steady")
            # Memory once each replica holds its share and has written under change.
            holder_of = holders(args.redis, ids)
            memory = []
            for proc, base in zip(replicas, baseline, strict=True):
                rss = rss_bytes(proc.pid)
                memory.append({"pid": proc.pid, "baselineRss": base, "rss": rss})
            results["memory"] = memory
            # The replica whose clusters to take over: the one holding the most.
            counts = [sum(1 for v in holder_of.values() if v == name) for name in names]
            for entry, n in zip(memory, counts, strict=True):
                entry["clusters"] = n
                if n:
                    entry["perClusterBytes"] = (entry["rss"] - entry["baselineRss"]) // n
            v = max((0, 1), key=lambda r: counts[r])
            victim, survivor_name = replicas[v], names[1 - v]
            theirs = [pk for pk, holder in holder_of.items() if holder == names[v]]
            killed_at, killed_wall = time.monotonic(), time.time()
            victim.send_signal(signal.SIGKILL)
            victim.wait()

            def taken_over() -> bool:
                return all(h == survivor_name for h in holders(args.redis, theirs).values())

            takeover = None
            deadline = killed_at + args.failover
            while time.monotonic() < deadline:
                changes.make("failover")
                if takeover is None and taken_over():
                    takeover = time.monotonic() - killed_at
                time.sleep(1 / args.rate)
            results["failover"] = {
                "clustersOfKilled": len(theirs),
                "takeoverSeconds": round(takeover, 2) if takeover is not None else None,
                "servedSeconds": served_after(theirs, killed_wall),
                "leaseTtl": args.lease_ttl,
            }
            # Let the last changes land, then read every change's arrival.
            settle_until = time.monotonic() + args.settle
            while True:
                for change in changes.made:
                    if change.get("latency") is None:
                        got = arrival(change)
                        change["latency"] = None if got is None else got - change["at"]
                if all(c["latency"] is not None for c in changes.made):
                    break
                if time.monotonic() > settle_until:
                    break
                time.sleep(1)
        finally:
            for proc in replicas:
                if proc.poll() is None:
                    proc.terminate()
                    try:
                        proc.wait(20)
                    except subprocess.TimeoutExpired:
                        proc.kill()
            for sim in sims:
                sim.stop()
    steady = [c for c in changes.made if c["phase"] == "steady"]
    failover = [c for c in changes.made if c["phase"] == "failover"]
    results["steady"] = latencies(steady)
    results["duringFailover"] = latencies(failover)
    report(results)
    if args.json:
        Path(args.json).write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    return results


def report(results: dict) -> None:
    for phase in ("steady", "duringFailover"):
        r = results[phase]
        if phase == "steady":
            ok = r["lost"] == 0 and r.get("p99", 1e9) < P99_TARGET_S
            target = f"p99 < {P99_TARGET_S:.0f} s, none lost"
        else:
            # A change to a killed replica's cluster cannot be stored before the takeover:
            # the target asks of these that none is lost (and of the takeover, its time).
            ok = r["lost"] == 0
            target = "none lost; those on the killed replica's clusters wait for the takeover"
        print(
            f"{phase:15} {r['changes']} changes, lost {r['lost']}; change to database p50 "
            f"{r.get('p50')} s, p99 {r.get('p99')} s, max {r.get('max')} s "
            f"[{'ok' if ok else 'MISSED'}: {target}]"
        )
    f = results["failover"]
    took = f["takeoverSeconds"]
    ok = took is not None and took <= f["leaseTtl"]
    print(
        f"takeover of the killed replica's {f['clustersOfKilled']} clusters: {took} s "
        f"[{'ok' if ok else 'MISSED'}: within one lease period, {f['leaseTtl']:g} s]; "
        f"each wrote a snapshot again {f['servedSeconds']} s after the kill"
    )
    for entry in results["memory"]:
        per = entry.get("perClusterBytes")
        print(
            f"replica {entry['pid']}: {entry['clusters']} clusters, "
            f"RSS {entry['rss'] / 2**20:.0f} MiB (baseline {entry['baselineRss'] / 2**20:.0f} MiB)"
            + (f", {per / 2**20:.1f} MiB per watched cluster" if per else "")
        )


if __name__ == "__main__":
    main()
