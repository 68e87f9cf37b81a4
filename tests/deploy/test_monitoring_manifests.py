"""components/monitoring: a ServiceMonitor and a PrometheusRule valid for the Prometheus
Operator's CRDs, wired to web's Service, its token Secret and the one rules file; and web's Pod
as a Prometheus that scrapes it by address finds it (annotations, Host header)."""

import re

import kubernetes_validate
import pytest
import yaml
from django.http.request import split_domain_port, validate_host

from . import crd_schemas
from .monitoring import PROMETHEUS_RULE, prometheus_rule_text, rule_groups
from .render import MONITORED_VARIANTS, VARIANTS, named, of_kind, render
from .test_manifests import KUBERNETES_VERSIONS

MONITORING_KINDS = {"ServiceMonitor", "PrometheusRule"}


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("variant", MONITORED_VARIANTS)
def test_every_object_is_valid_core_kubernetes_or_prometheus_operator(variant, version):
    objects = render(variant)
    assert {o["kind"] for o in objects if crd_schemas.is_custom(o)} == MONITORING_KINDS
    for obj in objects:
        if crd_schemas.is_custom(obj):
            assert crd_schemas.errors(obj) == [], obj["kind"]
        else:
            kubernetes_validate.validate(obj, version, strict=True)


def test_the_crd_check_refuses_what_the_operator_would_not_apply():
    """The check could fail: a misspelt field, a wrong type, a missing required field."""
    monitor = named(render("single+monitoring"), "ServiceMonitor", "trafficlens")
    endpoint = monitor["spec"]["endpoints"][0]
    misspelt = {
        **monitor,
        "spec": {**monitor["spec"], "endpoints": [{**endpoint, "honourLabels": True}]},
    }
    assert any("honourLabels" in e for e in crd_schemas.errors(misspelt))
    wrong_type = {
        **monitor,
        "spec": {**monitor["spec"], "endpoints": [{**endpoint, "honorLabels": "yes"}]},
    }
    assert crd_schemas.errors(wrong_type)
    no_selector = {**monitor, "spec": {"endpoints": monitor["spec"]["endpoints"]}}
    assert any("selector" in e for e in crd_schemas.errors(no_selector))
    rule = named(render("single+monitoring"), "PrometheusRule", "trafficlens")
    bad_for = yaml.safe_load(yaml.safe_dump(rule))
    bad_for["spec"]["groups"][0]["rules"][0]["for"] = "five minutes"
    assert any("for" in e for e in crd_schemas.errors(bad_for))


@pytest.mark.parametrize("variant", MONITORED_VARIANTS)
def test_the_component_adds_only_its_two_objects(variant):
    without = render(variant.removesuffix("+monitoring"))
    objects = render(variant)
    added = [o for o in objects if o not in without]
    assert sorted(o["kind"] for o in added) == sorted(MONITORING_KINDS)
    assert all(o["metadata"]["namespace"] == "trafficlens" for o in added)


def test_the_prometheus_rule_carries_the_plain_rules_file():
    rule = named(render("single+monitoring"), "PrometheusRule", "trafficlens")
    assert rule["spec"]["groups"] == rule_groups()
    # and the file is what the generator writes now (run `python -m tests.deploy.monitoring`)
    assert PROMETHEUS_RULE.read_text() == prometheus_rule_text()


@pytest.mark.parametrize("variant", MONITORED_VARIANTS)
def test_the_service_monitor_scrapes_web_with_the_token_secret(variant):
    objects = render(variant)
    monitor = named(objects, "ServiceMonitor", "trafficlens")
    selected = [
        s
        for s in of_kind(objects, "Service")
        if s["metadata"]["namespace"] == monitor["metadata"]["namespace"]
        and monitor["spec"]["selector"]["matchLabels"].items()
        <= s["metadata"].get("labels", {}).items()
    ]
    assert [s["metadata"]["name"] for s in selected] == ["trafficlens-web"]
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {p["name"] for p in selected[0]["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    assert endpoint["honorLabels"] is True  # the analysed Service's namespace and name
    assert endpoint["authorization"] == {
        "type": "Bearer",
        "credentials": {"name": "trafficlens-metrics", "key": "token"},
    }
    # The operator reads the Secret from the ServiceMonitor's namespace; none is shipped.
    assert not [
        s for s in of_kind(objects, "Secret") if s["metadata"]["name"] == "trafficlens-metrics"
    ]


def _web(objects):
    return named(objects, "Deployment", "trafficlens-web")["spec"]["template"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_web_pods_carry_the_scrape_annotations_of_their_port(variant):
    template = _web(render(variant))
    annotations = template["metadata"]["annotations"]
    (container,) = template["spec"]["containers"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"
    assert annotations["prometheus.io/port"] in {
        str(p["containerPort"]) for p in container["ports"]
    }
    service = named(render(variant), "Service", "trafficlens-web")
    assert not any(
        k.startswith("prometheus.io/") for k in service["metadata"].get("annotations", {})
    )


_REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def container_environment(objects, container, pod_ip):
    """The environment as the kubelet builds it: envFrom's ConfigMaps first, then `env` in
    order, each value's $(VAR) read from what is defined so far (undefined ones stay as
    written); the downward API's status.podIP is `pod_ip`."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", ()):
        if "configMapRef" in source:
            env.update(named(objects, "ConfigMap", source["configMapRef"]["name"])["data"])
    for var in container.get("env", ()):
        if "value" in var:
            assert "$$" not in var["value"]  # escapes: not handled here
            env[var["name"]] = _REFERENCE.sub(lambda m: env.get(m[1], m[0]), var["value"])
        else:
            assert var["valueFrom"] == {"fieldRef": {"fieldPath": "status.podIP"}}, var
            env[var["name"]] = pod_ip
    return env


@pytest.mark.parametrize(
    ("pod_ip", "host", "other"),
    [
        ("10.244.1.7", "10.244.1.7:8000", "10.244.1.8:8000"),
        ("fd00:10:244::7", "[fd00:10:244::7]:8000", "[fd00:10:244::8]:8000"),  # IPv6
    ],
)
@pytest.mark.parametrize("variant", VARIANTS)
def test_web_accepts_the_host_header_of_a_scrape_by_pod_address(variant, pod_ip, host, other):
    """Prometheus sends Host: ADDRESS:8000; Django answers 400 to a host not in ALLOWED_HOSTS.
    The config map's hosts stay allowed, and nothing else is."""
    objects = render(variant)
    (container,) = _web(objects)["spec"]["containers"]
    env = container_environment(objects, container, pod_ip)
    hosts = [h.strip() for h in env["ALLOWED_HOSTS"].split(",")]
    (config,) = [s["configMapRef"]["name"] for s in container["envFrom"] if "configMapRef" in s]
    configured = named(objects, "ConfigMap", config)["data"]["ALLOWED_HOSTS"]  # name-hash

    def allowed(header: str) -> bool:  # as HttpRequest.get_host() checks it
        domain, _ = split_domain_port(header)
        return bool(domain) and validate_host(domain, hosts)

    assert allowed(host)
    for name in configured.split(","):
        assert allowed(name)
    assert not allowed(other)  # another Pod's address
    assert not allowed("evil.example")
