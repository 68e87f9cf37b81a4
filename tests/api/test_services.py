"""The Services of a snapshot: filters, ordering, pages, query counts; one Service's report."""

import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from routing.api.report_serializers import ServiceSummarySerializer
from routing.api.shapes import ServiceReportSerializer
from routing.engine import analyze_cluster, build_cluster
from routing.figures.health import Thresholds
from routing.figures.reports import service_detail
from routing.figures.service_list import (
    SUMMARY_ROW_COLUMNS,
    digested,
    filtered_services,
    summary_rows,
    summary_values,
)
from routing.models import Cluster, ServiceSummary
from routing.options import cluster_options
from routing.service_index.cache import index_of
from routing.snapshots import objects_at, summaries_at, write_snapshot

from .conftest import _find, assert_error, plan_without_seqscan

pytestmark = pytest.mark.django_db

URL = "/api/v1/clusters/demo/services/"
SORT_KEYS = {
    "cost": lambda s: s.cost_per_gb,
    "cross_zone": lambda s: s.cross_zone_fraction,
    "overload": lambda s: s.max_overload,
}


def _names(body) -> list[str]:
    return [f"{s['namespace']}/{s['name']}" for s in body["results"]]


def _expected(cluster, ordering: str, keep=lambda s: True) -> list[str]:
    rows = [s for s in summaries_at(cluster.snapshots.order_by("-seq")[0]) if keep(s)]
    rows.sort(key=lambda s: (s.namespace, s.name))  # the tie-break, applied first (stable sort)
    if ordering != "name":
        key = SORT_KEYS[ordering.lstrip("-")]
        rows.sort(key=key, reverse=ordering.startswith("-"))
    return [f"{s.namespace}/{s.name}" for s in rows]


def _problem(summary) -> bool:
    return any(d["severity"] in ("warning", "error") for d in summary.diagnostics)


def test_lists_the_twelve_demo_services_by_cost(demo_cluster, token_client):
    body = token_client("viewer").get(URL).json()
    assert body["count"] == 12 and body["snapshot"]["seq"] == 2
    assert _names(body) == _expected(demo_cluster, "-cost")
    costs = [s["costPerGb"] for s in body["results"]]
    assert costs == sorted(costs, reverse=True) and costs[0] > 0
    item = next(s for s in body["results"] if s["name"] == "payments")
    assert item["policy"] == "Auto" and item["mechanism"] == "topologyAuto"
    assert item["internalTrafficPolicy"] == "Cluster"
    assert item["topDiagnostic"]["code"] == "auto-disabled"
    assert item["diagnostics"]["warning"] >= 1
    assert item["recommendedPolicy"] == "PreferSameZone"
    assert set(item) == {
        "namespace",
        "name",
        "health",
        "policy",
        "mechanism",
        "internalTrafficPolicy",
        "crossZoneFraction",
        "crossRegionFraction",
        "dropped",
        "maxOverload",
        "costPerGb",
        "diagnostics",
        "topDiagnostic",
        "recommendedPolicy",
        "bestFix",
        "monthlyGb",
        "monthlyCost",
        "volumeSource",
        "measuredCrossZoneFraction",
        "modelMismatch",
    }


def test_each_row_names_its_best_fix_as_the_report_has_it(demo_cluster, token_client):
    """A Service that drops or overloads never reads as "keep" where a fix was found."""
    client = token_client("viewer")
    rows = client.get(URL).json()["results"]
    for row in rows:
        detail = client.get(f"{URL}{row['namespace']}/{row['name']}/").json()
        best = detail["fixes"][0]["kind"] if detail["fixes"] else None
        assert row["bestFix"] == best, row["name"]
    by_name = {r["name"]: r for r in rows}
    assert by_name["legacy-db"]["bestFix"] == "fix-readiness"
    assert by_name["legacy-db"]["recommendedPolicy"] is None
    assert by_name["cart"]["bestFix"] is None


