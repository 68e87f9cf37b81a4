"""Benchmark: peak memory of one upload, at the upload limits and past them, on PostgreSQL.

Each case is a dump written to a temporary directory, then uploaded in a fresh Python process
through the real API view (its parsers, checks, analysis and storage; the body is streamed from
the file in 64 KB reads as a WSGI server would), and the process's peak RSS (VmHWM) is read from
/proc. The target: under ~1 GB for anything accepted.

    .venv/bin/python benchmarks/bench_upload_memory.py                 # every case
    .venv/bin/python benchmarks/bench_upload_memory.py --cases refused-600k-pods

Cases (defaults of the TRAFFICLENS_UPLOAD_MAX_* settings unless the case says otherwise):
    generated-50mb      the benchmarks' generated cluster, as large as fits in 50 MB
    generated-limits    the generated cluster at the count limits (5,000 Nodes, 10,000 Services,
                        150,000 endpoints and Pods): 117 MB, run with the byte limit raised
    minimal-limits      every kind at its limit with minimal objects, 300,000 endpoints
    labels-50mb         10,000 Services whose labels fill 50 MB (all of them are stored)
    values-50mb         one Pod with fields trimming drops: one-entry maps (all keys different) up
                        to the JSON value budget, then one long string, 50 MB in all
    strings-50mb        one Pod with a field of two-letter strings filling 50 MB (refused)
    yaml-10mb           the generated cluster as YAML, 10 MB
    yaml-values-10mb    one Pod with a flow list of short scalars up to the YAML value budget
    yaml-maps-10mb      one Pod with a flow list of empty maps filling 10 MB of YAML (refused)
    refused-600k-pods   the issue's 37 MB of 600,000 Pods (refused: TRAFFICLENS_UPLOAD_MAX_PODS)
    refused-100k-services  the issue's 7.6 MB of 100,000 Services (refused)

It drops and recreates its own database (default trafficlens_upload_bench).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_db import django_on  # noqa: E402

MB = 1024 * 1024
ZONES = ("bench-1a", "bench-1b", "bench-1c")


def _memory() -> dict[str, float]:
    """VmRSS and VmHWM (peak) of this process, in MB."""
    found = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                found[line[:5]] = int(line.split()[1]) / 1024
    return found


# --- the dumps --------------------------------------------------------------------------------


def _list(items: Iterator[bytes]) -> Iterator[bytes]:
    yield b'{"apiVersion":"v1","kind":"List","items":['
    for i, item in enumerate(items):
        yield (b"," if i else b"") + item
    yield b"]}\n"


def _node(i: int) -> dict:
    return {
        "kind": "Node",
        "metadata": {"name": f"n{i}", "labels": {"topology.kubernetes.io/zone": ZONES[i % 3]}},
        "status": {
            "allocatable": {"cpu": "4"},
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }


def _service(i: int, labels: dict | None = None) -> dict:
    meta = {"name": f"s{i}", "namespace": "bench"}
    if labels:
        meta["labels"] = labels
    return {"kind": "Service", "metadata": meta, "spec": {"selector": {"app": f"s{i}"}}}


def _minimal_limits() -> Iterator[bytes]:
    """5,000 Nodes, 10,000 Services, 20,000 slices with 300,000 endpoints, 150,000 Pods."""
    dumps = orjson.dumps
    for i in range(5000):
        yield dumps(_node(i))
    for i in range(10000):
        yield dumps(_service(i))
    for i in range(20000):
        svc = i % 10000
        endpoints = [
            {
                "addresses": [f"10.{i // 250}.{i % 250}.{k}"],
                "conditions": {"ready": True},
                "nodeName": f"n{(i + k) % 5000}",
                "zone": ZONES[(i + k) % 5000 % 3],
            }
            for k in range(15)
        ]
        slice_ = {
            "kind": "EndpointSlice",
            "addressType": "IPv4",
            "metadata": {
                "name": f"s{svc}-{i}",
                "namespace": "bench",
                "labels": {"kubernetes.io/service-name": f"s{svc}"},
            },
            "endpoints": endpoints,
        }
        yield dumps(slice_)
    for i in range(150000):
        pod = {
            "kind": "Pod",
            "metadata": {"name": f"p{i}", "namespace": "bench"},
            "spec": {"nodeName": f"n{i % 5000}"},
            "status": {"phase": "Running"},
        }
        yield dumps(pod)


def _labels_50mb() -> Iterator[bytes]:
    """10,000 Services, each with as many short labels as make the dump 50 MB (as dense as the
    JSON value budget allows)."""
    per_service = 355  # 10,000 x 355 labels of 14 bytes each: just under 50 MB in all
    for i in range(3):
        yield orjson.dumps(_node(i))
    for i in range(10000):
        labels = {f"k{j:04d}": f"v{j % 100:02d}" for j in range(per_service)}
        yield orjson.dumps(_service(i, labels))


def _values_50mb() -> Iterator[bytes]:
    """A Node, and a Pod with fields that trimming drops: one-entry maps with keys all different,
    the most memory per counted value found, up to the JSON value budget
    (routing/snapshots/intake.py), then one long string."""
    from routing.snapshots.intake import _BYTES_PER_JSON_VALUE

    yield orjson.dumps(_node(0))
    maps = (50 * MB // _BYTES_PER_JSON_VALUE - 40) // 2  # `{` and `,` count for each
    rest = 50 * MB - 18 * maps - 1000
    pod = b'{"kind":"Pod","metadata":{"name":"p","namespace":"bench"},"padding":['
    entries = (b'{"k%07d":"bc"}' % i for i in range(maps))
    yield pod + b",".join(entries) + b'],"more":"' + b"x" * rest + b'"}'


def _strings_50mb() -> Iterator[bytes]:
    """A Node, and a Pod with a field (dropped when trimmed) of two-letter strings: the densest
    memory per byte of JSON text after empty maps and lists."""
    yield orjson.dumps(_node(0))
    strings = (50 * MB - 1000) // 5
    pod = b'{"kind":"Pod","metadata":{"name":"p","namespace":"bench"},"padding":['
    yield pod + b",".join([b'"ab"'] * strings) + b"]}"


def _many(kind: str, count: int) -> Iterator[bytes]:
    """The issue's refused dumps: many minimal objects of one kind, with a Node."""
    yield orjson.dumps(_node(0))
    for i in range(count):
        if kind == "Pod":
            pod = {"kind": "Pod", "metadata": {"name": f"p{i}", "namespace": "default"}}
            yield orjson.dumps(pod)
        else:
            yield orjson.dumps({"kind": "Service", "metadata": {"name": f"s{i}"}, "spec": {}})


