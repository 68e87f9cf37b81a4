"""GET .../top-services/: the top Services under a what-if policy are the engine's own runs set
beside the observed figures, with the difference and how many Services the policy changes."""

import orjson
import pytest

from dashboard.pages.topology import top_services
from routing.engine.flows import same_routing
from routing.figures.policy_services import policy_services
from routing.figures.runs import read_runs
from routing.models import WHAT_IF_COLUMNS, Cluster, ServiceSummary, TrafficVolume
from routing.snapshots import import_dump
from routing.volumes.lookup import volumes_for
from tests.snapshots.builders import ZONES, endpoint, endpoint_slice, node, service

from .conftest import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/clusters/small/top-services/"
FIGURES = ("crossZoneFraction", "dropped", "maxOverload", "costPerGb")


def save_runs(row: ServiceSummary, *, columns: bool) -> None:
    """Store a row's edited what-if runs: also in each run's own column, as the writer does
    (`columns`), or as a row written before those columns existed (null: read from what_if)."""
    for policy, column in WHAT_IF_COLUMNS.items():
        run = row.what_if.get(policy)
        setattr(row, column, orjson.dumps(run).decode() if columns and run is not None else None)
    row.save(update_fields=["what_if", *WHAT_IF_COLUMNS.values()])


def _dump() -> bytes:
    """Three zones, one node each, and three Services:

    - web declares PreferSameZone and carries the hints the controller would write: the
      what-if PreferSameZone is what happens now (unchanged);
    - api has no policy and both endpoints in one zone: no policy can keep traffic in the
      other zones (unchanged);
    - spread has no policy and an endpoint in every zone: PreferSameZone keeps each zone's
      traffic home (changed).
    """
    nodes = [node(f"n-{z[-1]}", z) for z in ZONES]
    web = [endpoint(f"10.1.0.{i}", f"n-{z[-1]}", z, z) for i, z in enumerate(ZONES)]
    api = [endpoint(f"10.2.0.{i}", "n-a", ZONES[0]) for i in range(2)]
    spread = [endpoint(f"10.3.0.{i}", f"n-{z[-1]}", z) for i, z in enumerate(ZONES)]
    items = [
        *nodes,
        service("web", clusterIP="10.96.0.11", trafficDistribution="PreferSameZone"),
        service("api", clusterIP="10.96.0.12"),
        service("spread", clusterIP="10.96.0.13"),
        endpoint_slice("web", web),
        endpoint_slice("api", api),
        endpoint_slice("spread", spread),
    ]
    return orjson.dumps({"apiVersion": "v1", "kind": "List", "items": items})


@pytest.fixture
def small(db) -> Cluster:
    cluster = Cluster.objects.create(name="small", source=Cluster.Source.UPLOAD)
    import_dump(cluster, _dump())
    return cluster


def _engine(cluster: Cluster) -> dict[str, dict]:
    """The engine's report entry of each Service, computed here from the same dump."""
    from routing.engine import analyze_cluster, build_cluster, load_bytes
    from routing.options import cluster_options

    report = analyze_cluster(build_cluster(load_bytes(_dump())), cluster_options(cluster))
    return {s["name"]: s for s in report["services"]}


def _observed(entry: dict) -> dict[str, float]:
    flows = entry["flows"]
    return {
        "crossZoneFraction": flows["crossZoneFraction"],
        "dropped": flows["dropped"],
        "maxOverload": flows["maxOverload"],
        "costPerGb": entry["cost"]["costPerGb"],
    }