@pytest.mark.parametrize(
    "ordering", ["cost", "-cost", "cross_zone", "-cross_zone", "overload", "-overload", "name"]
)
def test_ordering(demo_cluster, token_client, ordering):
    body = token_client("viewer").get(URL, {"ordering": ordering}).json()
    assert _names(body) == _expected(demo_cluster, ordering)


def test_filters(demo_cluster, token_client):
    client = token_client("viewer")

    def names(**query):
        return _names(client.get(URL, {"ordering": "name", **query}).json())

    assert names(namespace="monitoring") == ["monitoring/node-exporter"]
    assert names(policy="Auto") == _expected(demo_cluster, "name", lambda s: s.policy == "Auto")
    assert "shop/catalog" in names(policy="PreferSameZone")  # changed in snapshot 2
    assert names(mechanism="none") == _expected(
        demo_cluster, "name", lambda s: s.mechanism == "none"
    )
    with_problems = names(has_diagnostics="true")
    assert with_problems == _expected(demo_cluster, "name", _problem)
    assert 0 < len(with_problems) < 12
    assert names(has_diagnostics="false") == _expected(
        demo_cluster, "name", lambda s: not _problem(s)
    )
    assert names(min_cross_zone="0.5") == _expected(
        demo_cluster, "name", lambda s: s.cross_zone_fraction >= 0.5
    )
    assert names(min_cross_zone="0") == _expected(demo_cluster, "name")
    assert names(namespace="shop", has_diagnostics="true", min_cross_zone="0.5") == _expected(
        demo_cluster,
        "name",
        lambda s: s.namespace == "shop" and _problem(s) and s.cross_zone_fraction >= 0.5,
    )


def test_overloaded_filter_uses_the_overload_limit(demo_cluster, token_client, settings):
    client = token_client("viewer")

    def names(**query):
        return _names(client.get(URL, {"ordering": "name", **query}).json())

    for limit in (1.0, 1.5):
        settings.TRAFFICLENS_OVERLOAD_LIMIT = limit
        over = names(overloaded="true")
        assert over == _expected(demo_cluster, "name", lambda s, lim=limit: s.max_overload > lim)
        assert names(overloaded="false") == _expected(
            demo_cluster, "name", lambda s, lim=limit: s.max_overload <= lim
        )
    settings.TRAFFICLENS_OVERLOAD_LIMIT = 1.0
    assert names(overloaded="true"), "the demo has Services above an even spread"


def test_an_older_snapshot(demo_cluster, token_client):
    body = token_client("viewer").get(URL, {"snapshot": 1, "policy": "PreferSameZone"}).json()
    assert body["snapshot"]["seq"] == 1
    assert "shop/catalog" not in _names(body)


@pytest.mark.parametrize(
    "query",
    [
        {"mechanism": "magic"},
        {"has_diagnostics": "maybe"},
        {"overloaded": "sometimes"},
        {"min_cross_zone": "1.5"},
        {"min_cross_zone": "-0.1"},
        {"min_cross_zone": "nan"},
        {"ordering": "price"},
        {"snapshot": "0"},
        {"snapshot": "abc"},
        {"page_size": "x", "page": "x"},
    ],
)
def test_bad_queries_are_400(demo_cluster, token_client, query):
    response = token_client("viewer").get(URL, query)
    if "page" in query:  # DRF's paginator: an invalid page is "not found"
        assert_error(response, 404, "not_found")
        return
    error = assert_error(response, 400, "invalid")
    assert set(error["details"]) == set(query)


def test_pages_are_pinned_to_one_snapshot(demo_cluster, token_client, demo_objects):
    from routing.snapshots import write_snapshot

    client = token_client("viewer")
    first = client.get(URL, {"page_size": 5}).json()
    assert first["next"].endswith("snapshot=2") and len(first["results"]) == 5
    write_snapshot(demo_cluster, demo_objects[:20], source="scheduled")  # fewer Services now
    second = client.get(first["next"]).json()
    assert second["snapshot"]["seq"] == 2 and second["count"] == 12
    third = client.get(second["next"]).json()
    assert len(third["results"]) == 2 and third["next"] is None
    assert third["previous"].endswith("snapshot=2")
    everything = [*_names(first), *_names(second), *_names(third)]
    assert len(set(everything)) == 12


