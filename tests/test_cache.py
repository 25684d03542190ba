"""The cache as production configures it (Django's own RedisCache) and the rate limiter's counters in it."""

import os
import uuid

import pytest
from django.core.cache.backends.redis import RedisCache

from partysite.settings import redis_caches

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="需要 REDIS_URL（真实的 Redis）")


def test_the_settings_use_djangos_own_redis_cache():
    assert (
        redis_caches("redis://127.0.0.1:6379/14")["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    )


def test_the_rate_limiter_counts_in_redis_and_the_key_expires(monkeypatch):
    from core import ratelimit

    cache = RedisCache(REDIS_URL, {"KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}"})
    monkeypatch.setattr(ratelimit, "cache", cache)
    hits = [ratelimit.rate_limit_hit(scope="s", who="u1", limit=2, window=60, now=1000.0) for _ in range(3)]
    assert [allowed for allowed, _ in hits] == [True, True, False]
    assert hits[2][1] == 20  # the window 960-1020 ends in 20 s
    key = cache.make_and_validate_key("ratelimit:s:u1:16")
    client = cache._cache.get_client(key, write=True)
    assert int(client.get(key)) == 3
    assert 0 < client.ttl(key) <= 61  # set on the window's first request, not renewed
    assert ratelimit.rate_limit_hit(scope="s", who="u2", limit=2, window=60, now=1000.0)[0] is True
    cache.delete_many(["ratelimit:s:u1:16", "ratelimit:s:u2:16"])