def test_a_what_if_policy_gives_the_engines_figures_and_counts_one_change(small, token_client):
    body = token_client("viewer").get(URL, {"policy": "PreferSameZone"}).json()
    engine = _engine(small)
    assert body["snapshot"] == 1 and body["policy"] == "PreferSameZone"
    assert body["services"] == 3 and body["servicesWithVolume"] == 0
    assert body["changedServices"] == 1
    rows = {r["name"]: r for r in body["topServices"]}
    assert set(rows) == {"web", "api", "spread"}
    for name, row in rows.items():
        under = engine[name]["whatIf"]["PreferSameZone"]
        observed = _observed(engine[name])
        for key in FIGURES:
            assert row[key] == under[key], (name, key)
            assert row["observed"][key] == observed[key], (name, key)
            assert row["delta"][key] == pytest.approx(under[key] - observed[key], abs=1e-12)
        assert row["monthlyGb"] is None and row["volumeSource"] is None
        assert row["monthlyCost"] is None and row["delta"]["monthlyCost"] is None
    assert [n for n, r in rows.items() if r["changed"]] == ["spread"]
    # The change is the one expected: spread's traffic crossed zones and now stays home.
    spread = rows["spread"]
    assert spread["observed"]["crossZoneFraction"] == pytest.approx(2 / 3)
    assert spread["crossZoneFraction"] == 0.0
    assert spread["delta"]["crossZoneFraction"] == pytest.approx(-2 / 3)
    assert spread["delta"]["costPerGb"] < 0
    assert rows["api"]["crossZoneFraction"] == rows["api"]["observed"]["crossZoneFraction"] > 0
    # Ranked by the figures under the policy: spread, the dearest observed, now costs nothing.
    assert [r["name"] for r in body["topServices"]] == ["api", "spread", "web"]


def test_every_policy_is_the_engines_run(small, token_client):
    client = token_client("viewer")
    engine = _engine(small)
    for policy in ("none", "PreferSameNode", "Auto"):
        body = client.get(URL, {"policy": policy}).json()
        changed = 0
        for row in body["topServices"]:
            under = engine[row["name"]]["whatIf"][policy]
            assert {k: row[k] for k in FIGURES} == {k: under[k] for k in FIGURES}
            differs = any(
                abs(under[k] - row["observed"][k]) > 1e-9 for k in FIGURES
            ) or _matrices_differ(engine[row["name"]]["flows"]["matrix"], under["matrix"])
            assert row["changed"] == differs, (policy, row["name"])
            changed += differs
        assert body["changedServices"] == changed


def _matrices_differ(a: dict, b: dict) -> bool:
    cells = {(s, d) for m in (a, b) for s, row in m.items() for d in row}
    return any(abs(a.get(s, {}).get(d, 0.0) - b.get(s, {}).get(d, 0.0)) > 1e-9 for s, d in cells)


@pytest.mark.parametrize(
    ("edit", "changed"),
    [
        # Float noise in one share: the same routing (not equal bytes in the database, though).
        (lambda m: {**m, ZONES[1]: {ZONES[0]: m[ZONES[1]][ZONES[0]] + 1e-13}}, False),
        # One zone's traffic sent to another zone instead: the same figures, another routing.
        (lambda m: {**m, ZONES[2]: {ZONES[1]: m[ZONES[2]][ZONES[0]]}}, True),
        # A row from before what-if matrices were stored: its figures alone decide.
        (None, False),
    ],
)
@pytest.mark.parametrize("marked", [True, False], ids=["marked", "written-before-marks"])
def test_a_routing_that_moves_only_between_zones_counts_as_a_change(
    small, token_client, edit, changed, marked
):
    """api sends every zone's traffic to us-east-1a whatever the policy; its stored run under
    PreferSameZone is edited to test how its zone matrix is compared: from the writer's mark,
    or, for a row written before runs carried one, by reading both matrices."""
    row = ServiceSummary.objects.get(cluster=small, name="api")
    run = row.what_if["PreferSameZone"]
    assert {k: run[k] for k in FIGURES} == {
        "crossZoneFraction": row.cross_zone_fraction,
        "dropped": row.dropped,
        "maxOverload": row.max_overload,
        "costPerGb": row.cost_per_gb,
    }
    assert run["matrix"] == row.matrix
    if edit is None:
        del run["matrix"], run["sameRouting"]  # as rows written before either was stored
    else:
        run["matrix"] = edit(row.matrix)
        run["sameRouting"] = same_routing(run["matrix"], row.matrix)  # as the writer marks it
        if not marked:
            del run["sameRouting"]
    save_runs(row, columns=edit is not None and marked)  # unmarked rows predate the columns
    body = token_client("viewer").get(URL, {"policy": "PreferSameZone"}).json()
    rows = {r["name"]: r for r in body["topServices"]}
    assert rows["api"]["changed"] is changed
    assert rows["api"]["delta"]["crossZoneFraction"] == 0
    assert body["changedServices"] == 1 + changed  # spread, and api if its routing moved


