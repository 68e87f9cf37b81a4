"""Access per cluster through the API: two teams, each granted a role on its own cluster only.

A cluster someone may not see answers exactly as one that does not exist (404, same message);
what they may see answers as before. Grants come either to the user or through a group.
"""

import pytest
from django.contrib.auth.models import Group, User
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from routing.models import ApiToken, ClusterGrant, Snapshot, TrafficVolume
from routing.roles import role_on, visible_clusters
from tests.factories import DEMO_DUMP
from tests.teams import VIAS, grant, two_teams

from .conftest import assert_error

pytestmark = pytest.mark.django_db

SERVICE = "services/shop/cart"
READS = [
    "",
    "snapshots/",
    "snapshots/1/",
    "snapshots/1/diff/?against=1",
    "services/",
    f"{SERVICE}/",
    f"{SERVICE}/volume/",
    f"{SERVICE}/timeseries/",
    "prices/",
    "flowmap/",
    "top-services/?policy=PreferSameZone",
    "namespaces/",
    "services/?format=csv",
    "recommendations/",
    "timeseries/",
]
# (method, path under the cluster, body): what an editor may do
WRITES = [
    ("put", f"{SERVICE}/volume/", {"monthlyGb": 7}),
    ("delete", f"{SERVICE}/volume/", None),
    ("post", f"{SERVICE}/what-if/", {"topologyMode": "Auto"}),
    ("patch", "prices/", {"priceCrossZone": 0.03}),
]


