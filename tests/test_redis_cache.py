"""The Redis cache backend (dashboard/redis_cache.py) keeps one redis-py client per connection
pool instead of Django's new client for every command, and still works across a Redis
restart, on a real redis-server."""

from django.core.cache.backends.redis import RedisCacheClient

from dashboard.redis_cache import RedisCache


def backend(url: str) -> RedisCache:
    return RedisCache(url, {"KEY_PREFIX": "reuse-test", "OPTIONS": {"socket_timeout": 0.5}})


def test_one_client_serves_every_command(own_redis):
    cache = backend(own_redis.url)
    cache.set("k", b"v", 30)
    assert cache.get("k") == b"v"
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client() is client  # one server: reads and writes share its pool
    assert cache._cache.get_client(write=True) is client
    # Django's own client builds a new one each time (what this backend saves).
    plain = RedisCacheClient([own_redis.url])
    assert plain.get_client() is not plain.get_client()


def test_reads_and_writes_go_on_after_redis_restarts(own_redis):
    cache = backend(own_redis.url)
    cache.set("k", 1, 30)
    own_redis.stop()
    own_redis.start()  # an empty server: it keeps nothing on disk
    assert cache.get("k") is None
    cache.set("k", 2, 30)
    assert cache.get("k") == 2
    assert own_redis.client().dbsize() == 1
