"""Access per cluster on the pages: two teams, each granted a role on its own cluster only.

A cluster someone may not see is the product's 404 page, as one that does not exist; the
overview lists only what they see; editing controls show where they hold the role.
"""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from routing.models import Cluster
from tests.teams import VIAS, grant, two_teams

pytestmark = pytest.mark.django_db

CLUSTER_PAGES = [
    ("cluster", ()),
    ("services", ()),
    ("service", ("shop", "cart")),
    ("timeline", ()),
    ("recommendations", ()),
    ("settings", ()),
]


def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(params=VIAS)
def via(request) -> str:
    return request.param


def test_the_overview_lists_only_the_clusters_one_may_see(via):
    teams = two_teams("viewer", via)
    for user, names in [(teams.alice, ["a"]), (teams.bob, ["b"]), (teams.gina, ["a", "b"])]:
        response = browser(user).get(reverse("clusters"))
        assert response.status_code == 200, user  # no "no role" page for a granted user
        assert [card["cluster"].name for card in response.context["cards"]] == names
        page = response.content.decode()
        for name, display in (("a", "Team A cluster"), ("b", "Team B cluster")):
            shown = name in names
            assert (f'href="/clusters/{name}/"' in page) is shown, (user, name)
            assert (display in page) is shown, (user, name)


@pytest.mark.parametrize(("name", "extra"), CLUSTER_PAGES)
def test_every_page_of_the_other_teams_cluster_is_the_404_page(via, name, extra):
    teams = two_teams("viewer", via)
    alice = browser(teams.alice)
    assert alice.get(reverse(name, args=["a", *extra])).status_code == 200
    hidden = alice.get(reverse(name, args=["b", *extra]))
    assert hidden.status_code == 404
    assert hidden.templates[0].name == "404.html"
    page = hidden.content.decode()
    assert "No cluster named &#x27;b&#x27;." in page and "Team B" not in page
    missing = alice.get(reverse(name, args=["nope", *extra]))
    assert missing.status_code == 404
    assert missing.context["message"] == hidden.context["message"].replace("'b'", "'nope'")
    assert browser(teams.gina).get(reverse(name, args=["b", *extra])).status_code == 200


def test_a_user_without_any_role_still_gets_the_no_role_page(via):
    two_teams("viewer", via)
    nobody = browser(User.objects.create_user("nobody", password="pw"))
    for url in (reverse("clusters"), reverse("cluster", args=["a"]), reverse("upload")):
        response = nobody.get(url)
        assert response.status_code == 403, url
        assert response.templates[0].name == "pages/forbidden.html"


def test_editing_controls_show_only_where_the_role_is_held(via):
    teams = two_teams("viewer", via)
    grant(teams.gina, teams.a, "editor", via)  # a global viewer, editor of a
    gina = browser(teams.gina)
    on_a = gina.get(reverse("settings", args=["a"]))
    assert on_a.context["data"]["canEdit"] is True
    assert 'id="bulk-form"' in on_a.content.decode()
    on_b = gina.get(reverse("settings", args=["b"]))
    assert on_b.context["data"]["canEdit"] is False
    assert 'id="readonly-note"' in on_b.content.decode()
    alice = browser(teams.alice).get(reverse("settings", args=["a"]))  # a viewer of a
    assert alice.context["data"]["canEdit"] is False


def test_the_upload_page_offers_only_clusters_one_may_upload_to(via):
    teams = two_teams("editor", via)
    watched = Cluster.objects.create(name="w", source=Cluster.Source.KUBECONFIG)
    grant(teams.alice, watched, "editor", via)
    response = browser(teams.alice).get(reverse("upload"))
    assert response.status_code == 200  # an editor of a only, in no role group
    assert [c["name"] for c in response.context["clusters"]] == ["a"]
    page = response.content.decode()
    assert 'value="a"' in page and 'value="b"' not in page and 'value="w"' not in page
    assert 'id="target-new"' not in page  # adding clusters needs the global admin role


def test_a_cluster_admin_may_upload_to_its_watched_cluster_but_add_none(via):
    teams = two_teams("admin", via, snapshots=False)
    Cluster.objects.create(name="w", source=Cluster.Source.KUBECONFIG)
    grant(teams.alice, Cluster.objects.get(name="w"), "admin", via)
    response = browser(teams.alice).get(reverse("upload"))
    assert [c["name"] for c in response.context["upload_clusters"]] == ["a"]
    assert [c["name"] for c in response.context["watched_clusters"]] == ["w"]
    assert 'id="target-new"' not in response.content.decode()


def test_a_viewer_grant_does_not_open_the_upload_page(via):
    teams = two_teams("viewer", via, snapshots=False)
    response = browser(teams.alice).get(reverse("upload"))
    assert response.status_code == 403
    assert "editor" in response.content.decode()
