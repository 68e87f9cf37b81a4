"""deploy/grafana/trafficlens.json against the real thing: TrafficLens serving /metrics for the
demo dump (a manual volume, volumes measured through Prometheus, real job runs), a real
Prometheus scraping it both ways docs/deploy.md gives (the ServiceMonitor's settings, and the
plain job for annotated Pods; each with the bearer token from a file and honor_labels) and
evaluating deploy/prometheus/rules.yml; every panel's query, with the dashboard's variables
substituted as Grafana would, returns at least one series, and so does every variable's query.
"""

import json
import re
import time
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from routing import tasks
from routing.models import Cluster, TrafficVolume
from routing.snapshots import import_dump
from routing.volumes.local_prometheus import LocalPrometheus
from routing.volumes.models import TrafficSource
from tests.factories import DEMO_DUMP, ensure_roles, user_with_role
from tests.web.server import start_daphne

from .monitoring import DASHBOARD, RULES, SCRAPE_CONFIG
from .render import named, render

# The server subprocess reads what the test committed.
live = pytest.mark.django_db(transaction=True)

SCRAPE_INTERVAL = 1.0
JOB = "trafficlens-servicemonitor"
ANNOTATIONS_JOB = "trafficlens"  # deploy/prometheus/scrape-config.yml's
WEB_POD = "trafficlens-web-7d9f8-abcde"
# Grafana's interval variables, as it would set them for the last hour at a few scrapes' steps.
BUILT_INS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h"}
# Measured traffic through the custom preset: a constant rate per Service, in bytes/s.
MEASURED = {("shop", "cart"): 2000, ("shop", "checkout"): 500}


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def query_panels(doc: dict) -> list[dict]:
    """Every panel with queries, rows' collapsed panels included."""
    found = []
    for panel in doc["panels"]:
        found.extend(panel.get("panels", ()))
        if panel["type"] != "row":
            found.append(panel)
    return found


def variables(doc: dict) -> list[dict]:
    return [v for v in doc["templating"]["list"] if v["type"] == "query"]


def substitute(expr: str, values: dict[str, str]) -> str:
    """$name and ${name} as Grafana replaces them (longest names first: $__rate_interval)."""
    for name in sorted(values, key=len, reverse=True):
        expr = expr.replace("${" + name.lstrip("$") + "}", values[name]).replace(name, values[name])
    assert "$" not in expr, f"a variable is left in {expr}"
    return expr


LABEL_VALUES = re.compile(r"^label_values\((?P<selector>.+),\s*(?P<label>\w+)\)$")


def variable_query(definition: str) -> tuple[str, str]:
    """label_values(SELECTOR, LABEL) as the PromQL that gives the same values, and LABEL."""
    match = LABEL_VALUES.match(definition)
    assert match, f"not a label_values() query: {definition}"
    return f"group by ({match['label']}) ({match['selector']})", match["label"]


def measured_query() -> str:
    parts = [
        f'label_replace(label_replace(vector({rate}), "namespace", "{ns}", "", ""), '
        f'"service", "{name}", "", "")'
        for (ns, name), rate in MEASURED.items()
    ]
    return " or ".join(parts)


def scrape_config(prom: LocalPrometheus, token_file: Path, tmp_path: Path) -> str:
    """LocalPrometheus's configuration turned into the two ways docs/deploy.md scrapes web:

    - JOB: the ServiceMonitor's endpoint (path, scheme, honorLabels, bearer token) as the
      Prometheus Operator turns it into a scrape job, on the server as a static target;
    - ANNOTATIONS_JOB: deploy/prometheus/scrape-config.yml's job as it is, but for its
      Kubernetes discovery (which Debian's prometheus is built without): a file of targets
      carrying the labels it would give web's Pod (its annotations as base/web.yaml has them,
      the port where the test server listens) and a Pod without annotations, to be dropped.

    Both scrape the same server, as a Prometheus that finds the Pods twice would: the panels and
    rules must still give one series per figure. The rules file is loaded too.
    """
    monitor = named(render("single+monitoring"), "ServiceMonitor", "trafficlens")
    (endpoint,) = monitor["spec"]["endpoints"]
    config = yaml.safe_load(prom.config_text)
    (job,) = config["scrape_configs"]
    job.update(
        metrics_path=endpoint["path"],
        scheme=endpoint["scheme"],
        honor_labels=endpoint["honorLabels"],
        authorization={
            "type": endpoint["authorization"]["type"],
            "credentials_file": str(token_file),
        },
    )
    (annotated,) = yaml.safe_load(SCRAPE_CONFIG.read_text())["scrape_configs"]
    assert annotated["job_name"] == ANNOTATIONS_JOB
    assert annotated.pop("kubernetes_sd_configs") == [
        {"role": "pod", "namespaces": {"names": ["trafficlens"]}}
    ]
    # the test's pace, not a minute
    annotated.update({key: config["global"][key] for key in ("scrape_interval", "scrape_timeout")})
    annotated["authorization"]["credentials_file"] = str(token_file)
    annotated["file_sd_configs"] = [{"files": [str(pod_targets(prom, tmp_path))]}]
    config["scrape_configs"].append(annotated)
    config["rule_files"] = [str(RULES)]
    return yaml.safe_dump(config, sort_keys=False)


