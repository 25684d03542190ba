"""Overrides for the test suite only: fast password hashing, files in a temporary folder."""

import os
import tempfile

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="partysite-test-media-")
PRIVATE_FILES_ROOT = tempfile.mkdtemp(prefix="partysite-test-private-")
STORAGES = {**STORAGES, "private": {**STORAGES["private"], "OPTIONS": {"location": PRIVATE_FILES_ROOT}}}  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Rate limits out of the way of tests that check in or activate many times; the limiter's own
# tests (tests/core/test_ratelimit.py) set small ones.
RATE_LIMITS = {scope: (1_000_000, window) for scope, (_limit, window) in RATE_LIMITS.items()}  # noqa: F405
# Sessions in the database even with REDIS_URL (production reads them from Redis, cached_db):
# the suite's pinned query counts include the session's read, the same on SQLite and PostgreSQL.
SESSION_ENGINE = "core.sessions_db"
# pytest-xdist: each worker has a test database of its own, so cache keys of its own in a shared Redis (ids
# repeat across workers), apart from the "partysite" keys of the servers that the live tests start.
if "KEY_PREFIX" in CACHES["default"]:  # noqa: F405
    CACHES["default"]["KEY_PREFIX"] = f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"  # noqa: F405