def _generated(**size: int) -> Iterator[bytes]:
    from benchmarks.gen_cluster import generate

    doc = generate(**size)
    for obj in doc["items"]:
        yield orjson.dumps(obj)


def _generated_yaml(**size: int) -> Iterator[bytes]:
    """The generated cluster as `kubectl get -o yaml` prints it (block style, no aliases)."""
    import yaml

    from benchmarks.gen_cluster import generate

    doc = orjson.loads(orjson.dumps(generate(**size)))  # no shared objects, so no aliases
    yield yaml.dump(doc, Dumper=yaml.CSafeDumper, default_flow_style=False).encode()


def _yaml_maps(megabytes: int) -> Iterator[bytes]:
    """A Node and a Pod whose ignored field is a flow list of empty maps filling the YAML."""
    node = orjson.dumps(_node(0)).decode()
    count = (megabytes * MB - 1000) // 3
    yield f"apiVersion: v1\nkind: List\nitems:\n- {node}\n- kind: Pod\n".encode()
    yield b"  metadata: {name: p, namespace: bench}\n  padding: [" + b",".join([b"{}"] * count)
    yield b"]\n"


def _yaml_values(megabytes: int) -> Iterator[bytes]:
    """A Node and a Pod whose ignored field is a flow list of two-letter scalars up to the YAML
    value budget (routing/snapshots/intake.py), then one long scalar."""
    from routing.snapshots.intake import _BYTES_PER_YAML_VALUE

    node = orjson.dumps(_node(0)).decode()
    count = megabytes * MB // _BYTES_PER_YAML_VALUE - 100
    rest = megabytes * MB - 3 * count - 1000
    yield f"apiVersion: v1\nkind: List\nitems:\n- {node}\n- kind: Pod\n".encode()
    yield b"  metadata: {name: p, namespace: bench}\n  padding: [" + b",".join([b"ab"] * count)
    yield b"]\n  more: " + b"x" * rest + b"\n"


def _json(items: Callable[[], Iterator[bytes]]) -> Callable[[], Iterator[bytes]]:
    return lambda: _list(items())


