"""Fault matrix: what the watcher and the scheduler do when a part dies, measured end to end.

The production-shaped pieces, natively, on loopback only:
- PostgreSQL (the benchmark's own database, recreated), which the watcher reaches through a
  TCP proxy of this script's own so that its connections can be cut (benchmarks/fault_rig.py);
- a `redis-server` of the script's own on a free port (leases and the live channel layer);
- the simulated `demo` cluster (simcluster's server, in this process, no churn: the script makes
  every change itself, so it knows what each snapshot must contain);
- `manage.py watch --lease-ttl T`, as compose's watcher runs it;
- the scheduler: beat's `snapshot_due_clusters` every 10 s in a thread here, the snapshot it
  dispatches run here as a worker would (Celery eager).

Faults, one after another on the same cluster: watcher SIGKILL (replaced later, and restarted at
once), Redis down, PostgreSQL connections terminated (pg_terminate_backend) and PostgreSQL
unreachable for the watcher, the simulated API answering 500 (a burst, and for a while), 410 Gone
and dropped connections. For each: are the snapshots contiguous (seqs without gaps), is nothing
lost (every change made reaches a snapshot, and the last one equals the cluster), was the cluster
shown stale, and how long recovery took (fault end to the next snapshot with a change / status
watching / lease held again). Bounded: every wait has a timeout and the whole run a time limit
(--time-limit); it stops its processes itself, whatever happens.

    .venv/bin/python benchmarks/fault_matrix.py                      # every fault, ~6 minutes
    .venv/bin/python benchmarks/fault_matrix.py --only redis-down --redis-down 10
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import fault_scenarios  # noqa: E402
from benchmarks.bench_db import fresh_database  # noqa: E402
from benchmarks.fault_rig import (  # noqa: E402
    Clock,
    OwnRedis,
    Sampler,
    Scheduler,
    TcpProxy,
    TimeLimit,
    WatcherProcess,
)

SECRET_KEY = "bench-only-" + "f" * 50
PROBE_SERVICES = ("catalog", "email", "cart", "checkout", "sessions", "inventory", "frontend")
POLICIES = ("PreferSameZone", "PreferSameNode", "PreferClose", None)


@dataclass
class Probe:
    """One change made by the script: a Service's trafficDistribution set to `policy`."""

    service: str
    policy: str | None
    seq_before: int
    at: float  # monotonic


class Run:
    """The rig of one run and the checks every scenario shares."""

    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args = args
        self.tmp = tmp
        self.clock = Clock(args.time_limit)
        self.redis = OwnRedis(tmp)
        self.proxy: TcpProxy | None = None
        self.sim = None
        self.watcher: WatcherProcess | None = None
        self.sampler: Sampler | None = None
        self.scheduler: Scheduler | None = None
        self.policies: dict[str, str | None] = {}
        self.probe_count = 0

    # -- set-up and tear-down ---------------------------------------------------------------

    def start(self) -> None:
        args = self.args
        self.redis.start()
        fresh_database(args.server, args.database)
        host, port = args.server.rsplit(":", 1)
        self.proxy = TcpProxy(int(port))
        kubeconfig = self.tmp / "sim.kubeconfig"
        os.environ.update(
            DATABASE_URL=f"{args.server}/{args.database}",
            REDIS_URL=self.redis.url,
            TRAFFICLENS_SIM_KUBECONFIG=str(kubeconfig),
            DJANGO_SETTINGS_MODULE="dashboard.settings",
            DEBUG="false",
            SECRET_KEY=SECRET_KEY,
            LOG_LEVEL="WARNING",
        )
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from routing.kube.sim import SimCluster
        from routing.models import Cluster

        self.sim = SimCluster(scenario="demo", seed=11, churn=0, bookmark_interval=1.0)
        self.sim.start(port=0)
        self.sim.write_kubeconfig(kubeconfig)

        self.cluster = Cluster.objects.create(
            name="faults", source="simulated", kube_context="simcluster", snapshot_interval=10
        )
        watcher_env = {
            **os.environ,
            "DATABASE_URL": f"{host}:{self.proxy.port}/{args.database}",
            "LOG_LEVEL": "INFO",
        }
        self.watcher = WatcherProcess(watcher_env, self.tmp / "watch.log", args.lease_ttl)
        self.sampler = Sampler(self.cluster.pk)
        self.scheduler = Scheduler(args.scheduler_every)
        for service in self.sim.objects("services"):
            meta, spec = service["metadata"], service["spec"]
            self.policies[meta["name"]] = spec.get("trafficDistribution")
        self.watcher.start()
        self.holder = self.watcher.holder(self.clock)
        if not self.clock.wait_for(lambda: self.status() == "watching" and self.latest_seq(), 60):
            raise RuntimeError(f"the watcher never took the cluster:\n{self.watcher.output()}")
        self.sampler.start()
        self.scheduler.start()

    def stop(self) -> None:
        for part in (self.scheduler, self.sampler):
            if part is not None:
                part.stop_event.set()
        if self.watcher is not None:
            self.watcher.stop()
        if self.proxy is not None:
            self.proxy.close()
        if self.sim is not None:
            self.sim.stop()
        self.redis.stop()

    # -- observations -----------------------------------------------------------------------

    def status(self) -> str:
        from routing.models import Cluster

        return Cluster.objects.get(pk=self.cluster.pk).effective_status().code

    def latest_seq(self) -> int:
        from routing.models import Snapshot

        latest = Snapshot.objects.filter(cluster_id=self.cluster.pk).order_by("-seq").first()
        return latest.seq if latest else 0

    def contiguous(self, first: int, last: int) -> bool:
        from routing.models import Snapshot

        seqs = Snapshot.objects.filter(cluster_id=self.cluster.pk, seq__gte=first, seq__lte=last)
        return sorted(seqs.values_list("seq", flat=True)) == list(range(first, last + 1))

    def probe(self) -> Probe:
        """Switch the next Service to a policy it does not have."""
        service = PROBE_SERVICES[self.probe_count % len(PROBE_SERVICES)]
        self.probe_count += 1
        current = self.policies[service]
        policy = POLICIES[(POLICIES.index(current) + 1) % len(POLICIES)]
        seq_before = self.latest_seq()
        self.sim.set_traffic_distribution("shop", service, policy)
        self.policies[service] = policy
        return Probe(service, policy, seq_before, time.monotonic())

    def landed(self, probe: Probe) -> tuple[int, str] | None:
        """(seq, source) of the first snapshot holding the probe's change, if one does."""
        from routing.models import ServiceSummary, Snapshot

        row = (
            ServiceSummary.objects.filter(
                cluster_id=self.cluster.pk,
                namespace="shop",
                name=probe.service,
                policy=probe.policy or "none",
                first_seq__gt=probe.seq_before,
            )
            .order_by("first_seq")
            .first()
        )
        if row is None:
            return None
        source = Snapshot.objects.get(cluster_id=self.cluster.pk, seq=row.first_seq).source
        return row.first_seq, source

    def wait_landed(self, probe: Probe, timeout: float = 60) -> float | None:
        """Seconds from the change to a snapshot holding it (polled every 0.1 s), or None."""
        if self.clock.wait_for(lambda: self.landed(probe), timeout) is None:
            return None
        return time.monotonic() - probe.at

    def matches_cluster(self) -> bool:
        """Whether the latest snapshot's objects are exactly what the cluster's API lists now."""
        from routing.jobs.ingest import client_for
        from routing.kube.listing import list_cluster
        from routing.models import Snapshot
        from routing.snapshots import objects_at
        from routing.snapshots.trim import trim_object

        def keyed(objects: list[dict]) -> dict:
            return {
                (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]): o
                for o in objects
            }

        latest = Snapshot.objects.filter(cluster_id=self.cluster.pk).order_by("-seq").first()
        listed, _ = list_cluster(client_for(self.cluster), trim=trim_object)
        return latest is not None and keyed(objects_at(latest)) == keyed(listed)

    def stale_between(self, start: float, end: float) -> list[float]:
        assert self.sampler is not None
        return [t for t, code in self.sampler.between(start, end) if code == "stale"]


def machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )


def table(rows: list[dict]) -> str:
    head = "| fault | injected | contiguous | nothing lost | shown stale | recovery | notes |"
    lines = [head, "|---|---|---|---|---|---|---|"]
    for r in rows:
        cells = [r["fault"], r["injected"], r["contiguous"], r["lost"], r["stale"]]
        cells += [r["recovery"], r["notes"]]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="trafficlens_bench_faults")
    parser.add_argument("--lease-ttl", type=float, default=3.0, help="the watcher's, seconds")
    parser.add_argument("--scheduler-every", type=float, default=10.0, help="beat's period")
    parser.add_argument("--redis-down", type=float, default=60.0, help="seconds")
    parser.add_argument("--postgres-down", type=float, default=20.0, help="seconds")
    parser.add_argument("--api-down", type=float, default=20.0, help="seconds of 500s")
    parser.add_argument("--time-limit", type=float, default=900.0, help="seconds, whole run")
    parser.add_argument("--only", action="append", choices=list(fault_scenarios.SCENARIOS))
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    if not (1.0 <= args.lease_ttl <= 60 and 1.0 <= args.scheduler_every <= 60):
        parser.error("--lease-ttl and --scheduler-every must lie between 1 and 60 s")

    started = datetime.datetime.now(datetime.UTC)
    tmp = Path(tempfile.mkdtemp(prefix="fault-matrix-"))
    run = Run(args, tmp)
    rows: list[dict] = []
    try:
        run.start()
        first_seq = run.latest_seq()
        for name in args.only or list(fault_scenarios.SCENARIOS):
            print(f"-- {name}", flush=True)
            row = fault_scenarios.run_scenario(run, name)
            print(f"   {row}", flush=True)
            rows.append(row)
        overall = run.contiguous(first_seq, run.latest_seq())
    except TimeLimit:
        print(f"time limit of {args.time_limit:.0f} s reached; reporting what was measured")
        overall = False
    finally:
        run.stop()
    scheduler_failures = len(run.scheduler.failures) if run.scheduler else 0
    print()
    print(f"machine: {machine()}; {started:%Y-%m-%d %H:%M} UTC")
    print(
        f"watcher lease TTL {args.lease_ttl:g} s (heartbeat every {args.lease_ttl / 3:g} s), "
        f"scheduler every {args.scheduler_every:g} s; whole run's seqs contiguous: {overall}; "
        f"scheduler ticks that failed: {scheduler_failures}; watcher log: {tmp / 'watch.log'}"
    )
    print(table(rows))
    if args.json:
        args.json.write_bytes(orjson.dumps(rows, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
