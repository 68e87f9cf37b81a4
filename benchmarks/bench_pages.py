"""Benchmark: the dashboard's pages (first paint, server side) on a 10,000-Service snapshot.

Stores one snapshot of the generator's cluster in a fresh PostgreSQL database and times each
page's server response (Django's test client in this process: view, queries, template; no
network, no browser), best of `--repeat`, plus the API calls the pages' scripts make on the
policy toggle. What the browser then does (scripts, charts) is not timed here.

    .venv/bin/python benchmarks/bench_pages.py
    .venv/bin/python benchmarks/bench_pages.py --services 500 --endpoints 5000 --nodes 60
    .venv/bin/python benchmarks/bench_pages.py --volumes   # a measured volume for every Service

Drops and recreates its own database (default trafficlens_bench_pages).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_db import django_on  # noqa: E402
from benchmarks.gen_cluster import add_size_arguments, generate  # noqa: E402

PAGES = [
    "/",
    "/clusters/big/",
    "/clusters/big/?policy=none",
    "/clusters/big/services/",
    "/clusters/big/services/?page=50&ordering=-cross_zone",
    "/clusters/big/services/?policy=none&min_cross_zone=0.5&ordering=-cost",
    "/clusters/big/services/?search=batch",
    "/clusters/big/services/?ordering=-dropped",
    "/clusters/big/services/?ordering=-recommendation",
    "/clusters/big/services/?ordering=-diagnostics&page=50",
    "/clusters/big/services/?ordering=-health",
    "/clusters/big/services/?zone=us-east-1a&ordering=-cost",
    "/clusters/big/services/{service}/",
    "/clusters/big/recommendations/",
    "/clusters/big/timeline/",
    "/clusters/big/settings/",
    "/api/v1/clusters/big/flowmap/",
    "/api/v1/clusters/big/flowmap/?policy=Auto",
    "/api/v1/clusters/big/top-services/",
    "/api/v1/clusters/big/top-services/?policy=Auto",
    "/api/v1/clusters/big/top-services/?policy=PreferSameZone",
    "/api/v1/clusters/big/namespaces/",
    "/api/v1/clusters/big/services/?format=csv",
    "/api/v1/clusters/big/services/?format=json",
    "/api/v1/clusters/big/services/?format=csv&search=batch&ordering=-recommendation",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_size_arguments(parser)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="trafficlens_bench_pages")
    parser.add_argument(
        "--cache",
        action="store_true",
        help="keep the answer cache on (in process memory): repeats are then cache hits, the "
        "figure for a page asked for again; off (default), every request does the work",
    )
    parser.add_argument(
        "--volumes",
        action="store_true",
        help="give every Service a measured volume (one fetch, as bench_api.py --runs volumes): "
        "the pages then rank and weigh by monthly GB",
    )
    parser.add_argument("--json", help="also write the results as JSON to this file")
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "k" * 50)
    os.environ["REDIS_URL"] = ""  # no Redis: the cache, if on, is this process's memory
    os.environ["TRAFFICLENS_API_CACHE_SECONDS"] = "600" if args.cache else "0"
    django_on(args.server, args.database)

    import orjson
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from routing.models import Cluster, ServiceSummary
    from routing.snapshots import import_dump

    sizes = dict(services=args.services, endpoints=args.endpoints, nodes=args.nodes)
    doc = generate(**sizes, zones=args.zones, seed=args.seed, pods=args.pods)
    cluster = Cluster.objects.create(name="big", source=Cluster.Source.UPLOAD)
    started = time.perf_counter()
    import_dump(cluster, orjson.dumps(doc))
    print(f"stored {args.services} Services in {time.perf_counter() - started:.1f} s")
    # A web server's process holds no generated cluster: kept alive here (millions of objects),
    # every full collection of the cyclic collector during the pages would scan it.
    del doc
    gc.collect()
    with connection.cursor() as cursor:  # what autovacuum does soon after such a write
        cursor.execute("VACUUM ANALYZE routing_servicesummary")
    with_volume = 0
    if args.volumes:
        from benchmarks.bench_api import set_volumes

        with_volume = set_volumes(cluster.pk, True, args.seed)
        print(f"measured volumes for {with_volume} Services")
    first = ServiceSummary.objects.filter(cluster=cluster).order_by("namespace", "name").first()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.create_superuser("bench", password="bench-" * 3))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"{'page':62} status     size   best of {args.repeat}")
    pages = {}
    for path in PAGES:
        path = path.format(service=f"{first.namespace}/{first.name}")
        times = []
        for _ in range(args.repeat):
            begun = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - begun)
        size = len(response.content) / 1024
        print(f"{path:62} {response.status_code}   {size:6.0f} KiB {min(times) * 1000:8.0f} ms")
        pages[path] = {"status": response.status_code, "kib": size, "bestMs": min(times) * 1000}
    if args.json:
        results = {"services": args.services, "servicesWithVolume": with_volume, "pages": pages}
        Path(args.json).write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
