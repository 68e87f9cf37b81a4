"""deploy/prometheus/rules.yml passes `promtool check rules` and its unit tests
(`promtool test rules deploy/prometheus/rules_test.yml`); promtool comes with Debian's
prometheus package, which `make system-deps` installs."""

import shutil
import subprocess

import pytest
import yaml

from .monitoring import RULES, RULES_TEST, SCRAPE_CONFIG, rule_groups

# The alerts issue 15 asks for, each with a unit test in rules_test.yml.
ALERTS = {
    "TrafficLensWatcherStale",
    "TrafficLensHintsDisabled",
    "TrafficLensCrossZoneCostUp",
    "TrafficLensEndpointOverloaded",
}


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool") or "/usr/bin/promtool"
    if not shutil.which(found):
        pytest.fail("promtool is missing: make system-deps (Debian's prometheus package)")
    return found


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=RULES.parent)


def test_promtool_checks_the_rules(promtool):
    result = run(promtool, "check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in result.stdout


def test_promtool_unit_tests_pass(promtool):
    result = run(promtool, "test", "rules", str(RULES_TEST))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_checks_the_scrape_job_for_annotated_pods(promtool, tmp_path):
    """deploy/prometheus/scrape-config.yml, with its token file where promtool can see one.
    Debian's prometheus is built without Kubernetes discovery, so promtool checks the rest
    (relabelling included) with a static target; tests/deploy/test_grafana_dashboard.py
    scrapes through the job with the labels that discovery gives."""
    config = yaml.safe_load(SCRAPE_CONFIG.read_text())
    (job,) = config["scrape_configs"]
    assert job["honor_labels"] is True and job["authorization"]["type"] == "Bearer"
    assert job.pop("kubernetes_sd_configs") == [
        {"role": "pod", "namespaces": {"names": ["trafficlens"]}}
    ]
    job["static_configs"] = [{"targets": ["10.0.0.1:8000"]}]
    token = tmp_path / "token"
    token.write_text("a-token")
    job["authorization"]["credentials_file"] = str(token)
    config["rule_files"] = [str(RULES)]
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    result = run(promtool, "check", "config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in result.stdout


def test_every_alert_is_unit_tested_firing():
    alerts = {rule["alert"] for group in rule_groups() for rule in group["rules"]}
    assert alerts == ALERTS
    tests = yaml.safe_load(RULES_TEST.read_text())
    assert tests["rule_files"] == [RULES.name]
    fired = {
        case["alertname"]
        for test in tests["tests"]
        for case in test.get("alert_rule_test", ())
        if case.get("exp_alerts")
    }
    assert fired == ALERTS


def test_a_broken_expectation_fails_promtool(promtool, tmp_path):
    """promtool's exit status is what the tests read: a wrong expected label must fail it."""
    tests = yaml.safe_load(RULES_TEST.read_text())
    shutil.copy(RULES, tmp_path / RULES.name)
    case = next(c for t in tests["tests"] for c in t["alert_rule_test"] if c.get("exp_alerts"))
    case["exp_alerts"][0]["exp_labels"]["cluster"] = "elsewhere"
    broken = tmp_path / "rules_test.yml"
    broken.write_text(yaml.safe_dump(tests))
    result = subprocess.run(
        [promtool, "test", "rules", str(broken)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode != 0
    assert "FAILED" in result.stdout + result.stderr
