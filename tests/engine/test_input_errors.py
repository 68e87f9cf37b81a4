"""Bad input ends in one clear line naming the file and object, exit status 2, never a traceback."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from routing.engine import InputError, build_cluster, load_bytes

ROOT = pathlib.Path(__file__).resolve().parents[2]

SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
}


def analyze(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "analyze", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
    )


def assert_clean_error(result: subprocess.CompletedProcess, *fragments: str) -> str:
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert "Traceback" not in err
    assert err.startswith("analyze: error: ") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, err
    assert result.stdout == b""
    return err


def write(tmp_path: pathlib.Path, name: str, content: bytes | str) -> str:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return str(path)


def test_malformed_json(tmp_path):
    path = write(tmp_path, "bad.json", '{"kind": "List", "items": [')
    assert_clean_error(analyze(path), "bad.json", "not valid JSON")


def test_empty_file(tmp_path):
    assert_clean_error(analyze(write(tmp_path, "empty.json", "  \n")), "empty.json", "empty")


def test_json_array_of_numbers(tmp_path):
    assert_clean_error(
        analyze(write(tmp_path, "nums.json", "[1, 2, 3]")),
        "nums.json",
        "top level[0]",
        "a number, not a Kubernetes object",
    )


def test_service_without_metadata(tmp_path):
    doc = {"kind": "List", "items": [{"kind": "Service", "spec": {}}]}
    assert_clean_error(
        analyze(write(tmp_path, "svc.json", json.dumps(doc))),
        "svc.json",
        "items[0] (Service)",
        "has no metadata",
    )


def test_garbage_of_200_mb(tmp_path):
    path = tmp_path / "garbage.bin"
    chunk = os.urandom(1 << 20)
    with path.open("wb") as fh:
        for _ in range(200):
            fh.write(chunk)
    assert_clean_error(analyze(str(path)), "garbage.bin")


def test_text_garbage_is_refused_without_parsing_it_all(tmp_path):
    path = write(tmp_path, "words.txt", "lorem ipsum dolor sit amet\n" * 200_000)
    assert_clean_error(analyze(path), "words.txt", "not JSON or YAML")


def test_missing_file_and_second_path_named(tmp_path):
    good = write(tmp_path, "good.json", json.dumps({"kind": "List", "items": [SERVICE]}))
    assert_clean_error(analyze(good, str(tmp_path / "nope.json")), "nope.json", "cannot read")


def test_broken_endpoint_names_slice(tmp_path):
    slice_ = {
        "kind": "EndpointSlice",
        "metadata": {
            "name": "web-abc",
            "namespace": "shop",
            "labels": {"kubernetes.io/service-name": "web"},
        },
        "addressType": "IPv4",
        "endpoints": [{"addresses": "10.0.0.1"}],
    }
    path = write(tmp_path, "s.json", json.dumps({"kind": "List", "items": [SERVICE, slice_]}))
    assert_clean_error(analyze(path), "EndpointSlice shop/web-abc", "endpoints[0].addresses")


def test_invalid_yaml_names_line(tmp_path):
    path = write(tmp_path, "bad.yaml", "apiVersion: v1\nkind: Service\nmetadata: [\n")
    assert_clean_error(analyze(path), "bad.yaml", "not valid YAML", "line")


def test_bad_option_values_exit_2(tmp_path):
    good = write(tmp_path, "good.json", json.dumps({"kind": "List", "items": [SERVICE]}))
    assert analyze(good, "--overload-limit", "0.5").returncode == 2
    assert analyze(good, "--monthly-gb", "abc").returncode == 2
    assert_clean_error(analyze(good, "--service", "nope"), "NAMESPACE/NAME")
    assert_clean_error(analyze(good, "--service", "shop/missing"), "shop/missing")


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        (
            {
                "kind": "Service",
                "metadata": {"name": "x"},
                "spec": {"internalTrafficPolicy": "Nearby"},
            },
            "internalTrafficPolicy",
        ),
        ({"kind": "Service", "metadata": {"name": "x"}, "spec": []}, "spec must be an object"),
        (
            {
                "kind": "Node",
                "metadata": {"name": "n1"},
                "status": {"allocatable": {"cpu": "lots"}},
            },
            "Node n1: status.allocatable.cpu",
        ),
        ({"kind": "Node", "metadata": {"labels": {}}}, "metadata.name is missing"),
        (
            {
                "kind": "EndpointSlice",
                "metadata": {"name": "s", "labels": {}},
                "addressType": "IPX",
            },
            "addressType",
        ),
        ({"kind": 7}, "kind is a number"),
        ({"metadata": {"name": "x"}}, "has no kind"),
    ],
)
def test_structural_errors_name_the_object(doc, fragment):
    with pytest.raises(InputError) as info:
        build_cluster(load_bytes(json.dumps({"kind": "List", "items": [doc]}).encode()))
    assert fragment in str(info.value)


def test_unknown_kinds_and_missing_optional_fields_are_tolerated():
    items = [
        {"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}},
        {"kind": "Node", "metadata": {"name": "n1"}},  # no labels, no status: not Ready, no zone
        {"kind": "Service", "metadata": {"name": "s"}, "spec": {}},  # namespace defaults
        {
            "kind": "EndpointSlice",
            "metadata": {"name": "s-1", "labels": {"kubernetes.io/service-name": "s"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.0.0.1"]}],
        },  # conditions all nil
    ]
    cluster = build_cluster(load_bytes(json.dumps({"kind": "List", "items": items}).encode()))
    (svc,) = cluster.services
    assert (svc.namespace, svc.type, svc.internal_traffic_policy) == (
        "default",
        "ClusterIP",
        "Cluster",
    )
    (ep,) = svc.endpoints
    assert ep.proxy_ready and not ep.controller_ready and not ep.proxy_serving_terminating
    assert cluster.nodes[0].ready is False and cluster.nodes[0].zone == ""


def test_yaml_documents_and_typed_lists():
    text = """
