"""Measured volumes end to end: the simulated cluster's byte counters, scraped by a real
Prometheus (Debian's package, `make system-deps`), read by `manage.py volumes` and the scheduled
task with each preset; and what a refresh does when Prometheus fails in each way it can.
"""

import io

import pytest
from django.core.management import CommandError, call_command

from routing import tasks
from routing.figures.reports import service_detail
from routing.volumes.local_prometheus import LocalPrometheus
from routing.volumes.lookup import MEASURED, SIMULATED, volumes_for
from routing.volumes.models import MeasuredVolume, TrafficSource, VolumeFetch
from routing.volumes.refresh import RefreshError, monthly_gb, refresh
from tests.volumes.conftest import WINDOW

pytestmark = pytest.mark.django_db(transaction=True)


def _expected(sim) -> dict[tuple[str, str], float]:
    return {key: monthly_gb(rate) for key, rate in sim.traffic.rates().items()}


def _stored(fetch: VolumeFetch) -> dict[tuple[str, str], float]:
    rows = MeasuredVolume.objects.filter(fetch=fetch).values_list("namespace", "name", "monthly_gb")
    return {(ns, name): gb for ns, name, gb in rows}


def _assert_within_5_percent(found: dict, expected: dict) -> None:
    assert set(expected) <= set(found)
    for key, gb in expected.items():
        assert found[key] == pytest.approx(gb, rel=0.05), key
    for key in set(found) - set(expected):  # pods that carry nothing (legacy-db): measured 0
        assert found[key] == 0.0, key


@pytest.mark.parametrize("preset", ["cadvisor", "istio", "beyla"])
def test_the_volumes_command_measures_each_service_within_5_percent(demo, sim, preset):
    out = io.StringIO()
    call_command("volumes", "demo", "--preset", preset, "--window", f"{WINDOW}s", stdout=out)
    text = out.getvalue()
    expected = _expected(sim)
    fetch = VolumeFetch.objects.get(cluster=demo)
    assert fetch.preset == preset and fetch.window_seconds == WINDOW
    _assert_within_5_percent(_stored(fetch), expected)
    assert f"Services matched: {len(_stored(fetch))}" in text
    assert "unmatched series: 0" in text and f"stored as fetch {fetch.pk}" in text
    assert fetch.total_gb == pytest.approx(sum(expected.values()), rel=0.05)
    volumes = volumes_for(demo.latest_snapshot())
    assert {v.source for v in volumes.values()} == {MEASURED}


def test_a_dry_run_prints_and_stores_nothing(demo, sim):
    out = io.StringIO()
    call_command("volumes", "demo", "--dry-run", "--window", f"{WINDOW}s", stdout=out)
    assert "dry run: nothing stored" in out.getvalue() and "shop/frontend" in out.getvalue()
    assert not VolumeFetch.objects.exists()


@pytest.mark.parametrize("preset", ["cadvisor", "istio", "beyla"])
def test_the_scheduled_task_refreshes_a_due_source_once(demo, sim, settings, preset):
    settings.REDIS_URL = None  # the embedded scheduler's path: the task runs here
    TrafficSource.objects.filter(cluster=demo).update(preset=preset)
    assert tasks.refresh_due_volumes() == [demo.pk]
    assert tasks.refresh_due_volumes() == []  # not due again before its interval
    fetch = VolumeFetch.objects.get(cluster=demo)
    assert fetch.preset == preset
    _assert_within_5_percent(_stored(fetch), _expected(sim))
    source = TrafficSource.objects.get(cluster=demo)
    assert source.status()["state"] == "ok" and source.last_error == ""


def test_the_simulation_preset_is_labelled_simulated_not_measured(demo, sim):
    TrafficSource.objects.filter(cluster=demo).update(url=sim.url, preset="simulation")
    found = refresh(demo)
    assert "not measured" in found.source
    volumes = volumes_for(demo.latest_snapshot())
    assert {v.source for v in volumes.values()} == {SIMULATED}
    expected = {key: 0.0 for key in sim.world.services} | _expected(sim)  # 0: carries nothing
    assert {k: v.gb for k, v in volumes.items()} == pytest.approx(expected)


def _custom(demo, query: str) -> None:
    TrafficSource.objects.filter(cluster=demo).update(preset="custom", query=query)


def _failing_refresh_keeps_the_last_volumes(demo, match: str, said: str) -> None:
    before = refresh(demo, preset_name="istio").fetch
    with pytest.raises(RefreshError, match=match):
        refresh(demo)
    assert list(VolumeFetch.objects.filter(cluster=demo)) == [before]  # nothing new stored
    source = TrafficSource.objects.get(cluster=demo)
    status = source.status()
    assert status["state"] == "failing" and status["staleSince"] == before.fetched_at
    assert said in status["error"]
    # The pages keep costing with the previous volumes.
    assert volumes_for(demo.latest_snapshot())[("shop", "frontend")].source == MEASURED


def test_a_refused_query_keeps_the_previous_volumes(demo):
    _custom(demo, "sum by (namespace, service) (rate(x[")
    _failing_refresh_keeps_the_last_volumes(
        demo, "Prometheus refused the query", "HTTP 400, bad_data"
    )


