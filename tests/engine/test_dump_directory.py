"""`analyze DIR` on what `kubectl cluster-info dump --output-directory=DIR` writes."""

import json
import pathlib
import subprocess
import sys

import pytest

from routing.engine import InputError, load_path
from tests.engine.kubectl_output import as_json, demo_objects, write_cluster_info_dump

ROOT = pathlib.Path(__file__).resolve().parents[2]
POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "checkout-7d9f-x2x", "namespace": "shop"},
    "spec": {"nodeName": "ip-10-0-0-1"},
    "status": {"phase": "Running"},
}
EVENT = {
    "apiVersion": "v1",
    "kind": "Event",
    "metadata": {"name": "checkout.17a", "namespace": "shop"},
    "reason": "Scheduled",
}


def analyze(path: pathlib.Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "analyze", "--format", "json", str(path)],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def cluster() -> list[dict]:
    return [*demo_objects(), POD, EVENT]


def slices_of(objects: list[dict]) -> list[dict]:
    return [o for o in objects if o["kind"] == "EndpointSlice"]


def test_every_dump_file_is_read_and_the_logs_are_not(tmp_path, cluster):
    write_cluster_info_dump(tmp_path, cluster)
    loaded = load_path(str(tmp_path))
    kinds = [obj["kind"] for _, _, obj in loaded]
    assert kinds.count("Node") == 10 and kinds.count("Service") == 12
    assert kinds.count("Pod") == 1 and kinds.count("Event") == 1
    assert "EndpointSlice" not in kinds  # cluster-info dump writes none
    assert (tmp_path / "shop" / POD["metadata"]["name"] / "logs.txt").exists()
    labels = {prefix for prefix, _, _ in loaded}
    assert {"nodes.json items", "shop/services.json items", "shop/pods.json items"} <= labels


def test_with_endpointslices_added_it_gives_the_plain_dumps_report(tmp_path, cluster):
    write_cluster_info_dump(tmp_path / "dump", cluster)
    slices = {"apiVersion": "v1", "kind": "List", "items": slices_of(cluster)}
    (tmp_path / "dump" / "endpointslices.json").write_text(as_json(slices))
    (tmp_path / "cluster.json").write_text(
        as_json({"apiVersion": "v1", "kind": "List", "items": cluster})
    )
    from_directory, plain = analyze(tmp_path / "dump"), analyze(tmp_path / "cluster.json")
    assert from_directory.returncode == 0, from_directory.stderr
    assert from_directory.stdout == plain.stdout


def test_without_endpointslices_it_still_analyses(tmp_path, cluster):
    write_cluster_info_dump(tmp_path, cluster)
    result = analyze(tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert len(report["services"]) == 12
    assert report["cluster"]["zones"]


def test_yaml_dump_reads_as_the_json_one(tmp_path, cluster):
    write_cluster_info_dump(tmp_path / "json", cluster)
    write_cluster_info_dump(tmp_path / "yaml", cluster, suffix=".yaml")
    as_json_dump = [obj for _, _, obj in load_path(str(tmp_path / "json"))]
    assert [obj for _, _, obj in load_path(str(tmp_path / "yaml"))] == as_json_dump


def test_a_broken_file_is_named(tmp_path, cluster):
    write_cluster_info_dump(tmp_path, cluster)
    (tmp_path / "shop" / "services.json").write_text('{"kind": "ServiceList", "items": [')
    with pytest.raises(InputError, match="not valid JSON") as info:
        load_path(str(tmp_path))
    assert info.value.source == str(tmp_path / "shop" / "services.json")


def test_a_directory_without_dump_files(tmp_path):
    (tmp_path / "shop" / "web-1").mkdir(parents=True)
    (tmp_path / "shop" / "web-1" / "logs.txt").write_text("hello\n")
    with pytest.raises(InputError, match="no .json or .yaml file") as info:
        load_path(str(tmp_path))
    assert info.value.source == str(tmp_path)
