"""The fixes for misleading hints and annotations (remove-stale-hints, migrate-annotation) on
small hand-built clusters: found when the problem is there and helps, each `after` equal to a
fresh analysis of the objects as its commands change them (tests/fixes/applying.py)."""

from typing import Any

from tests.engine.test_edge_cases import endpoint, node, service, slice_, three_zones

from .test_kinds import _check_after, _kinds, _svc

MODE = "service.kubernetes.io/topology-mode"
DEPRECATED = "service.kubernetes.io/topology-aware-hints"


def _stale(managed_by: str | None) -> list[dict[str, Any]]:
    """No policy, but hints left that send every zone's clients to one endpoint."""
    return [
        *three_zones(),
        service(),
        slice_(
            "svc-1",
            endpoint("10.0.0.1", "a1", "zone-a", for_zones=["zone-a", "zone-b", "zone-c"]),
            endpoint("10.0.0.2", "b1", "zone-b", for_zones=["zone-x"]),
            endpoint("10.0.0.3", "c1", "zone-c", for_zones=["zone-x"]),
            managed_by=managed_by,
        ),
    ]


def test_stale_hints_on_the_controllers_slices_go_at_its_next_sync():
    items = _stale("endpointslice-controller.k8s.io")
    entry = _svc(items)
    assert entry["flows"]["maxOverload"] > 2.5
    assert "remove-stale-hints" in _kinds(entry)
    fix = next(f for f in entry["fixes"] if f["kind"] == "remove-stale-hints")
    assert fix["after"]["maxOverload"] == 1.0
    assert "next sync" in fix["summary"]
    assert fix["commands"] == [
        "kubectl -n default get endpointslices -l kubernetes.io/service-name=svc -o yaml"
    ]
    _check_after(items, entry)


def test_stale_hints_another_manager_wrote_are_removed_by_a_json_patch():
    items = _stale("my-mesh-controller")
    entry = _svc(items)
    fix = next(f for f in entry["fixes"] if f["kind"] == "remove-stale-hints")
    assert fix["after"]["maxOverload"] == 1.0
    assert "my-mesh-controller" in fix["summary"]
    assert fix["commands"] == [
        "kubectl -n default patch endpointslice svc-1 --type json -p "
        "'[" + ",".join(f'{{"op":"remove","path":"/endpoints/{i}/hints"}}' for i in range(3)) + "]'"
    ]
    _check_after(items, entry)


def test_stale_hints_that_help_are_not_removed():
    """Hints that keep every zone's traffic in its zone: removing them would make it worse."""
    items = [
        *three_zones(),
        service(),
        slice_(
            "svc-1",
            endpoint("10.0.0.1", "a1", "zone-a", for_zones=["zone-a"]),
            endpoint("10.0.0.2", "b1", "zone-b", for_zones=["zone-b"]),
            endpoint("10.0.0.3", "c1", "zone-c", for_zones=["zone-c"]),
            managed_by="my-mesh-controller",
        ),
    ]
    entry = _svc(items)
    assert "hints-without-policy" in {d["code"] for d in entry["diagnostics"]}
    assert "remove-stale-hints" not in _kinds(entry)


def _two_per_zone(svc: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        *three_zones(),
        svc,
        slice_(
            "svc-1",
            *(
                endpoint(f"10.0.{z}.{i}", f"{zone[-1]}1", zone)
                for z, zone in enumerate(("zone-a", "zone-b", "zone-c"))
                for i in (1, 2)
            ),
        ),
    ]


def test_a_deprecated_annotation_that_overrides_topology_mode_is_removed():
    items = _two_per_zone(service(annotations={MODE: "Auto", DEPRECATED: "Disabled"}))
    entry = _svc(items)
    assert entry["flows"]["crossZoneFraction"] > 0.5
    fix = next(f for f in entry["fixes"] if f["kind"] == "migrate-annotation")
    assert fix["after"]["crossZoneFraction"] == 0
    assert DEPRECATED in fix["summary"]
    assert fix["whatIf"] == {"topologyMode": "Auto"}
    assert fix["yaml"] == f"metadata:\n  annotations:\n    {DEPRECATED}: null\n"
    _check_after(items, entry)


def test_an_unrecognised_auto_spelling_is_corrected():
    items = _two_per_zone(service(annotations={MODE: "AUTO"}))
    entry = _svc(items)
    fix = next(f for f in entry["fixes"] if f["kind"] == "migrate-annotation")
    assert fix["after"]["crossZoneFraction"] == 0
    assert "'AUTO'" in fix["summary"]
    assert fix["yaml"] == f"metadata:\n  annotations:\n    {MODE}: Auto\n"
    _check_after(items, entry)


def test_an_auto_annotation_that_overrides_traffic_distribution_is_removed():
    """Auto is off (one zone has twice the CPU of the others for one endpoint each), and the
    annotation keeps PreferSameZone from writing its hints."""
    items = [
        node("a1", "zone-a", cpu="8"),
        node("b1", "zone-b"),
        node("c1", "zone-c"),
        service(td="PreferSameZone", annotations={MODE: "Auto"}),
        slice_(
            "svc-1",
            endpoint("10.0.0.1", "a1", "zone-a"),
            endpoint("10.0.0.2", "b1", "zone-b"),
            endpoint("10.0.0.3", "c1", "zone-c"),
        ),
    ]
    entry = _svc(items)
    assert "auto-overrides-traffic-distribution" in {d["code"] for d in entry["diagnostics"]}
    fix = next(f for f in entry["fixes"] if f["kind"] == "migrate-annotation")
    assert fix["after"]["crossZoneFraction"] == 0
    assert fix["whatIf"] == {"topologyMode": None}
    assert fix["yaml"] == f"metadata:\n  annotations:\n    {MODE}: null\n"
    _check_after(items, entry)


def test_a_deprecated_annotation_that_still_works_gets_no_fix():
    items = _two_per_zone(service(annotations={DEPRECATED: "Auto"}))
    entry = _svc(items)
    assert "deprecated-annotation" in {d["code"] for d in entry["diagnostics"]}
    assert "migrate-annotation" not in _kinds(entry)
