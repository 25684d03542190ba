"""Overrides for the test suite only: fast password hashing, files in a temporary folder."""

import tempfile

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="partysite-test-media-")
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Rate limits out of the way of tests that check in or activate many times; the limiter's own
# tests (tests/branches/test_ratelimit.py) set small ones.
RATE_LIMITS = {scope: (1_000_000, window) for scope, (_limit, window) in RATE_LIMITS.items()}  # noqa: F405
