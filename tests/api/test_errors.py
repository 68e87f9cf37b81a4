"""Every error has one shape: {"error": {"status", "code", "message", "details"}}."""

import pytest
from rest_framework.test import APIClient

from routing.api.errors import _first_message

from .conftest import assert_error

pytestmark = pytest.mark.django_db


def test_400_names_the_field(demo_cluster, token_client):
    response = token_client("viewer").get("/api/v1/clusters/demo/snapshots/?since=yesterday")
    error = assert_error(response, 400, "invalid")
    assert error["message"].startswith("since: ")
    assert list(error["details"]) == ["since"]


def test_401_without_credentials(demo_cluster):
    response = APIClient().get("/api/v1/clusters/")
    error = assert_error(response, 401, "not_authenticated")
    assert error["details"] == {}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_403_without_the_role(demo_cluster, token_client):
    response = token_client("viewer").delete("/api/v1/clusters/demo/")
    error = assert_error(response, 403, "permission_denied")
    assert error["message"] == "This needs the admin role."


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/clusters/nope/",
        "/api/v1/clusters/nope/snapshots/",
        "/api/v1/clusters/demo/snapshots/99/",
        "/api/v1/clusters/demo/snapshots/99999999999999999999/",
        "/api/v1/clusters/demo/services/?snapshot=99",
        "/api/v1/clusters/demo/services/shop/nope/",
        "/api/v1/clusters/demo/snapshots/1/diff/?against=99",
        "/api/v1/clusters/demo/services/?page=99",
        "/api/v1/nothing/here/",
    ],
)
def test_404(demo_cluster, token_client, url):
    assert_error(token_client("viewer").get(url), 404, "not_found")


def test_404_suggests_the_trailing_slash(demo_cluster, token_client):
    error = assert_error(token_client("viewer").get("/api/v1/clusters"), 404, "not_found")
    assert "Did you mean /api/v1/clusters/ ?" in error["message"]


def test_405_keeps_the_allow_header(demo_cluster, token_client):
    response = token_client("admin").put("/api/v1/clusters/demo/", {}, format="json")
    assert_error(response, 405, "method_not_allowed")
    assert "PATCH" in response.headers["Allow"]


def test_413_has_the_limit_in_details(demo_cluster, token_client, settings):
    settings.TRAFFICLENS_UPLOAD_MAX_BYTES = 10
    response = token_client("editor").post(
        "/api/v1/clusters/demo/snapshots/", b"{" * 11, content_type="application/json"
    )
    assert assert_error(response, 413, "too_large")["details"] == {"limit": 10}


def test_malformed_json_body_is_a_parse_error(demo_cluster, token_client):
    response = token_client("admin").post(
        "/api/v1/clusters/", b"{not json", content_type="application/json"
    )
    assert_error(response, 400, "parse_error")


@pytest.mark.parametrize(
    ("url", "accept"), [("/api/v1/schema/", "*/*"), ("/api/v1/docs/", "text/html")]
)
def test_schema_and_docs_errors_are_json_too(demo_cluster, url, accept):
    response = APIClient().get(url, HTTP_ACCEPT=accept)
    assert response["Content-Type"].startswith("application/json")
    assert_error(response, 401, "not_authenticated")


def test_first_message_walks_nested_errors():
    assert _first_message({"a": {"b": ["bad"]}}) == "a.b: bad"
    assert _first_message({"non_field_errors": ["whole thing"]}) == "whole thing"
    assert _first_message({"items": [{}, {"x": ["no"]}]}) == "items[1].x: no"
    assert _first_message({}) == ""


@pytest.mark.parametrize("kind", [None, "viewer", "editor", "admin"])
@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_an_unknown_path_is_404_for_every_method_and_user(demo_cluster, token_client, kind, method):
    # The catch-all view once inherited the default write role: an editor's POST got 403.
    response = getattr(token_client(kind), method)("/api/v1/no/such/thing/", {}, format="json")
    error = assert_error(response, 404, "not_found")
    assert "/api/v1/no/such/thing/" in error["message"]


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_an_unknown_path_is_still_401_without_credentials(demo_cluster, method):
    response = getattr(APIClient(), method)("/api/v1/no/such/thing/")
    assert_error(response, 401, "not_authenticated")