def test_monthly_figures_rank_under_the_policy(small, token_client):
    TrafficVolume.objects.create(cluster=small, namespace="shop", name="spread", monthly_gb=1000)
    TrafficVolume.objects.create(cluster=small, namespace="shop", name="web", monthly_gb=10)
    client = token_client("viewer")
    observed = client.get(URL).json()
    # As routed now spread's 1,000 GB cost most; web's hints keep it home (nothing a month).
    assert [r["name"] for r in observed["topServices"]] == ["spread", "web", "api"]
    body = client.get(URL, {"policy": "PreferSameZone"}).json()
    assert body["servicesWithVolume"] == 2
    rows = {r["name"]: r for r in body["topServices"]}
    spread = rows["spread"]
    assert spread["monthlyGb"] == 1000 and spread["volumeSource"] == "manual"
    assert spread["monthlyCost"] == spread["costPerGb"] * 1000 == 0.0
    assert spread["observed"]["monthlyCost"] == pytest.approx(
        spread["observed"]["costPerGb"] * 1000
    )
    assert spread["delta"]["monthlyCost"] == pytest.approx(-spread["observed"]["monthlyCost"])
    assert spread["delta"]["monthlyCost"] < 0
    # Services with a volume first (by monthly cost, ties by name), then the rest by per GB.
    assert [r["name"] for r in body["topServices"]] == ["spread", "web", "api"]


def test_observed_is_the_pages_list_with_nothing_changed(small, token_client):
    TrafficVolume.objects.create(cluster=small, namespace="shop", name="web", monthly_gb=10)
    body = token_client("viewer").get(URL).json()
    assert body["policy"] == "observed" and body["changedServices"] == 0
    snapshot = small.latest_snapshot()
    assert body["topServices"] == orjson.loads(
        orjson.dumps(top_services(snapshot, volumes_for(snapshot)))
    )
    for row in body["topServices"]:
        assert row["changed"] is False
        assert row["observed"] == {k: row[k] for k in (*FIGURES, "monthlyCost")}
        assert all(v in (0, None) for v in row["delta"].values())


def test_each_policy_and_volume_state_is_its_own_cache_entry(small, token_client, redis_cache):
    client = token_client("viewer")
    answers = {p: client.get(URL, {"policy": p}).json() for p in ("observed", "PreferSameZone")}
    assert redis_cache.client().dbsize() == 2
    assert answers["observed"]["changedServices"] == 0
    assert answers["PreferSameZone"]["changedServices"] == 1
    # The same policy again is the stored answer; an unknown parameter does not make a key.
    assert (
        client.get(URL, {"policy": "PreferSameZone", "x": "1"}).json() == answers["PreferSameZone"]
    )
    assert redis_cache.client().dbsize() == 2
    # A volume changes the monthly figures and the ranking without a new snapshot: a new key.
    TrafficVolume.objects.create(cluster=small, namespace="shop", name="api", monthly_gb=5)
    after = client.get(URL, {"policy": "PreferSameZone"}).json()
    assert redis_cache.client().dbsize() == 3
    assert after["servicesWithVolume"] == 1
    assert after["topServices"][0]["name"] == "api"
    assert after["topServices"][0]["monthlyCost"] is not None


