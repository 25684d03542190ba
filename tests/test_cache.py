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