def pod_targets(prom: LocalPrometheus, tmp_path: Path) -> Path:
    """What Kubernetes discovery gives for web's Pod and for one without annotations."""
    template = named(render("single"), "Deployment", "trafficlens-web")["spec"]["template"]
    meta = {
        "__meta_kubernetes_pod_annotation_" + re.sub(r"[^a-zA-Z0-9_]", "_", key): value
        for key, value in template["metadata"]["annotations"].items()
    }
    (target,) = prom.targets
    host, port = target.rsplit(":", 1)
    meta["__meta_kubernetes_pod_annotation_prometheus_io_port"] = port
    path = tmp_path / "pods.json"
    path.write_text(
        json.dumps(
            [
                {
                    "targets": [f"{host}:8000"],
                    "labels": {**meta, "__meta_kubernetes_pod_name": WEB_POD},
                },
                {
                    "targets": [f"{host}:5432"],
                    "labels": {"__meta_kubernetes_pod_name": "postgresql-0"},
                },
            ]
        )
    )
    return path


def wait_for(what: str, check, timeout: float = 60.0):
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not seen within {timeout:g} s")
        time.sleep(0.25)


@pytest.fixture
def monitored(tmp_path):
    """TrafficLens with the demo dump, scraped by a Prometheus that also measured its volumes."""
    ensure_roles()
    cluster = Cluster.objects.create(name="shop", source=Cluster.Source.UPLOAD)
    import_dump(cluster, DEMO_DUMP.read_bytes())
    tasks.recompute_summaries(cluster.pk)  # real job runs, for the job panels
    tasks.prune_snapshots()
    TrafficVolume.objects.create(
        cluster=cluster, namespace="shop", name="inventory", monthly_gb=800, source="test sheet"
    )
    user_with_role("prometheus", "viewer")
    token_file = tmp_path / "token"
    with token_file.open("w") as out:  # as docs/deploy.md has it made
        call_command("create_token", "prometheus", "--name", "prometheus", stdout=out)
    server = start_daphne(tmp_path)
    prom = LocalPrometheus([f"127.0.0.1:{server.port}"], scrape_interval=SCRAPE_INTERVAL, job=JOB)
    prom.config_text = scrape_config(prom, token_file, tmp_path)
    try:
        prom.start()
        # The annotations job scrapes web's Pod, by the annotated port and path, and drops the
        # Pod without annotations.
        (web,) = wait_for(
            "the annotated Pod's target",
            lambda: [t for t in prom.active_targets() if t["labels"]["job"] == ANNOTATIONS_JOB],
        )
        assert web["labels"]["pod"] == WEB_POD
        assert web["scrapeUrl"] == f"http://127.0.0.1:{server.port}/metrics"
        TrafficSource.objects.create(
            cluster=cluster,
            url=prom.url,
            preset=TrafficSource.Preset.CUSTOM,
            query=measured_query(),
            window_seconds=60,
        )
        assert tasks.refresh_volumes(cluster.pk) is not None, TrafficSource.objects.get().last_error
        for job in (JOB, ANNOTATIONS_JOB):  # scrapes after the refresh: volumes and job runs
            before = max(prom.scrapes(job).values(), default=0)
            prom.wait_for_scrapes(before + 3, job=job)
        yield prom
    finally:
        prom.stop()
        server.stop()


