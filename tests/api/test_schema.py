"""The OpenAPI schema generates without warnings; the docs page and its assets are served here."""

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings(tmp_path):
    path = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    text = path.read_text()
    for endpoint in (
        "/api/v1/clusters/{cluster}/services/{namespace}/{service}/",
        "/api/v1/clusters/{cluster}/snapshots/{seq}/diff/",
        "/api/v1/health",
    ):
        assert f"  {endpoint}:" in text


def test_schema_endpoint(token_client):
    response = token_client("viewer").get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "TrafficLens API"
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    error = schema["components"]["schemas"]["ErrorBody"]
    assert set(error["properties"]) == {"status", "code", "message", "details"}


def test_every_schema_property_is_described(token_client):
    schema = token_client("viewer").get("/api/v1/schema/", {"format": "json"}).json()
    missing = []
    for name, component in schema["components"]["schemas"].items():
        for prop, spec in component.get("properties", {}).items():
            if not spec.get("description") and "$ref" not in spec and "allOf" not in spec:
                missing.append(f"{name}.{prop}")
    # Pagination envelopes (count, next, previous, results) are DRF's own.
    missing = [m for m in missing if not m.startswith("Paginated")]
    assert missing == []


def test_docs_page_uses_local_assets(token_client, settings):
    response = token_client("viewer").get("/api/v1/docs/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    page = response.content.decode()
    bundle = "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    assert bundle in page
    assert "cdn.jsdelivr.net" not in page and "unpkg.com" not in page
    settings.WHITENOISE_USE_FINDERS = True  # as in development; production collects the files
    asset = Client().get(bundle)
    assert asset.status_code == 200
    assert b"SwaggerUIBundle" in b"".join(asset.streaming_content)
