"""Pages never answer 500 for names the API server would refuse, whatever is stored.

Uploads refuse such names (routing.engine.names), but objects stored another way (a test store,
an older snapshot) still reach the pages; a Service name with "/" has no page URL, so its link
degrades to plain text instead of a NoReverseMatch.
"""

import pytest

from routing.models import Cluster
from routing.snapshots import write_snapshot
from tests.factories import DEMO_DUMP

ODD = ["a/b", "Upper Case", "x" * 253, "quote'\"<>&", ".."]


def _rename(objects: list[dict], old: str, new: str) -> None:
    for obj in objects:
        meta = obj["metadata"]
        if obj["kind"] == "Service" and meta["name"] == old:
            meta["name"] = new
        labels = meta.get("labels") or {}
        if labels.get("kubernetes.io/service-name") == old:
            labels["kubernetes.io/service-name"] = new


@pytest.fixture(params=ODD, ids=lambda n: n[:12])
def odd(request, db):
    import orjson

    objects = orjson.loads(DEMO_DUMP.read_bytes())["items"]
    _rename(objects, "cart", request.param)
    cluster = Cluster.objects.create(name="odd", source="upload")
    write_snapshot(cluster, objects, source="upload")
    return request.param


@pytest.mark.parametrize(
    "page", ["", "services/", "settings/", "recommendations/", "timeline/"], ids=str
)
def test_every_cluster_page_answers_200(client, odd, page):
    response = client.get(f"/clusters/odd/{page}")
    assert response.status_code == 200


def test_the_services_page_links_only_names_that_have_a_page(client, odd):
    rows = {r["name"]: r for r in client.get("/clusters/odd/services/").context["rows"]}
    assert rows["checkout"]["url"] == "/clusters/odd/services/shop/checkout/"
    if "/" in odd:
        assert rows[odd]["url"] is None
    else:
        assert rows[odd]["url"].startswith("/clusters/odd/services/shop/")
        assert client.get(rows[odd]["url"]).status_code == 200


def test_the_settings_page_links_only_names_that_have_a_page(client, odd):
    html = client.get("/clusters/odd/settings/").content.decode()
    assert '<th scope="row"><a href="/clusters/odd/services/shop/checkout/">' in html
    if "/" in odd:
        assert f'<th scope="row">shop/{odd}</th>' in html