@live
def test_every_panel_and_variable_query_returns_series(monitored):
    doc = dashboard()
    values: dict[str, str] = dict(BUILT_INS)
    for variable in variables(doc):
        promql, label = variable_query(substitute(variable["query"], values))
        found = sorted({row["metric"][label] for row in monitored.query(promql)})
        assert found, f"variable {variable['name']}: {promql} returned nothing"
        # The cluster is chosen, as on opening the dashboard with one; the rest stay All.
        values["$" + variable["name"]] = found[0] if variable["name"] == "cluster" else ".*"
    assert values["$cluster"] == "shop"
    empty = []
    count = 0
    for panel in query_panels(doc):
        for target in panel["targets"]:
            promql = substitute(target["expr"], values)
            count += 1
            if not monitored.query(promql):
                empty.append(f"{panel['title']} ({target['refId']}): {promql}")
    assert not empty, "panels without series:\n" + "\n".join(empty)
    assert count >= 20


@live
def test_the_figures_are_the_ones_served(monitored):
    """A few panels' values against what the setup makes certain, so that a query returning the
    wrong series would fail too."""
    values = {**BUILT_INS, "$cluster": "shop", "$namespace": ".*", "$service": ".*"}
    by_title = {
        p["title"]: [substitute(t["expr"], values) for t in p["targets"]]
        for p in query_panels(dashboard())
    }
    (hints,) = by_title["Services whose topology hints are off"]
    assert {(r["metric"]["service"], r["metric"]["reason"]) for r in monitored.query(hints)} == {
        ("checkout", "endpoint-without-zone-hint"),
        ("payments", "auto-disabled"),
    }
    (overloaded,) = by_title["Overloaded Services"]
    assert [r["metric"]["service"] for r in monitored.query(overloaded)] == ["inventory"]
    (volumes,) = by_title["Monthly traffic volume by source"]
    sources = {r["metric"]["source"] for r in monitored.query(volumes)}
    assert sources == {"manual", "measured"}
    (with_volume,) = by_title["Services with a traffic volume"]
    assert float(monitored.query(with_volume)[0]["value"][1]) == 1 + len(MEASURED)
    (jobs,) = by_title["Since each job's last success"]
    assert {r["metric"]["job"] for r in monitored.query(jobs)} >= {"recompute", "prune", "volumes"}


@live
def test_the_rules_evaluate_on_the_served_metrics(monitored):
    """The alerts' expressions match the real /metrics: the demo's Services with hints off and
    its overloaded one are pending (their `for` has not passed), nothing else is."""

    def pending():
        rows = monitored.query('ALERTS{alertstate="pending"}')
        return {(r["metric"]["alertname"], r["metric"].get("service", "")) for r in rows}

    expected = {
        ("TrafficLensHintsDisabled", "checkout"),
        ("TrafficLensHintsDisabled", "payments"),
        ("TrafficLensEndpointOverloaded", "inventory"),
    }
    assert wait_for("the three pending alerts", lambda: pending() >= expected and pending()) == (
        expected
    )


# --- the JSON itself: what Grafana needs to import it anywhere -----------------------------------


def test_the_dashboard_imports_into_any_grafana():
    doc = dashboard()
    assert doc["uid"] == "trafficlens" and doc["title"] == "TrafficLens"
    (source,) = [v for v in doc["templating"]["list"] if v["type"] == "datasource"]
    assert source["name"] == "datasource" and source["query"] == "prometheus"
    wanted = {"type": "prometheus", "uid": "${datasource}"}  # no uid of one installation
    for variable in variables(doc):
        assert variable["datasource"] == wanted, variable["name"]
        assert variable["includeAll"] and variable["allValue"] == ".*", variable["name"]
    ids = [p["id"] for p in doc["panels"]]
    assert len(ids) == len(set(ids))
    titles = [p["title"] for p in query_panels(doc)]
    assert len(titles) == len(set(titles))  # the tests above find panels by title
    for panel in query_panels(doc):
        assert panel["datasource"] == wanted, panel["title"]
        assert panel["description"], panel["title"]  # says what the figure is and is not
        refs = [t["refId"] for t in panel["targets"]]
        assert refs and len(refs) == len(set(refs)), panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == wanted, panel["title"]


def test_panels_tile_the_grid_without_overlapping():
    cells: dict[tuple[int, int], str] = {}
    for panel in dashboard()["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, panel["title"]
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]


def test_shares_say_how_services_are_weighted():
    """A mean over Services is not the share of the bytes: the panels say which it is."""
    for panel in query_panels(dashboard()):
        exprs = " ".join(t["expr"] for t in panel["targets"])
        mean = "trafficlens_cluster_cross_zone_fraction" in exprs or (
            "avg" in exprs and "cross_zone_fraction" in exprs
        )
        if mean:
            assert "weighted equally" in panel["description"], panel["title"]