CASES: dict[str, tuple[Callable[[], Iterator[bytes]], dict[str, str]]] = {
    "generated-50mb": (_json(lambda: _generated(services=4000, endpoints=60000, nodes=2000)), {}),
    "generated-limits": (
        _json(lambda: _generated(services=10000, endpoints=150000, nodes=5000)),
        {"TRAFFICLENS_UPLOAD_MAX_BYTES": str(200 * MB)},
    ),
    "minimal-limits": (_json(_minimal_limits), {}),
    "labels-50mb": (_json(_labels_50mb), {}),
    "values-50mb": (_json(_values_50mb), {}),
    "strings-50mb": (_json(_strings_50mb), {}),
    "yaml-10mb": (lambda: _generated_yaml(services=840, endpoints=12600, nodes=420), {}),
    "yaml-values-10mb": (lambda: _yaml_values(10), {}),
    "yaml-maps-10mb": (lambda: _yaml_maps(10), {}),
    "refused-600k-pods": (_json(lambda: _many("Pod", 600_000)), {}),
    "refused-100k-services": (_json(lambda: _many("Service", 100_000)), {}),
}


def write_case(name: str, folder: Path) -> Path:
    path = folder / f"{name}.{'yaml' if name.startswith('yaml') else 'json'}"
    with open(path, "wb") as f:
        for chunk in CASES[name][0]():
            f.write(chunk)
    return path


# --- one upload, in its own process -----------------------------------------------------------


def upload(path: Path, server: str, database: str) -> dict:
    """Upload the file through the API view; runs in the child process."""
    django_on(server, database, fresh=False)
    from django.contrib.auth.models import Group, User
    from django.core.handlers.wsgi import WSGIRequest
    from rest_framework.test import force_authenticate

    from routing.api.snapshot_views import SnapshotViewSet
    from routing.models import Cluster, Snapshot

    name = f"bench-{os.getpid()}"
    Cluster.objects.create(name=name, source=Cluster.Source.UPLOAD)
    user = User.objects.create_user(name)
    user.groups.add(Group.objects.get_or_create(name="editor")[0])
    view = SnapshotViewSet.as_view({"post": "create"})
    size = path.stat().st_size
    before = _memory()
    started = time.perf_counter()
    with open(path, "rb") as body:
        request = WSGIRequest(
            {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": f"/api/v1/clusters/{name}/snapshots/",
                "CONTENT_TYPE": "application/" + path.suffix[1:],
                "CONTENT_LENGTH": str(size),
                "SERVER_NAME": "localhost",
                "SERVER_PORT": "80",
                "wsgi.input": body,
                "wsgi.url_scheme": "http",
            }
        )
        force_authenticate(request, user)
        response = view(request, cluster=name)
        response.render()
    seconds = time.perf_counter() - started
    peak = _memory()["VmHWM"]
    answer = json.loads(response.content)
    return {
        "status": response.status_code,
        "seconds": round(seconds, 1),
        "megabytes": round(size / MB, 1),
        "baselineMB": round(before["VmRSS"]),
        "peakMB": round(peak),
        "stored": Snapshot.objects.filter(cluster__name=name).count(),
        "answer": (answer.get("error") or {}).get("message") or answer.get("counts"),
    }


def run_case(name: str, path: Path, args: argparse.Namespace) -> dict:
    env = {**os.environ, "LOG_LEVEL": "WARNING", **CASES[name][1]}
    child = [sys.executable, __file__, "--child", str(path), "--server", args.server]
    result = subprocess.run(
        [*child, "--database", args.database], env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"{name} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="+", choices=sorted(CASES), default=list(CASES))
    parser.add_argument(
        "--server", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL, no db name"
    )
    parser.add_argument("--database", default="trafficlens_upload_bench")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(upload(Path(args.child), args.server, args.database)))
        return {}
    from benchmarks.bench_analyze import machine

    m = machine()
    print(f"machine: {m['platform']}; {m['cpu']}; nproc {m['nproc']}; {m['python']}")
    django_on(args.server, args.database)  # fresh and migrated, once for all cases
    results = {}
    with tempfile.TemporaryDirectory(prefix="tl-upload-bench-") as tmp:
        for name in args.cases:
            path = write_case(name, Path(tmp))
            results[name] = run_case(name, path, args)
            path.unlink()
            r = results[name]
            print(
                f"{name:22} {r['megabytes']:6.1f} MB  HTTP {r['status']}  {r['seconds']:5.1f} s  "
                f"peak {r['peakMB']:5} MB (before the request {r['baselineMB']} MB)  "
                f"{r['answer']}",
                flush=True,
            )
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": m, "results": results}, indent=2))
    return results


if __name__ == "__main__":
    main()
