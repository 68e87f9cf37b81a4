"""Cache stuffing: only the validated, normalised query makes a cache key, and entries are capped.

The cache lives in a redis-server of the test's own, so its keys and memory can be counted.
"""

import random
import string
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from tests.redis_server import RedisServer

pytestmark = pytest.mark.django_db

URL = "/api/v1/clusters/demo/services/"
COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def _junk(rng: random.Random, size: int) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits, k=size))


def test_unknown_parameters_do_not_make_new_cache_entries(demo_cluster, token_client, redis_cache):
    client = token_client("viewer")
    plain = client.get(URL).json()
    rng = random.Random(7)
    memory_before = redis_cache.client().info("memory")["used_memory"]
    for _ in range(300):
        query = {_junk(rng, 8): _junk(rng, 2000) for _ in range(3)}
        response = client.get(URL, query)
        assert response.status_code == 200
        assert response.json() == plain
    assert redis_cache.client().dbsize() == 1
    assert redis_cache.client().info("memory")["used_memory"] - memory_before < 100_000


@pytest.mark.parametrize(
    "same",
    [
        {"x": "1"},
        {"page": "1"},
        {"page": "01"},
        {"page_size": "100"},
        {"has_diagnostics": ""},
        # (An explicit ordering is a key of its own: the default depends on the volumes.)
        {"page": "1", "utm_source": "mail"},
    ],
)
def test_defaults_and_unknown_parameters_share_the_plain_key(
    demo_cluster, token_client, redis_cache, same
):
    client = token_client("viewer")
    plain = client.get(URL).json()
    assert client.get(URL, same).json() == plain
    assert redis_cache.client().dbsize() == 1


def test_different_validated_queries_get_different_entries(demo_cluster, token_client, redis_cache):
    client = token_client("viewer")
    bodies = [
        client.get(URL, query).json()
        for query in ({}, {"ordering": "name"}, {"namespace": "shop"}, {"page_size": "2"})
    ]
    assert redis_cache.client().dbsize() == 4
    assert len({str(b) for b in bodies}) == 4


def test_links_name_only_validated_parameters(demo_cluster, token_client, redis_cache):
    """A cached answer is served to others, so its links must not carry a requester's junk."""
    client = token_client("viewer")
    seq = demo_cluster.latest_snapshot().seq
    body = client.get(URL, {"page_size": "2", "ordering": "name", "evil": "<x>"}).json()
    assert body["next"] is not None
    query = parse_qs(urlsplit(body["next"]).query)
    assert query == {
        "ordering": ["name"],
        "page_size": ["2"],
        "page": ["2"],
        "snapshot": [str(seq)],
    }
    second = client.get(body["next"]).json()
    assert second["previous"] is not None
    assert parse_qs(urlsplit(second["previous"]).query) == {
        "ordering": ["name"],
        "page_size": ["2"],
        "snapshot": [str(seq)],
    }


def test_an_answer_over_the_size_cap_is_served_but_not_stored(
    demo_cluster, token_client, redis_cache, settings, django_assert_num_queries
):
    client = token_client("viewer")
    small = client.get(URL, {"page_size": "1"})
    size = len(small.content)
    assert redis_cache.client().dbsize() == 1
    settings.API_CACHE_MAX_ENTRY_BYTES = size * 4  # a one-row page fits, a full page does not
    full = client.get(URL)
    assert full.status_code == 200 and len(full.json()["results"]) > 4
    assert redis_cache.client().dbsize() == 1
    # computed again: token, snapshot with the volumes' state (the page's keys, the count and
    # the rows come from the snapshot's index in this process, read by the first request; the
    # snapshot's own row is not read: the lookup brought what a page needs of it)
    with django_assert_num_queries(2):
        assert client.get(URL).json() == full.json()


CACHED = [
    URL,
    URL + "?namespace=shop&ordering=name",
    "/api/v1/clusters/demo/flowmap/",
    "/api/v1/clusters/demo/flowmap/?policy=PreferSameZone",
    "/api/v1/clusters/demo/top-services/?policy=PreferSameZone",
    "/api/v1/clusters/demo/recommendations/",
]


@pytest.mark.parametrize("url", CACHED)
def test_a_cached_answer_is_the_computed_bytes_after_two_queries(
    demo_cluster, token_client, redis_cache, django_assert_num_queries, url
):
    """A hit reads the token and the snapshot with its volume state, then the stored bytes:
    exactly what the first request rendered, headers included."""
    client = token_client("viewer")
    first = client.get(url)
    assert first.status_code == 200
    with django_assert_num_queries(2):
        hit = client.get(url)
    assert hit.content == first.content
    assert hit["Content-Type"] == first["Content-Type"] == "application/json"
    assert hit["Allow"] == first["Allow"]
    assert hit.json()  # not an empty body


def test_an_answer_computed_without_cache_is_the_same_json(
    demo_cluster, token_client, redis_cache, settings
):
    client = token_client("viewer")
    cached = [client.get(url).content for url in CACHED]
    settings.API_CACHE_SECONDS = 0
    assert [client.get(url).content for url in CACHED] == cached


def test_composes_cache_redis_is_bounded_and_evicts_least_recently_used(tmp_path):
    """docker-compose.yml's cache command, run by the local redis-server on a free port; the
    app's cache points at it, and the Redis of queues, channels and leases evicts nothing."""
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert services["web"]["environment"]["TRAFFICLENS_CACHE_URL"] == "redis://cache:6379/0"
    assert "command" not in services["redis"]  # Redis' default policy: noeviction
    command = services["cache"]["command"]
    assert command[0] == "redis-server"
    server = RedisServer(tmp_path)
    server.extra_args = command[1:]
    server.start()
    try:
        config = server.client().config_get("maxmemory*")
        assert config["maxmemory-policy"] == "allkeys-lru"
        assert int(config["maxmemory"]) == 256 * 1024 * 1024
    finally:
        server.stop()