def bearer(user) -> APIClient:
    """A client with a fresh API token of `user`: the token acts as the user."""
    _, raw = ApiToken.objects.issue(user, "tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


CLIENTS = {"token": bearer, "session": signed_in}


def upload(client: APIClient, cluster: str):
    url = f"/api/v1/clusters/{cluster}/snapshots/"
    return client.post(url, DEMO_DUMP.read_bytes(), content_type="application/json")


@pytest.fixture(params=VIAS)
def via(request) -> str:
    return request.param


@pytest.fixture
def viewers(via):
    return two_teams("viewer", via)


@pytest.fixture
def editors(via):
    teams = two_teams("editor", via)
    for cluster in (teams.a, teams.b):
        TrafficVolume.objects.create(cluster=cluster, namespace="shop", name="cart", monthly_gb=1)
    return teams


@pytest.mark.parametrize("auth", CLIENTS)
def test_each_team_lists_only_its_cluster_and_a_global_viewer_both(viewers, auth):
    for user, names in [(viewers.alice, ["a"]), (viewers.bob, ["b"]), (viewers.gina, ["a", "b"])]:
        body = CLIENTS[auth](user).get("/api/v1/clusters/").json()
        assert [c["name"] for c in body["results"]] == names, user
        assert body["count"] == len(names)


@pytest.mark.parametrize("auth", CLIENTS)
def test_every_read_of_the_other_teams_cluster_is_the_404_of_a_missing_one(viewers, auth):
    TrafficVolume.objects.create(cluster=viewers.a, namespace="shop", name="cart", monthly_gb=1)
    TrafficVolume.objects.create(cluster=viewers.b, namespace="shop", name="cart", monthly_gb=1)
    alice, gina = CLIENTS[auth](viewers.alice), CLIENTS[auth](viewers.gina)
    for path in READS:
        assert alice.get(f"/api/v1/clusters/a/{path}").status_code == 200, path
        hidden = assert_error(alice.get(f"/api/v1/clusters/b/{path}"), 404, "not_found")
        missing = assert_error(alice.get(f"/api/v1/clusters/nope/{path}"), 404, "not_found")
        assert hidden["message"] == missing["message"].replace("'nope'", "'b'"), path
        assert gina.get(f"/api/v1/clusters/b/{path}").status_code == 200, path


def test_an_editor_writes_on_its_cluster_and_finds_no_other(editors):
    alice = bearer(editors.alice)
    for method, path, body in WRITES:
        refused = getattr(alice, method)(f"/api/v1/clusters/b/{path}", body, format="json")
        assert_error(refused, 404, "not_found")
        editors.b.refresh_from_db()
        assert TrafficVolume.objects.get(cluster=editors.b).monthly_gb == 1, path
        assert editors.b.price_cross_zone is None, path
        done = getattr(alice, method)(f"/api/v1/clusters/a/{path}", body, format="json")
        assert done.status_code in (200, 204), (path, done.content)


def test_uploads_to_the_other_teams_cluster_are_404_and_store_nothing(editors):
    alice = bearer(editors.alice)
    assert_error(upload(alice, "b"), 404, "not_found")
    assert Snapshot.objects.filter(cluster=editors.b).count() == 1
    assert upload(alice, "a").status_code == 201
    assert Snapshot.objects.filter(cluster=editors.a).count() == 2


def test_a_viewer_grant_sees_its_cluster_but_may_not_write_there(viewers):
    alice = bearer(viewers.alice)
    error = assert_error(upload(alice, "a"), 403, "permission_denied")
    assert error["message"] == "This needs the editor role."
    assert_error(upload(alice, "b"), 404, "not_found")
    response = alice.post(f"/api/v1/clusters/a/{SERVICE}/what-if/", {"topologyMode": "Auto"})
    assert_error(response, 403, "permission_denied")


def test_a_grant_adds_to_the_global_role_on_its_cluster_only(viewers):
    grant(viewers.gina, viewers.a, "editor", "user")
    gina = bearer(viewers.gina)
    assert upload(gina, "a").status_code == 201
    assert_error(upload(gina, "b"), 403, "permission_denied")  # sees b, as a viewer
    assert (role_on(viewers.gina, viewers.a), role_on(viewers.gina, "b")) == ("editor", "viewer")


def test_the_highest_of_own_and_group_grants_counts(viewers, via):
    assert role_on(viewers.alice, viewers.a) == "viewer"
    grant(viewers.alice, viewers.a, "editor", "group" if via == "user" else "user")
    fresh = User.objects.get(pk=viewers.alice.pk)  # grants are read once per user object
    assert role_on(fresh, viewers.a) == "editor"
    assert role_on(viewers.alice, viewers.b) is None
    assert list(visible_clusters(viewers.alice).values_list("name", flat=True)) == ["a"]


def test_cluster_admins_change_and_delete_their_cluster_only(via):
    teams = two_teams("admin", via, snapshots=False)
    alice = bearer(teams.alice)
    assert_error(alice.patch("/api/v1/clusters/b/", {"displayName": "mine"}), 404, "not_found")
    assert_error(alice.delete("/api/v1/clusters/b/"), 404, "not_found")
    teams.b.refresh_from_db()
    assert teams.b.display_name == "Team B cluster"
    changed = alice.patch("/api/v1/clusters/a/", {"displayName": "Ours"}, format="json")
    assert changed.status_code == 200 and changed.json()["displayName"] == "Ours"
    assert alice.delete("/api/v1/clusters/a/").status_code == 204


def test_only_global_admins_add_clusters(via, make_user):
    teams = two_teams("admin", via, snapshots=False)
    refused = bearer(teams.alice).post("/api/v1/clusters/", {"name": "c", "source": "upload"})
    error = assert_error(refused, 403, "permission_denied")
    assert "every cluster" in error["message"]
    admin = bearer(make_user("admin"))
    assert admin.post("/api/v1/clusters/", {"name": "c", "source": "upload"}).status_code == 201


def test_an_editor_grant_on_one_cluster_is_not_a_role_on_another_for_writes(editors):
    # bob is an editor of b; on a he holds nothing, whatever the method.
    bob = bearer(editors.bob)
    for method in ("get", "put", "delete"):
        response = getattr(bob, method)(f"/api/v1/clusters/a/{SERVICE}/volume/", {"monthlyGb": 1})
        assert_error(response, 404, "not_found")
    assert TrafficVolume.objects.filter(cluster=editors.a).exists()


def test_metrics_show_each_token_only_its_clusters(viewers, settings):
    alice = bearer(viewers.alice).get("/metrics").content.decode()
    assert 'cluster="a"' in alice and 'cluster="b"' not in alice
    assert 'trafficlens_service_cross_zone_fraction{cluster="a"' in alice
    bob = bearer(viewers.bob).get("/metrics").content.decode()
    assert 'cluster="b"' in bob and 'cluster="a"' not in bob
    gina = bearer(viewers.gina).get("/metrics").content.decode()
    assert 'cluster="a"' in gina and 'cluster="b"' in gina
    settings.TRAFFICLENS_METRICS_PUBLIC = True
    public = APIClient().get("/metrics").content.decode()
    assert 'cluster="a"' in public and 'cluster="b"' in public


def test_a_user_without_any_role_or_grant_is_still_403(viewers, make_user):
    nobody = bearer(make_user(None, username="nobody"))
    for url in ("/api/v1/clusters/", "/api/v1/clusters/a/", "/api/v1/clusters/b/flowmap/"):
        error = assert_error(nobody.get(url), 403, "permission_denied")
        assert error["message"] == "This needs the viewer role."


def _queries(client: APIClient, url: str) -> int:
    client.get(url)  # warm: caches, the token's last-used stamp
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries.captured_queries)