def test_page_size_is_capped_at_1000(demo_cluster, token_client):
    body = token_client("viewer").get(URL, {"page_size": 5000}).json()
    assert len(body["results"]) == 12


def test_a_cluster_without_snapshots_has_no_services(db, token_client):
    Cluster.objects.create(name="fresh", source=Cluster.Source.UPLOAD)
    body = token_client("viewer").get("/api/v1/clusters/fresh/services/").json()
    assert body == {"snapshot": None, "count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.parametrize("page_size", [1, 12])
def test_list_runs_a_constant_number_of_queries(
    demo_cluster, token_client, django_assert_max_num_queries, page_size
):
    client = token_client("viewer")
    client.get(URL)
    # token with the user and its role, cluster with the snapshot, the volumes' state (fetch
    # in force, manual ones), count, page
    with django_assert_max_num_queries(5):
        body = client.get(URL, {"page_size": page_size, "has_diagnostics": "true"}).json()
    assert len(body["results"]) == min(page_size, body["count"])


# --- one Service ------------------------------------------------------------------------------


def test_detail_is_the_full_report(demo_cluster, token_client):
    response = token_client("viewer").get(f"{URL}shop/payments/")
    assert response.status_code == 200
    body = response.json()
    expected = service_detail(demo_cluster.snapshots.get(seq=2), "shop", "payments")
    assert body == expected
    documented = {name for name, f in ServiceReportSerializer().fields.items() if f.required}
    assert documented <= set(body)
    for key in ("controller", "proxy", "flows", "cost", "whatIf", "diagnostics", "recommendation"):
        assert key in body
    assert body["recommendation"]["policy"] == "PreferSameZone"


def test_detail_of_an_older_snapshot(demo_cluster, token_client):
    client = token_client("viewer")
    old = client.get(f"{URL}shop/catalog/", {"snapshot": 1}).json()
    new = client.get(f"{URL}shop/catalog/").json()
    assert old["policy"]["trafficDistribution"] is None
    assert new["policy"]["trafficDistribution"] == "PreferSameZone"


def test_detail_404s(demo_cluster, token_client, db):
    client = token_client("viewer")
    assert_error(client.get(f"{URL}shop/nope/"), 404, "not_found")
    assert_error(client.get(f"{URL}shop/payments/", {"snapshot": 9}), 404, "not_found")
    Cluster.objects.create(name="fresh", source=Cluster.Source.UPLOAD)
    error = assert_error(client.get("/api/v1/clusters/fresh/services/a/b/"), 404, "not_found")
    assert "no snapshot" in error["message"]


def test_list_rows_are_what_the_documented_serializer_gives(demo_cluster):
    rows = summaries_at(demo_cluster.snapshots.order_by("-seq")[0])
    limits = Thresholds.of(demo_cluster)
    fast = summary_rows(digested(rows.values_list(*SUMMARY_ROW_COLUMNS)), limits)
    assert len(fast) == 12
    assert fast == ServiceSummarySerializer(rows, many=True, context={"limits": limits}).data


def test_a_pages_rows_by_key_are_the_orms_values_in_the_keys_order(demo_cluster):
    # summary_values runs the ORM's compiled select with its own test of the keys.
    rows = summaries_at(demo_cluster.snapshots.order_by("-seq")[0])
    orm = {r[0]: r[1:] for r in rows.values_list("pk", *SUMMARY_ROW_COLUMNS)}
    keys = sorted(orm, reverse=True)[::2] + sorted(orm)[:3]  # any order, repeats kept
    assert summary_values(keys) == digested(orm[k] for k in keys)
    assert summary_values([]) == []
    assert any(row[-2] for row in orm.values()) and any(row[-1] for row in orm.values())


def test_a_pages_rows_from_the_index_are_the_ones_read_by_key(demo_cluster):
    """A page the snapshot's index answers takes its rows from the index (no query): the
    same rows summary_values reads, for a snapshot's index read whole and for the next one's,
    changed from it."""
    first, second = demo_cluster.snapshots.order_by("seq")
    for snapshot in (first, second):  # the second's index is the first's, changed
        keys = list(summaries_at(snapshot).values_list("pk", flat=True))
        keys = sorted(keys, reverse=True)[::2] + sorted(keys)[:3]  # any order, repeats kept
        index = index_of(snapshot)
        with CaptureQueriesContext(connection) as queries:
            from_index = index.rows(keys)
        assert len(queries) == 0
        assert from_index == summary_values(keys)
        assert any(orjson.loads(row[10])[1] for row in from_index)  # some with a diagnostic


def test_detail_per_node_proxy_on_request(demo_cluster, token_client):
    client = token_client("viewer")
    zones = client.get(f"{URL}shop/payments/").json()
    nodes = client.get(f"{URL}shop/payments/", {"proxy": "nodes"}).json()
    assert zones["cluster"]["proxyDetail"] == "zones" and "proxyByZone" in zones
    assert nodes["cluster"]["proxyDetail"] == "nodes" and "proxyByZone" not in nodes
    node_zones = {n["zone"] for n in nodes["proxy"].values()}
    assert node_zones == set(zones["proxyByZone"])
    assert len(nodes["proxy"]) > len(zones["proxy"])  # every node, not only the exceptions
    for node, entry in nodes["proxy"].items():
        assert entry == zones["proxy"].get(node, zones["proxyByZone"][entry["zone"]]), node
    assert_error(client.get(f"{URL}shop/payments/", {"proxy": "pods"}), 400, "invalid")


def test_detail_monthly_figures_follow_the_services_volume(demo_cluster, token_client):
    editor = token_client("editor")
    assert editor.get(f"{URL}shop/payments/").json()["cost"]["monthlyCost"] is None
    editor.put(f"{URL}shop/payments/volume/", {"monthlyGb": "2000"}, format="json")
    body = editor.get(f"{URL}shop/payments/").json()
    options = cluster_options(demo_cluster, proxy_detail="zones", monthly_gb=2000.0)
    items = [("items", i, o) for i, o in enumerate(objects_at(demo_cluster.latest_snapshot()))]
    expected = next(
        s
        for s in analyze_cluster(build_cluster(items), options)["services"]
        if s["name"] == "payments"
    )
    volume = body["cost"].pop("volume")  # where the volume came from: the API's addition
    assert volume["source"] == "manual" and volume["detail"] == "set by hand"
    assert body["cost"] == expected["cost"] and body["cost"]["monthlyGb"] == 2000.0
    assert body["whatIf"] == expected["whatIf"]
    assert body["recommendation"] == expected["recommendation"]
    assert body["recommendation"]["monthlySaved"] > 0


def test_a_repeated_list_is_answered_from_the_cache(
    demo_cluster, token_client, django_assert_max_num_queries, demo_objects
):
    client = token_client("viewer")
    first = client.get(URL, {"has_diagnostics": "true"}).json()
    # token with user and role, snapshot, the volumes' state (part of the key); no rows read
    with django_assert_max_num_queries(3):
        assert client.get(URL, {"has_diagnostics": "true"}).json() == first
    # A new snapshot is a new key: nothing stale, even with the same query.
    _find(demo_objects, "Service", "cart")["spec"]["trafficDistribution"] = "PreferSameNode"
    write_snapshot(demo_cluster, demo_objects, source="upload")
    newer = client.get(URL, {"has_diagnostics": "true"}).json()
    assert newer["snapshot"]["seq"] == first["snapshot"]["seq"] + 1
    assert (
        newer["results"]
        == summary_rows(
            digested(
                filtered_services(
                    ServiceSummary.objects.at(demo_cluster.pk, newer["snapshot"]["seq"]),
                    {"has_diagnostics": True},
                    Thresholds.of(demo_cluster),
                ).values_list(*SUMMARY_ROW_COLUMNS)
            ),
            Thresholds.of(demo_cluster),
        )[:100]
    )


def test_the_cache_can_be_turned_off(
    demo_cluster, token_client, settings, django_assert_num_queries
):
    settings.API_CACHE_SECONDS = 0
    client = token_client("viewer")
    client.get(URL)
    # token, snapshot with the volumes' state; the page's keys, the count and the rows come
    # from the snapshot's index in this process, which the first request read
    with django_assert_num_queries(2):
        client.get(URL)
    # A search goes through the ORM: its keys and count, then the page's rows by key
    with django_assert_num_queries(4):
        assert client.get(URL, {"search": "cat"}).json()["results"]


def test_detail_costs_three_queries_and_one_per_volume_source(
    demo_cluster, token_client, settings, django_assert_num_queries
):
    settings.API_CACHE_SECONDS = 0
    client = token_client("editor")
    client.get(f"{URL}shop/payments/")  # the token's first use is recorded once
    # token with user and role, snapshot with the volumes' state, report with the snapshot's
    # cluster section; no volume source, so nothing more
    with django_assert_num_queries(3):
        body = client.get(f"{URL}shop/payments/").json()
    assert body["cost"]["monthlyGb"] is None and body["cluster"]["zones"]
    client.put(f"{URL}shop/payments/volume/", {"monthlyGb": "10"}, format="json")
    # ... and the cluster's manual volumes, which the state says it has
    with django_assert_num_queries(4):
        body = client.get(f"{URL}shop/payments/").json()
    assert body["cost"]["monthlyGb"] == 10.0 and body["cost"]["volume"]["source"] == "manual"


@pytest.mark.parametrize("page", ["2", "0", "-1", "x", "99999999999999999999999", "1e3"])
def test_pages_past_the_end_or_malformed_are_404(demo_cluster, token_client, page):
    response = token_client("viewer").get(URL, {"page": page})
    assert_error(response, 404, "not_found")


def test_the_last_page(demo_cluster, token_client):
    body = token_client("viewer").get(URL, {"page": "last", "page_size": 5}).json()
    assert len(body["results"]) == 2 and body["next"] is None and body["previous"]


def test_with_volumes_the_list_is_ordered_by_monthly_cost(demo_cluster, token_client):
    from django.utils import timezone

    from routing.volumes.models import MeasuredVolume, VolumeFetch

    fetch = VolumeFetch.objects.create(
        cluster=demo_cluster,
        fetched_at=timezone.now(),
        preset="istio",
        source="test",
        window_seconds=60,
    )
    for name, gb in (("payments", 10.0), ("catalog", 5000.0), ("cart", 300.0)):
        MeasuredVolume.objects.create(fetch=fetch, namespace="shop", name=name, monthly_gb=gb)
    # A manual volume wins, in the order too.
    client = token_client("editor")
    client.put(f"{URL}shop/cart/volume/", {"monthlyGb": "900000"}, format="json")
    rows = client.get(URL).json()["results"]
    costs = [row["monthlyCost"] for row in rows]
    known = [c for c in costs if c is not None]
    assert known == sorted(known, reverse=True) and len(known) == 3
    assert costs[: len(known)] == known  # Services without a volume last
    cart = next(row for row in rows if row["name"] == "cart")
    assert cart["volumeSource"] == "manual" and cart["monthlyGb"] == 900000.0
    catalog = next(row for row in rows if row["name"] == "catalog")
    assert catalog["volumeSource"] == "measured"
    assert catalog["monthlyCost"] == pytest.approx(catalog["costPerGb"] * 5000.0)
    assert {row["volumeSource"] for row in rows[len(known) :]} == {None}
    by_per_gb = client.get(URL, {"ordering": "-cost"}).json()["results"]
    assert _names({"results": by_per_gb}) == _expected(demo_cluster, "-cost")
    ascending = client.get(URL, {"ordering": "monthly_cost"}).json()["results"]
    assert [r["monthlyCost"] for r in ascending][:3] == sorted(known)


def test_an_empty_first_page_costs_no_count(
    demo_cluster, token_client, settings, django_assert_num_queries
):
    settings.API_CACHE_SECONDS = 0
    client = token_client("viewer")
    client.get(URL)  # the token's first use is recorded once
    # token, snapshot with the volumes' state, the page's keys: none, so no count, no rows
    with django_assert_num_queries(3):
        body = client.get(URL, {"search": "no-such-service"}).json()
    assert body["count"] == 0 and body["results"] == [] and body["next"] is None
    # a page past the end still tells a 404 by the count
    assert client.get(URL, {"search": "no-such-service", "page": "2"}).status_code == 404


def test_every_page_size_gives_the_same_count_and_rows(demo_cluster, token_client, settings):
    settings.API_CACHE_SECONDS = 0
    client = token_client("viewer")
    everything = client.get(URL, {"page_size": "1000", "ordering": "name"}).json()
    total = everything["count"]
    names = [(r["namespace"], r["name"]) for r in everything["results"]]
    assert total == len(names) > 3
    for size in (1, 2, total - 1, total, total + 1):
        seen, page = [], 1
        while True:
            body = client.get(URL, {"page_size": size, "ordering": "name", "page": page}).json()
            assert body["count"] == total, (size, page)
            seen += [(r["namespace"], r["name"]) for r in body["results"]]
            if body["next"] is None:
                break
            page += 1
        assert seen == names, size
        past = client.get(URL, {"page_size": size, "ordering": "name", "page": page + 1})
        assert past.status_code == 404


def test_a_page_s_snapshot_is_the_stored_one_as_far_as_the_lookup_read_it(demo_cluster):
    from routing.api.lookups import snapshot_ref
    from routing.models import Snapshot

    ref = snapshot_ref("demo", None)
    partial, stored = ref.partial(), Snapshot.objects.get(pk=ref.id)
    for field in ("pk", "cluster_id", "seq", "taken_at", "created_at"):
        assert getattr(partial, field) == getattr(stored, field), field
    # any other field is deferred: read, it is loaded, not a default
    assert partial.get_deferred_fields() >= {"cluster_report", "services"}
    assert partial.services == stored.services > 0
    assert partial.cluster_report == stored.cluster_report


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL plan")
def test_the_snapshot_lookup_reads_the_newest_snapshot_alone(demo_cluster):
    """Every API request starts with snapshot_ref: its statement must take the newest snapshot
    from the (cluster, seq) index, not read, sort and evaluate every snapshot of the cluster
    (which grow by one a write). The planner prefers a scan of this small table, so the
    alternative is taken away."""
    from routing.api.lookups import _REF_SQL, cluster_and_snapshot, snapshot_ref

    first = demo_cluster.latest_snapshot().seq
    for _ in range(3):
        write_snapshot(demo_cluster, objects_at(demo_cluster.latest_snapshot()), source="manual")
    assert snapshot_ref("demo", None).seq == demo_cluster.latest_snapshot().seq == first + 3
    assert snapshot_ref("demo", first + 1).seq == first + 1
    assert snapshot_ref("demo", first + 4) is None
    assert snapshot_ref("no-such-cluster", None) is None
    plan = plan_without_seqscan(_REF_SQL[False], {"name": "demo", "seq": None})
    assert "Index Scan Backward using routing_snapshot_cluster_seq" in plan, plan
    assert "Sort Key: s.seq" not in plan, plan
    # The same for the ORM's lookup of the cluster and its snapshot (the Service detail's).
    with CaptureQueriesContext(connection) as captured:
        found, snapshot = cluster_and_snapshot("demo", None)
    assert (found, snapshot.seq) == (demo_cluster, first + 3) and len(captured) == 1
    plan = plan_without_seqscan(captured[0]["sql"])
    assert "Index Scan Backward using routing_snapshot_cluster_seq" in plan, plan
    assert "Sort Key" not in plan, plan
