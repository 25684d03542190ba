"""Overrides for the test suite only: fast password hashing, files in a temporary folder."""

import tempfile

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="partysite-test-media-")
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
