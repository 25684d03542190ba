"""Encryption at rest for ID numbers: Fernet with its own key, and an HMAC digest for look-ups.

The key is ``settings.FIELD_ENCRYPTION_KEY`` (never the SECRET_KEY). The digest is an
HMAC-SHA256 keyed by a key derived from it, so equal numbers give equal digests and the
column can carry a unique index.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


@lru_cache(maxsize=4)
def _digest_key(key: str) -> bytes:
    return hashlib.sha256(b"partysite-id-digest:" + key.encode()).digest()


def encrypt(value: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode()).decode()


def digest(value: str) -> str:
    return hmac.new(_digest_key(settings.FIELD_ENCRYPTION_KEY), value.encode(), hashlib.sha256).hexdigest()
