"""Failed token authentications are counted per client address; past the limit they get 429.

Anonymous requests are throttled by DRF (the only endpoint they reach is the health check);
authenticated ones are not throttled at all, so polling dashboards are never slowed.
"""

import pytest
from rest_framework.test import APIClient

from routing.api import cache as api_cache
from routing.api.throttling import AnonymousRateThrottle

from .conftest import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/clusters/"
ATTACKER = "203.0.113.5"
ELSEWHERE = "198.51.100.7"


def _wrong(address: str = ATTACKER, **headers):
    client = APIClient(REMOTE_ADDR=address, **headers)
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token-anyone-was-given")
    return client.get(URL)


def test_failures_past_the_limit_get_429_with_retry_after(db, settings):
    limit = settings.TRAFFICLENS_TOKEN_FAILURE_LIMIT
    assert limit == 20
    for _ in range(limit):
        assert_error(_wrong(), 401, "authentication_failed")
    refused = _wrong()
    error = assert_error(refused, 429, "throttled")
    assert "failed authentication" in error["message"]
    window = settings.LOGIN_COOLOFF_MINUTES * 60
    assert 0 < int(refused["Retry-After"]) <= window
    # Malformed headers and expired tokens are failures too.
    client = APIClient(REMOTE_ADDR=ATTACKER)
    client.credentials(HTTP_AUTHORIZATION="Bearer two parts")
    assert_error(client.get(URL), 429, "throttled")


def test_other_addresses_and_valid_tokens_are_not_refused(db, settings, token_client):
    for _ in range(settings.TRAFFICLENS_TOKEN_FAILURE_LIMIT + 1):
        _wrong()
    assert_error(_wrong(), 429, "throttled")
    assert_error(_wrong(ELSEWHERE), 401, "authentication_failed")
    # A valid token from the same address still works: tokens are 256 random bits, so the
    # limit is there to slow a noisy client, and must not let one broken tool behind a shared
    # address lock out every other tool behind it.
    valid = token_client("viewer")
    assert valid.get(URL, REMOTE_ADDR=ATTACKER).status_code == 200
    assert_error(APIClient(REMOTE_ADDR=ATTACKER).get(URL), 401, "not_authenticated")


def test_a_forged_forwarded_for_is_ignored_by_default(db, settings):
    for i in range(settings.TRAFFICLENS_TOKEN_FAILURE_LIMIT):
        _wrong(HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
    assert_error(_wrong(HTTP_X_FORWARDED_FOR="10.9.9.9"), 429, "throttled")


def test_behind_a_trusted_proxy_failures_count_per_forwarded_address(db, settings):
    settings.TRAFFICLENS_TRUSTED_PROXIES = 1
    for _ in range(settings.TRAFFICLENS_TOKEN_FAILURE_LIMIT):
        _wrong("172.18.0.5", HTTP_X_FORWARDED_FOR=ATTACKER)
    assert_error(_wrong("172.18.0.5", HTTP_X_FORWARDED_FOR=ATTACKER), 429, "throttled")
    assert_error(_wrong("172.18.0.5", HTTP_X_FORWARDED_FOR=ELSEWHERE), 401)


def test_with_the_cache_down_failures_are_401_not_500(db, settings, own_redis, monkeypatch):
    settings.CACHES = {
        "default": {
            "BACKEND": "dashboard.redis_cache.RedisCache",
            "LOCATION": own_redis.url,
        }
    }
    monkeypatch.setattr(api_cache, "_outage", api_cache.Outage())
    own_redis.stop()
    for _ in range(3):
        assert_error(_wrong(), 401, "authentication_failed")
    assert APIClient(REMOTE_ADDR=ATTACKER).get("/api/v1/health").status_code == 200


def test_anonymous_requests_are_throttled(db, monkeypatch):
    monkeypatch.setattr(AnonymousRateThrottle, "THROTTLE_RATES", {"anon": "3/min"})
    client = APIClient(REMOTE_ADDR=ATTACKER)
    assert [client.get("/api/v1/health").status_code for _ in range(3)] == [200] * 3
    refused = client.get("/api/v1/health")
    assert_error(refused, 429, "throttled")
    assert int(refused["Retry-After"]) > 0
    assert APIClient(REMOTE_ADDR=ELSEWHERE).get("/api/v1/health").status_code == 200


def test_authenticated_requests_are_not_throttled(db, token_client, monkeypatch):
    monkeypatch.setattr(AnonymousRateThrottle, "THROTTLE_RATES", {"anon": "3/min"})
    client = token_client("viewer")
    assert {client.get(URL).status_code for _ in range(10)} == {200}