apiVersion: v1
kind: Service
metadata: {name: a, namespace: ns}
spec: {selector: {app: a}}
---
apiVersion: v1
kind: NodeList
items:
- metadata: {name: n1, labels: {topology.kubernetes.io/zone: z1}}
  status: {conditions: [{type: Ready, status: "True"}], allocatable: {cpu: 4}}
"""
    cluster = build_cluster(load_bytes(text.encode()))
    assert [s.key for s in cluster.services] == ["ns/a"]
    assert cluster.nodes[0].zone == "z1" and cluster.nodes[0].cpu_millis == 4000


def test_stdin_dash():
    doc = json.dumps({"kind": "List", "items": [SERVICE]}).encode()
    result = analyze("-", "--format", "json", stdin=doc)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["services"][0]["name"] == "web"


def test_yaml_alias_bomb_is_refused(tmp_path):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        lines.append(
            f"{chr(97 + i)}: &{chr(97 + i)} [*{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}]"
        )
    path = write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    assert_clean_error(analyze(path), "bomb.yaml", "YAML aliases are not accepted")


def test_yaml_with_star_in_a_value_still_loads():
    text = 'kind: Service\nmetadata: {name: a, annotations: {note: "*all* of it"}}\nspec: {}\n'
    assert [s.name for s in build_cluster(load_bytes(text.encode())).services] == ["a"]


def test_control_characters_in_names_stay_on_one_line(tmp_path):
    doc = {
        "kind": "List",
        "items": [{"kind": "Service", "metadata": {"name": "evil\nname"}, "spec": {"type": []}}],
    }
    err = assert_clean_error(analyze(write(tmp_path, "evil.json", json.dumps(doc))), "evil.json")
    assert "evil\\nname" in err


def test_family_without_ip_families_follows_the_slices():
    items = [
        {
            "kind": "Service",
            "metadata": {"name": "v6", "namespace": "x"},
            "spec": {"selector": {"a": "b"}},
        },
        {
            "kind": "EndpointSlice",
            "metadata": {
                "name": "v6-1",
                "namespace": "x",
                "labels": {"kubernetes.io/service-name": "v6"},
            },
            "addressType": "IPv6",
            "endpoints": [{"addresses": ["fd00::1"], "conditions": {"ready": True}}],
        },
    ]
    cluster = build_cluster(load_bytes(json.dumps({"kind": "List", "items": items}).encode()))
    assert cluster.services[0].ip_families == ("IPv6",)