def test_an_empty_result_keeps_the_previous_volumes(demo):
    _custom(demo, "sum by (namespace, service) (rate(no_such_metric_total[1m]))")
    _failing_refresh_keeps_the_last_volumes(demo, "returned no usable series", "no usable series")


def test_nan_and_infinite_values_are_left_out_and_counted(demo):
    series = (
        'label_replace(label_replace(vector({v}), "namespace", "shop", "", ""), '
        '"service", "{name}", "", "")'
    )
    _custom(demo, series.format(v="NaN", name="cart") + " or " + series.format(v="+Inf", name="x"))
    _failing_refresh_keeps_the_last_volumes(
        demo, r"no usable series \(2 NaN or infinite\)", "(2 NaN or infinite)"
    )
    both = series.format(v="NaN", name="cart") + " or " + series.format(v="1000", name="email")
    _custom(demo, both)
    found = refresh(demo)
    assert found.volumes == {("shop", "email"): pytest.approx(monthly_gb(1000))}
    assert "1 series with NaN or infinite values were left out" in found.attribution.notes


def test_a_series_for_a_service_that_no_longer_exists_is_reported(demo):
    series = (
        'label_replace(label_replace(vector({v}), "namespace", "shop", "", ""), '
        '"service", "{name}", "", "")'
    )
    _custom(demo, series.format(v=10, name="email") + " or " + series.format(v=5, name="gone"))
    out = io.StringIO()
    call_command("volumes", "demo", stdout=out)
    assert "unmatched series: 1" in out.getvalue()
    assert "unmatched: namespace=shop, service=gone" in out.getvalue()
    fetch = VolumeFetch.objects.get(cluster=demo)
    assert fetch.unmatched_series == 1 and fetch.unmatched == [
        {"namespace": "shop", "service": "gone"}
    ]
    _custom(demo, series.format(v=5, name="gone"))
    with pytest.raises(CommandError, match="none of the 1 series .* matched a Service"):
        call_command("volumes", "demo", stdout=io.StringIO())


def test_prometheus_down_or_slow_keeps_the_previous_volumes(demo, sim):
    before = refresh(demo).fetch
    server = LocalPrometheus([f"127.0.0.1:{sim.port}"], scrape_interval=1.0).start()
    TrafficSource.objects.filter(cluster=demo).update(url=server.url, timeout_seconds=0.001)
    with pytest.raises(RefreshError, match="did not answer within|refused the query"):
        refresh(demo)
    server.stop()  # down
    TrafficSource.objects.filter(cluster=demo).update(timeout_seconds=5)
    assert tasks.refresh_volumes(demo.pk) is None
    source = TrafficSource.objects.get(cluster=demo)
    assert "cannot reach Prometheus" in source.last_error
    assert source.status()["staleSince"] == before.fetched_at
    assert list(VolumeFetch.objects.filter(cluster=demo)) == [before]


def test_beyla_zones_give_a_measured_cross_zone_share_that_matches_the_model(demo, sim):
    refresh(demo, preset_name="beyla")
    snapshot = demo.latest_snapshot()
    checked = 0
    for (namespace, name), rate in sim.traffic.rates().items():
        detail = service_detail(snapshot, namespace, name)
        check = detail["modelCheck"]
        assert check["simulatedCrossZoneFraction"] == detail["flows"]["crossZoneFraction"]
        # The simulation's flows follow the engine's own zone matrix: measured = simulated.
        assert check["measuredCrossZoneFraction"] == pytest.approx(
            check["simulatedCrossZoneFraction"], abs=0.02
        ), (namespace, name)
        assert check["differs"] is False and "beyla preset" in check["source"]
        checked += rate > 0
    assert checked >= 8


def test_a_measured_share_far_from_the_model_is_flagged(demo, token_client):
    # A source that says all of frontend's bytes cross zones (say, a node-local cache in front
    # of it, or hints not applied yet) while the model keeps most of them in their zone.
    series = (
        'label_replace(label_replace(label_replace(label_replace(vector(1000), "namespace", '
        '"shop", "", ""), "service", "frontend", "", ""), "src_zone", "{src}", "", ""), '
        '"dst_zone", "{dst}", "", "")'
    )
    _custom(demo, series.format(src="us-east-1a", dst="us-east-1b"))
    refresh(demo)
    detail = service_detail(demo.latest_snapshot(), "shop", "frontend")
    check = detail["modelCheck"]
    assert check["measuredCrossZoneFraction"] == 1.0 and check["differs"] is True
    assert check["difference"] == pytest.approx(1.0 - detail["flows"]["crossZoneFraction"])
    rows = token_client("viewer").get("/api/v1/clusters/demo/services/").json()["results"]
    frontend = next(row for row in rows if row["name"] == "frontend")
    assert frontend["measuredCrossZoneFraction"] == 1.0 and frontend["modelMismatch"] is True
    assert next(row for row in rows if row["name"] == "cart")["modelMismatch"] is None
