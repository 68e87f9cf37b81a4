"""The API answer cache is an optimisation: with its Redis down the Services list still answers.

Each test points the cache at a redis-server of its own (tests/redis_server.py), stops it, and
starts it again on the same port.
"""

import logging
import time

import pytest

from routing.api import cache as api_cache

pytestmark = pytest.mark.django_db

URL = "/api/v1/clusters/demo/services/"


def _cache_records(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == api_cache.__name__]


def test_the_services_list_answers_while_redis_is_down_and_caches_again_after(
    demo_cluster, token_client, redis_cache, caplog, django_assert_max_num_queries
):
    caplog.set_level(logging.INFO, logger=api_cache.__name__)
    client = token_client("viewer")
    warm = client.get(URL, {"namespace": "shop"})
    assert warm.status_code == 200
    assert redis_cache.client().dbsize() == 1  # warmed: one entry

    redis_cache.stop()
    for query in ({"namespace": "shop"}, {"namespace": "shop"}, {"ordering": "name"}):
        started = time.monotonic()
        response = client.get(URL, query)
        assert response.status_code == 200, response.content[:300]
        assert time.monotonic() - started < 2
    assert client.get(URL, {"namespace": "shop"}).json() == warm.json()
    down = _cache_records(caplog)
    assert len(down) == 1 and "unreachable" in down[0], down  # once per outage, not per request

    redis_cache.start()
    time.sleep(0.3)  # past the retry interval
    again = client.get(URL, {"namespace": "shop"})
    assert again.status_code == 200 and again.json() == warm.json()
    assert redis_cache.client().dbsize() == 1  # stored again in the restarted (empty) server
    # token with user and role, snapshot, the volumes' state (in the key); no rows read
    with django_assert_max_num_queries(3):
        assert client.get(URL, {"namespace": "shop"}).json() == warm.json()
    records = _cache_records(caplog)
    assert len(records) == 2 and "reachable again" in records[1], records


def test_a_second_outage_is_logged_again(demo_cluster, token_client, redis_cache, caplog):
    caplog.set_level(logging.INFO, logger=api_cache.__name__)
    client = token_client("viewer")
    for _ in range(2):
        redis_cache.stop()
        assert client.get(URL).status_code == 200
        assert client.get(URL).status_code == 200
        redis_cache.start()
        time.sleep(0.3)
        assert client.get(URL).status_code == 200
    messages = _cache_records(caplog)
    assert [("unreachable" in m, "reachable again" in m) for m in messages] == [
        (True, False),
        (False, True),
        (True, False),
        (False, True),
    ], messages
