"""partysite.cache: Django's Redis cache keeping one redis-py client per connection pool."""

import os
import uuid

import pytest

from partysite.cache import RedisCache

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="需要 REDIS_URL（真实的 Redis）")


def test_one_client_serves_every_operation_and_the_cache_works():
    cache = RedisCache(REDIS_URL, {"KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}"})
    first = cache._cache.get_client("a", write=True)
    assert cache._cache.get_client("b") is first  # Django's own builds a new client each time
    cache.set("k", {"v": 1}, 30)
    assert cache.get("k") == {"v": 1}
    assert cache.add("n", 0, 30) and cache.incr("n") == 1
    cache.delete_many(["k", "n"])
    assert cache.get("k") is None


def test_the_rate_limiter_counts_in_redis_with_one_script_and_the_key_expires(monkeypatch):
    from branches import ratelimit

    cache = RedisCache(REDIS_URL, {"KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}"})
    monkeypatch.setattr(ratelimit, "cache", cache)
    client = cache._cache.get_client("x", write=True)
    ratelimit.rate_limit_hit(scope="warm", who="u1", limit=2, window=60, now=1000.0)  # the script is loaded now
    sent = []
    real = client.execute_command
    monkeypatch.setattr(client, "execute_command", lambda *args, **kw: sent.append(args[0]) or real(*args, **kw))
    hits = [ratelimit.rate_limit_hit(scope="s", who="u1", limit=2, window=60, now=1000.0) for _ in range(3)]
    assert [allowed for allowed, _ in hits] == [True, True, False]
    assert hits[2][1] == 20  # the window 960-1020 ends in 20 s
    assert sent == ["EVALSHA"] * 3  # one command per hit
    key = cache.make_and_validate_key("ratelimit:s:u1:16")
    assert int(client.get(key)) == 3
    assert 0 < client.ttl(key) <= 61  # set on the window's first request, not renewed
    assert ratelimit.rate_limit_hit(scope="s", who="u2", limit=2, window=60, now=1000.0)[0] is True
    client.delete(key, *(cache.make_and_validate_key(f"ratelimit:{k}:16") for k in ("s:u2", "warm:u1")))


def test_get_and_count_reads_the_value_and_counts_only_when_it_is_there():
    cache = RedisCache(REDIS_URL, {"KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}"})
    client = cache._cache.get_client("x", write=True)
    cache.set("session", {"_auth_user_id": "7"}, 30)

    assert cache.get_and_count("session", "counter", 60) == ({"_auth_user_id": "7"}, 1)
    assert cache.get_and_count("session", "counter", 60) == ({"_auth_user_id": "7"}, 2)
    counter = cache.make_and_validate_key("counter")
    assert int(client.get(counter)) == 2 and 0 < client.ttl(counter) <= 60
    assert cache.get_and_count("no-such-session", "counter-2", 60) == (None, 0)
    assert not client.exists(cache.make_and_validate_key("counter-2"))  # nothing counted for a missing value
    cache.delete_many(["session", "counter"])
