"""Every response carries the Content-Security-Policy (dashboard/csp.py): pages, sign-in, the
admin, the API and its Swagger UI (whose script is a file, not inline), static files, redirects,
404 and 500 pages. Scripts may come only from this site: no 'unsafe-inline', no 'unsafe-eval'."""

import re

import pytest
from django.test import Client
from django.urls import include, path

from dashboard.csp import HEADER
from routing.models import Cluster

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.test_csp")]


def _boom(request):
    raise RuntimeError("a bug in a view")


# The product's URLs plus one view that fails, for the 500 page.
urlpatterns = [path("test-boom/", _boom), path("", include("dashboard.urls"))]


def policy_of(response) -> dict[str, list[str]]:
    assert HEADER in response, f"{response.status_code} answer without {HEADER}"
    directives = [d.split() for d in response[HEADER].split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


def assert_strict(response) -> None:
    policy = policy_of(response)
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["default-src"] + policy["script-src"]
    assert not any("unsafe-eval" in s for sources in policy.values() for s in sources)
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]


@pytest.fixture
def signed_in(admin_user):
    Cluster.objects.create(name="shop", source="upload")
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/", 200),
        ("/clusters/shop/", 200),
        ("/clusters/shop/services/", 200),
        ("/clusters/shop/services/ns/missing/", 404),
        ("/clusters/shop/timeline/", 200),
        ("/clusters/shop/recommendations/", 200),
        ("/clusters/shop/settings/", 200),
        ("/upload/", 200),
        ("/admin/", 200),
        ("/admin/routing/cluster/", 200),
        ("/api/v1/clusters/", 200),
        ("/api/v1/docs/", 200),
        ("/api/v1/docs/?script=", 200),
        ("/api/v1/schema/", 200),
        ("/no-such-page/", 404),
        ("/api/v1/no-such-endpoint/", 404),
    ],
)
def test_signed_in_answers_carry_the_policy(signed_in, url, status):
    response = signed_in.get(url)
    assert response.status_code == status
    assert_strict(response)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/", 302),
        ("/accounts/login/", 200),
        ("/admin/login/", 200),
        ("/api/v1/health", 200),
        ("/api/v1/clusters/", 401),
        ("/healthz", 200),
        ("/no-such-page/", 404),
    ],
)
def test_anonymous_answers_carry_the_policy(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    assert_strict(response)


def test_static_files_and_server_errors_carry_the_policy(settings):
    settings.WHITENOISE_USE_FINDERS = True  # as in development; production collects the files
    asset = Client().get("/static/dashboard/app.css")
    assert asset.status_code == 200
    assert_strict(asset)
    failed = Client(raise_request_exception=False).get("/test-boom/")
    assert failed.status_code == 500
    assert_strict(failed)


def test_the_swagger_ui_has_no_inline_script(signed_in):
    page = signed_in.get("/api/v1/docs/").content.decode()
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts and all(" src=" in tag for tag in scripts), scripts
    start = signed_in.get("/api/v1/docs/?script=")
    assert start["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in start.content
