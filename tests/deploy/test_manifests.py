"""Every rendered object is valid Kubernetes for 1.30-1.34 (strict schemas, offline), and every
container runs under the `restricted` Pod Security profile with requests, limits and probes."""

import kubernetes_validate
import pytest

from .render import VARIANTS, named, of_kind, pod_templates, render

KUBERNETES_VERSIONS = ("1.30.0", "1.31.0", "1.32.0", "1.33.0", "1.34.0")
APP_COMPONENTS = ("web", "ws", "watcher", "worker", "beat")


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_object_is_valid_for_the_kubernetes_version(variant, version):
    for obj in render(variant):
        # strict: an unknown or misspelt field fails instead of being dropped by the server
        kubernetes_validate.validate(obj, version, strict=True)


def containers(pod):
    return [*pod.get("initContainers", ()), *pod["containers"]]


def setting(pod, container, key):
    """A securityContext field of the container, else of the Pod (as Pod Security reads it)."""
    own = container.get("securityContext", {})
    return own[key] if key in own else pod.get("securityContext", {}).get(key)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_container_is_restricted(variant):
    for name, pod in pod_templates(render(variant)):
        assert not pod.get("hostNetwork") and not pod.get("hostPID"), name
        for container in containers(pod):
            where = f"{name}/{container['name']}"
            context = container.get("securityContext", {})
            assert setting(pod, container, "runAsNonRoot") is True, where
            assert setting(pod, container, "runAsUser") not in (None, 0), where
            assert setting(pod, container, "seccompProfile") == {"type": "RuntimeDefault"}, where
            assert context.get("allowPrivilegeEscalation") is False, where
            assert context.get("capabilities") == {"drop": ["ALL"]}, where
            assert context.get("readOnlyRootFilesystem") is True, where
            assert not context.get("privileged"), where


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_container_has_requests_and_limits(variant):
    for name, pod in pod_templates(render(variant)):
        for container in containers(pod):
            resources = container.get("resources", {})
            for part in ("requests", "limits"):
                assert set(resources.get(part, {})) >= {"cpu", "memory"}, (name, part)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_serving_container_has_probes(variant):
    for name, pod in pod_templates(render(variant)):
        for container in pod["containers"]:
            if container.get("ports"):
                assert "readinessProbe" in container, name
                assert "livenessProbe" in container, name


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_app_writes_only_to_tmp(variant):
    """Read-only root: /tmp is an emptyDir in every app container (beat's schedule file too)."""
    objects = render(variant)
    for component in APP_COMPONENTS:
        pod = named(objects, "Deployment", f"trafficlens-{component}")["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        for container in containers(pod):
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], component
            writable = {path for path, vol in mounts.items() if "emptyDir" in volumes[vol]}
            assert writable == {"/tmp"}, component
    beat = named(objects, "Deployment", "trafficlens-beat")["spec"]["template"]["spec"]
    assert "--schedule=/tmp/celerybeat-schedule" in beat["containers"][0]["command"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_replicas_and_rollout_of_each_component(variant):
    objects = render(variant)

    def deployment(component):
        return named(objects, "Deployment", f"trafficlens-{component}")["spec"]

    assert deployment("watcher")["replicas"] == 2  # leases split the clusters between them
    beat = deployment("beat")
    assert beat["replicas"] == 1 and beat["strategy"] == {"type": "Recreate"}
    web_init = deployment("web")["template"]["spec"]["initContainers"]
    assert [c["command"] for c in web_init] == [["python", "manage.py", "migrate", "--noinput"]]
    budgets = {
        p["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"]
        for p in of_kind(objects, "PodDisruptionBudget")
    }
    assert budgets == {"web", "ws", "watcher", "worker"}


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_ingress_sends_sockets_to_ws_and_the_rest_to_web(variant):
    (ingress,) = of_kind(render(variant), "Ingress")
    paths = {
        p["path"]: p["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for p in rule["http"]["paths"]
    }
    assert paths == {"/ws/": "trafficlens-ws", "/": "trafficlens-web"}


def egress_ports(objects, component):
    """Ports the component may open, by policy (a policy applies when its selector matches)."""
    labels = {"app.kubernetes.io/name": "trafficlens", "app.kubernetes.io/component": component}
    ports = set()
    for policy in of_kind(objects, "NetworkPolicy"):
        selector = policy["spec"]["podSelector"]
        if not selects(selector, labels):
            continue
        for rule in policy["spec"].get("egress", ()):
            ports |= {p["port"] for p in rule.get("ports", ())}
    return ports


def selects(selector, labels):
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions", ()):
        assert expr["operator"] == "In"
        if labels.get(expr["key"]) not in expr["values"]:
            return False
    return True


@pytest.mark.parametrize("variant", VARIANTS)
def test_network_policies_give_each_component_only_what_it_needs(variant):
    objects = render(variant)
    assert named(objects, "NetworkPolicy", "default-deny")["spec"]["podSelector"] == {}
    expected = {
        "web": {53, 5432, 6379, 9090},
        "ws": {53, 5432, 6379},
        "watcher": {53, 5432, 6379, 443, 6443},  # the API server: the watcher only
        "worker": {53, 5432, 6379, 9090},
        "beat": {53, 6379},
    }
    assert {c: egress_ports(objects, c) for c in expected} == expected
