"""Sessions read from the cache (Redis) and kept in the database, that survive Redis being down.

Django's ``cached_db`` falls back to the database when a cache read fails, but its cache
write after that read, its ``exists`` and its ``delete`` still raise: with Redis down every
logged-in page would answer 500. Here every cache operation that fails is logged and skipped,
so the database alone carries the session until Redis is back.
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

    def load(self):
        data = self._cache_call("get", self.cache_key)
        if data is not None:
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
