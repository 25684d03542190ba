"""Django's Redis cache, with one redis-py client per connection pool instead of one per operation.

``django.core.cache.backends.redis.RedisCacheClient.get_client`` builds a new ``redis.Redis``
for every cache operation, and building one copies some 170 response callbacks: about 0.3 ms
of CPU, twice per check-in (the session and the rate limiter), a sixth of the request's own
time. A ``redis.Redis`` is safe to share between threads (each command takes a connection from
the pool), so the client is made once per pool and kept.

The rate limiter's counters (branches/ratelimit.py) are counted here, each in one command, by a
script run by its SHA1 (EVALSHA; redis-py loads it again if the server has forgotten it): ``count``
is Django's ``add`` + ``incr`` (three round trips) in one, and costs a third less in redis-py than
a pipeline of SET NX EX and INCR; ``get_and_count`` also reads a value, so that the phone's
check-in reads its session and counts itself in one round trip instead of two.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

# INCR the counter KEYS[k] and, on its first count, let it expire in ARGV[1] seconds: atomic, in Redis.
_INCR = "local n = redis.call('INCR', KEYS[{k}]) if n == 1 then redis.call('EXPIRE', KEYS[{k}], ARGV[1]) end "
COUNT_SCRIPT = _INCR.format(k=1) + "return n"
# GET KEYS[1]; only when it is there, count on KEYS[2].
GET_AND_COUNT_SCRIPT = (
    "local v = redis.call('GET', KEYS[1]) if not v then return {false, 0} end " + _INCR.format(k=2) + "return {v, n}"
)


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}
        self._scripts: dict[str, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def _run(self, script: str, keys: list[str], timeout: int):
        client = self.get_client(keys[0], write=True)  # a counter is written: the primary server
        registered = self._scripts.get(script)
        if registered is None:
            registered = self._scripts[script] = client.register_script(script)  # the client only gives it its encoder
        return registered(keys=keys, args=[timeout], client=client)

    def count(self, key: str, timeout: int) -> int:
        return int(self._run(COUNT_SCRIPT, [key], timeout))

    def get_and_count(self, key: str, counter: str, timeout: int) -> tuple[object | None, int]:
        value, count = self._run(GET_AND_COUNT_SCRIPT, [key, counter], timeout)
        return (None if value is None else self._serializer.loads(value)), int(count)


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    def count(self, key: str, timeout: int) -> int:
        """Count one on ``key`` and return the count; the key expires ``timeout`` seconds after its first count."""
        return self._cache.count(self.make_and_validate_key(key), timeout)

    def get_and_count(self, key: str, counter: str, timeout: int) -> tuple[object | None, int]:
        """``(get(key), count)``: when ``key`` is there, ``counter`` is incremented too, with an expiry of
        ``timeout`` seconds set on its first count; when it is not, nothing is counted (``(None, 0)``)."""
        return self._cache.get_and_count(self.make_and_validate_key(key), self.make_and_validate_key(counter), timeout)
