"""Django's Redis cache, keeping one redis-py client per connection pool.

Django's RedisCacheClient builds a new `redis.Redis` around its connection pool for every get
and set. Building one (it fills a table of about a hundred response callbacks) cost more of a
gunicorn worker's CPU than the commands themselves: 6.7% of it on cold Services list requests,
which each read and write the cache once (docs/benchmarks.md, issue 16 target 3). A client
over a pool holds no connection of its own and is safe to share between threads; the pools
and their settings (timeouts, the one retry) are Django's, unchanged.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}  # id of a pool in self._pools -> its client

    def get_client(self, key=None, *, write=False):
        # Django's own attributes, which django-stubs does not declare.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:  # the pools live as long as this object: their ids stay theirs
            make = self._client  # type: ignore[attr-defined]
            client = self._clients[id(pool)] = make(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