def test_grants_cost_one_query_per_request(viewers):
    # The global role comes with the token (one query); the grants are one more, read once
    # per request whatever the list's length. A global viewer reads no grants at all.
    alice, gina = bearer(viewers.alice), bearer(viewers.gina)
    for path in ("/", "/a/", "/a/services/", f"/a/{SERVICE}/", "/a/flowmap/", "/a/snapshots/"):
        url = f"/api/v1/clusters{path}"
        assert _queries(alice, url) == _queries(gina, url) + 1, url


@pytest.mark.parametrize("holder", ["neither", "both", "user twice", "group twice"])
def test_a_grant_names_a_user_or_a_group_and_only_once(viewers, holder):
    team = Group.objects.create(name="some-team")
    held = {
        "neither": {},
        "both": {"user": viewers.bob, "group": team},
        "user twice": {"user": viewers.bob},
        "group twice": {"group": team},
    }[holder]
    if holder.endswith("twice"):
        ClusterGrant.objects.create(cluster=viewers.a, role="viewer", **held)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClusterGrant.objects.create(cluster=viewers.a, role="editor", **held)


def test_a_granted_user_reads_the_api_index_and_its_schema(viewers):
    alice = bearer(viewers.alice)
    for url in ("/api/v1/", "/api/v1/schema/?format=json", "/api/v1/docs/"):
        assert alice.get(url).status_code == 200, url


def _cluster_form(cluster, **grant) -> dict:
    """The admin's change form of `cluster` with one new grant in its inline."""
    return {
        "name": cluster.name,
        "display_name": cluster.display_name,
        "source": cluster.source,
        "kube_context": "",
        "provider": cluster.provider,
        "clients": cluster.clients,
        "price_cross_zone": "",
        "price_cross_region": "",
        "cross_zone_alert": 0.5,
        "snapshot_interval": 300,
        "retention_days": 30,
        "grants-TOTAL_FORMS": 1,
        "grants-INITIAL_FORMS": 0,
        "grants-MIN_NUM_FORMS": 0,
        "grants-MAX_NUM_FORMS": 1000,
        **{f"grants-0-{key}": value for key, value in grant.items()},
    }


def test_grants_are_edited_inline_on_the_cluster_in_the_admin(viewers, admin_client):
    url = f"/admin/routing/cluster/{viewers.b.pk}/change/"
    assert "Cluster grants" in admin_client.get(url).content.decode()
    team = Group.objects.create(name="team-x")
    both = _cluster_form(viewers.b, user=viewers.alice.pk, group=team.pk, role="viewer")
    refused = admin_client.post(url, both)
    assert refused.status_code == 200  # the form again
    assert "exactly one of them" in refused.content.decode()
    added = admin_client.post(url, _cluster_form(viewers.b, user=viewers.alice.pk, role="viewer"))
    assert added.status_code == 302, added.content.decode()[:2000]
    fresh = User.objects.get(pk=viewers.alice.pk)
    assert list(visible_clusters(fresh).values_list("name", flat=True)) == ["a", "b"]