def test_bad_queries(small, token_client):
    client = token_client("viewer")
    assert_error(client.get(URL, {"policy": "PreferClose"}), 400, "invalid")
    assert_error(client.get(URL, {"snapshot": "9"}), 404, "not_found")
    assert_error(client.get("/api/v1/clusters/nope/top-services/"), 404, "not_found")
    assert_error(token_client(None).get(URL), 403, "permission_denied")


def test_the_schema_describes_it(small, token_client):
    schema = token_client("viewer").get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/clusters/{cluster}/top-services/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"cluster", "policy", "snapshot"}
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/PolicyServices")


def test_each_run_says_whether_it_routes_as_observed(small):
    """The writer marks each stored what-if run `sameRouting` (its zone matrix sends the same
    shares as the observed one, up to float noise), which the top table counts from."""
    for row in ServiceSummary.objects.all():
        assert {policy: run["sameRouting"] for policy, run in row.what_if.items()} == {
            policy: same_routing(run["matrix"], row.matrix) for policy, run in row.what_if.items()
        }
    marks = {
        row.name: row.what_if["PreferSameZone"]["sameRouting"]
        for row in ServiceSummary.objects.all()
    }
    assert marks == {"web": True, "api": True, "spread": False}


def test_same_routing_allows_float_noise_only():
    home = {"a": {"a": 1.0}}
    assert same_routing(home, {"a": {"a": 1.0 - 1e-12, "b": 0.0}})
    assert not same_routing(home, {"a": {"a": 0.5, "b": 0.5}})
    assert not same_routing(home, {"b": {"a": 1.0}})
    assert not same_routing(home, {})


def test_rows_written_before_the_marks_count_the_same_changes(small):
    """Rows of older snapshots carry no `sameRouting`: their runs say None, and the top table
    compares those rows' matrices itself, to the same answer."""
    snapshot = small.latest_snapshot()
    policies = ("none", "PreferSameNode", "PreferSameZone", "Auto")
    marked = {policy: policy_services(snapshot, policy, {}) for policy in policies}
    for row in ServiceSummary.objects.all():
        for run in row.what_if.values():
            del run["sameRouting"]
        save_runs(row, columns=False)
    for policy in policies:
        runs = read_runs(snapshot, policy, matrices=True)
        assert {run.same_routing for run in runs} == {None}
        assert policy_services(snapshot, policy, {}, runs=runs) == marked[policy]
    assert marked["PreferSameZone"]["changedServices"] == 1


def test_each_runs_column_holds_its_what_if_run_and_reads_the_same(small):
    """The writer stores each what-if run again in its policy's column (routing.models
    .WHAT_IF_COLUMNS), which read_runs reads; rows without them (written before) read the same
    runs from what_if."""
    snapshot = small.latest_snapshot()
    rows = list(ServiceSummary.objects.filter(cluster=small))
    for row in rows:
        assert set(row.what_if) == set(WHAT_IF_COLUMNS)
        for policy, column in WHAT_IF_COLUMNS.items():
            assert orjson.loads(getattr(row, column)) == row.what_if[policy]
    stored = {policy: read_runs(snapshot, policy, matrices=True) for policy in WHAT_IF_COLUMNS}
    assert {run.same_routing for runs in stored.values() for run in runs} == {True, False}
    # The column is what is read: an edit of it shows, the same run in what_if meanwhile not.
    edited = {**rows[0].what_if["Auto"], "dropped": 0.25}
    ServiceSummary.objects.filter(pk=rows[0].pk).update(run_auto=orjson.dumps(edited).decode())
    read = {run.pk: run for run in read_runs(snapshot, "Auto", matrices=False)}
    assert read[rows[0].pk].under[FIGURES.index("dropped")] == 0.25
    ServiceSummary.objects.filter(cluster=small).update(**dict.fromkeys(WHAT_IF_COLUMNS.values()))
    for policy, runs in stored.items():  # in any order: the update moved the rows
        assert sorted(read_runs(snapshot, policy, matrices=True)) == sorted(runs)
