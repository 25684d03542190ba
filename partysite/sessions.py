"""Sessions read from the cache (Redis) and kept in the database, that survive Redis being down.

Django's ``cached_db`` falls back to the database when a cache read fails, but its cache
write after that read, its ``exists`` and its ``delete`` still raise: with Redis down every
logged-in page would answer 500. Here every cache operation that fails is logged and skipped,
so the database alone carries the session until Redis is back.

The database row is the session's source of truth: a session found in the cache is accepted only
while its row still exists (one indexed look-up). A log-out (or any deletion of the row: an
account ended, ``clearsessions``) while Redis is down cannot delete the cached copy, and Redis may
come back with its data; that copy is then refused and dropped, never valid again.

``load_counting`` is the rate limiter's (branches/ratelimit.py): the session read from Redis and
one request counted there in the same command (``partysite.cache.RedisCache.get_and_count``).
"""

import logging

from django.contrib.sessions.backends import cached_db

logger = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def _cache_call(self, method: str, *args, default=None):
        try:
            return getattr(self._cache, method)(*args)
        except Exception:  # noqa: BLE001 - any cache failure: go on with the database
            logger.warning("会话缓存不可用（%s），改用数据库", method)
            return default

    def _in_database(self) -> bool:
        """Whether a session read from the cache still has its database row; a stale copy is dropped."""
        if cached_db.DBStore.exists(self, self.session_key):
            return True
        self._cache_call("delete", self.cache_key)
        return False

    def load(self):
        data = self._cache_call("get", self.cache_key)
        if data is not None and self._in_database():
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        self._cache_call("set", self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date))
        return data

    def exists(self, session_key):
        if session_key and self._cache_call("has_key", self.cache_key_prefix + session_key, default=False):
            return True
        return cached_db.DBStore.exists(self, session_key)

    def delete(self, session_key=None):
        cached_db.DBStore.delete(self, session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self._cache_call("delete", self.cache_key_prefix + session_key)

    def load_counting(self, counter_key: str, timeout: int) -> int | None:
        """Read the session from the cache and count one request on ``counter_key`` there, in one command.

        The count, the session then being loaded; None when nothing was read or counted, and the
        caller goes the usual way (no session key, the session already loaded or not in the cache,
        a cache without ``get_and_count``, Redis down, or the session's database row gone).
        """
        if self.session_key is None or hasattr(self, "_session_cache"):
            return None
        get_and_count = getattr(self._cache, "get_and_count", None)
        if get_and_count is None:
            return None
        try:
            data, count = get_and_count(self.cache_key, counter_key, timeout)
        except Exception:  # noqa: BLE001 - as every cache call here: the database carries the session
            logger.warning("会话缓存不可用（%s），改用数据库", "get_and_count")
            return None
        if data is None or not self._in_database():
            return None  # a copy deleted while Redis was down is dropped: the usual way finds no session
        self.accessed = True  # as Django's own read marks it (the answer varies with the cookie)
        self._session_cache = data
        return count
