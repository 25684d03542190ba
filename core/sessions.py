"""Sessions read from the cache (Redis) and kept in the database, that survive Redis being down.

Django's ``cached_db`` falls back to the database when a cache read fails, and its ``save``
logs a failed cache write, but its cache write after a read, its ``exists`` and its ``delete``
still raise: with Redis down every
logged-in page would answer 500. Here every cache operation that fails is logged and skipped,
so the database alone carries the session until Redis is back.

The database row is the session's source of truth: a session found in the cache is accepted only
while its row still exists (one indexed look-up). A log-out (or any deletion of the row: an
account ended, ``clearsessions``) while Redis is down cannot delete the cached copy, and Redis may
come back with its data; that copy is then refused and dropped, never valid again.

Only Django's public session API is used: the cache through ``caches[SESSION_CACHE_ALIAS]``,
the database through ``db.SessionStore``'s ``load``, ``exists`` and ``delete``. The table is
``core.UserSession``, with the columns of the database engine (core/sessions_db.py): the user, the
device, when it was last used; so ending a session (a member's 退出 of a remembered phone, a password
changed or reset) is deleting its row.
"""

import logging

from django.conf import settings
from django.contrib.sessions.backends import cached_db, db
from django.core.cache import caches

from .sessions_db import UserSessionMixin

logger = logging.getLogger(__name__)


def _cache_call(method: str, *args, default=None):
    try:
        return getattr(caches[settings.SESSION_CACHE_ALIAS], method)(*args)
    except Exception:  # noqa: BLE001 - any cache failure: go on with the database
        logger.warning("会话缓存不可用（%s），改用数据库", method)
        return default


class CachedDatabaseStore(cached_db.SessionStore):
    def load(self):
        data = _cache_call("get", self.cache_key)
        if data is not None:
            if db.SessionStore.exists(self, self.session_key):
                return data
            _cache_call("delete", self.cache_key)  # a copy whose row is gone: dropped
        data = db.SessionStore.load(self)
        if data:
            age = self.get_expiry_age(expiry=data.get("_session_expiry"))
            _cache_call("set", self.cache_key, data, age)
        return data

    def exists(self, session_key):
        if session_key and _cache_call("has_key", self.cache_key_prefix + session_key, default=False):
            return True
        return db.SessionStore.exists(self, session_key)

    def delete(self, session_key=None):
        db.SessionStore.delete(self, session_key)
        session_key = session_key or self.session_key
        if session_key is not None:
            _cache_call("delete", self.cache_key_prefix + session_key)


class SessionStore(UserSessionMixin, CachedDatabaseStore):
    pass
