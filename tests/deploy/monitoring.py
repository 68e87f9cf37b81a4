"""The alerts have one source, deploy/prometheus/rules.yml; the PrometheusRule of
components/monitoring carries the same groups and is written from it:

    .venv/bin/python -m tests.deploy.monitoring     # after editing rules.yml

tests/deploy/test_monitoring_manifests.py fails while the two differ.
"""

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules.yml"
RULES_TEST = ROOT / "deploy" / "prometheus" / "rules_test.yml"
SCRAPE_CONFIG = ROOT / "deploy" / "prometheus" / "scrape-config.yml"
COMPONENT = ROOT / "deploy" / "kubernetes" / "components" / "monitoring"
PROMETHEUS_RULE = COMPONENT / "prometheusrule.yaml"
DASHBOARD = ROOT / "deploy" / "grafana" / "trafficlens.json"

HEADER = """\
# Written by `python -m tests.deploy.monitoring` from deploy/prometheus/rules.yml, where the
# alerts and their comments are: edit that file, then run it again.
"""


def rule_groups() -> list[dict[str, Any]]:
    return list(yaml.safe_load(RULES.read_text())["groups"])


def prometheus_rule() -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": "trafficlens",
            "namespace": "trafficlens",
            # Add the label your Prometheus selects rules by (kube-prometheus-stack: `release`).
            "labels": {"app.kubernetes.io/name": "trafficlens"},
        },
        "spec": {"groups": rule_groups()},
    }


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (expressions, descriptions) as literal blocks, as written by hand."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def prometheus_rule_text() -> str:
    body = yaml.dump(prometheus_rule(), Dumper=_Dumper, sort_keys=False, width=1000)  # no folding
    return HEADER + body


if __name__ == "__main__":
    PROMETHEUS_RULE.write_text(prometheus_rule_text())
    print(f"wrote {PROMETHEUS_RULE.relative_to(ROOT)}")
