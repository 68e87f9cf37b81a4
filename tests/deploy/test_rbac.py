"""The watcher's ClusterRole grants exactly what routing/kube lists and watches, nothing more,
and only the watcher holds it (deploy/kubernetes/base/rbac.yaml)."""

import pytest

from routing.kube.resources import READ_VERBS, RESOURCES

from .render import VARIANTS, of_kind, pod_templates, render

WATCHER_ACCOUNT = "trafficlens-watcher"


def granted(rules: list[dict]) -> set[tuple[str, str, str]]:
    """(group, resource, verb) of every grant, rules written in any grouping."""
    return {
        (group, resource, verb)
        for rule in rules
        for group in rule.get("apiGroups", ())
        for resource in rule.get("resources", ())
        for verb in rule.get("verbs", ())
    }


def needed() -> set[tuple[str, str, str]]:
    """From the table the listing and watching code iterates over."""
    return {(r.group, r.plural, verb) for r in RESOURCES for verb in READ_VERBS}


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_cluster_role_grants_exactly_what_the_watcher_reads(variant):
    (role,) = of_kind(render(variant), "ClusterRole")
    rules = role["rules"]
    assert granted(rules) == needed()
    for rule in rules:
        assert set(rule) == {"apiGroups", "resources", "verbs"}  # no resourceNames, no URLs
        assert "*" not in (*rule["apiGroups"], *rule["resources"], *rule["verbs"])
    assert not {resource for _, resource, _ in granted(rules)} & {"secrets", "configmaps"}


@pytest.mark.parametrize("variant", VARIANTS)
def test_only_the_watcher_is_bound_and_nothing_else_grants_rights(variant):
    objects = render(variant)
    assert not of_kind(objects, "Role") and not of_kind(objects, "RoleBinding")
    (binding,) = of_kind(objects, "ClusterRoleBinding")
    assert binding["roleRef"]["name"] == "trafficlens-watcher"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": WATCHER_ACCOUNT, "namespace": "trafficlens"}
    ]


@pytest.mark.parametrize("variant", VARIANTS)
def test_only_the_watcher_gets_a_service_account_token(variant):
    objects = render(variant)
    accounts = {a["metadata"]["name"]: a for a in of_kind(objects, "ServiceAccount")}
    for name, pod in pod_templates(objects):
        token = pod.get("automountServiceAccountToken")
        if name == "trafficlens-watcher":
            assert pod["serviceAccountName"] == WATCHER_ACCOUNT and token is True
            continue
        assert token is False, name
        account = pod.get("serviceAccountName")
        if account:  # the app's own accounts; the bundled databases use the namespace default
            assert account != WATCHER_ACCOUNT
            assert accounts[account]["automountServiceAccountToken"] is False
    app_accounts = [p.get("serviceAccountName") for n, p in pod_templates(objects)]
    app_accounts = [a for a in app_accounts if a]
    assert len(app_accounts) == len(set(app_accounts)) == 5  # one each: web ws watcher worker beat
