"""The session engine used with Redis: read from the cache, kept in the database, alive without Redis."""

import json
import os
import uuid

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.activities.conftest import make_activity  # noqa: F401 - fixture

DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6390/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}
LOCAL = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sessions-test"}}


@pytest.mark.django_db
@override_settings(SESSION_ENGINE="core.sessions", CACHES=DOWN)
def test_logged_in_pages_work_with_the_cache_down(client, secretary_a):
    client.force_login(secretary_a)
    assert client.get(reverse("branches:tree")).status_code == 200
    client.logout()
    assert client.get(reverse("branches:tree")).status_code == 302


@pytest.mark.django_db
@override_settings(SESSION_ENGINE="core.sessions", CACHES=LOCAL)
def test_session_is_read_from_the_cache_once_written(client, secretary_a, django_assert_num_queries):
    from core.models import UserSession as Session
    from core.sessions import SessionStore

    client.force_login(secretary_a)
    key = client.session.session_key
    SessionStore(session_key=key).load()  # fills the cache
    with django_assert_num_queries(1):  # only whether its row still exists (the source of truth)
        assert SessionStore(session_key=key).load()["_auth_user_id"] == str(secretary_a.pk)
    assert Session.objects.filter(session_key=key).exists()


def _logged_out_while_the_cache_was_down(client, user, cache_class):
    """Log in (the session in the cache and the database), then log out with every cache write failing."""
    from unittest import mock

    from core.sessions import SessionStore

    client.force_login(user)
    key = client.session.session_key
    SessionStore(session_key=key).load()  # the copy in the cache
    down = mock.patch.object(cache_class, "delete", side_effect=ConnectionError("Redis down"))
    with down, mock.patch.object(cache_class, "set", side_effect=ConnectionError("Redis down")):
        assert client.post(reverse("logout")).status_code == 302
    return key


@pytest.mark.django_db
@override_settings(SESSION_ENGINE="core.sessions", CACHES=LOCAL)
def test_a_log_out_while_the_cache_was_down_stays_a_log_out_when_it_comes_back(client, secretary_a, settings):
    from django.core.cache import cache
    from django.core.cache.backends.locmem import LocMemCache
    from django.test import Client

    from core.sessions import SessionStore

    key = _logged_out_while_the_cache_was_down(client, secretary_a, LocMemCache)
    assert cache.get(SessionStore(session_key=key).cache_key) is not None  # the cache came back with its data
    stolen = Client()
    stolen.cookies[settings.SESSION_COOKIE_NAME] = key
    assert stolen.get(reverse("branches:tree")).status_code == 302  # to the log-in page
    assert SessionStore(session_key=key).load() == {}
    assert cache.get(SessionStore(session_key=key).cache_key) is None  # the stale copy is dropped


@pytest.mark.django_db
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="需要 REDIS_URL（真实的 Redis）")
def test_a_log_out_while_redis_was_down_stays_a_log_out_with_real_redis(
    client,
    member_a,
    make_activity,  # noqa: F811
    tree,
    settings,
):
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache
    from django.test import Client

    from activities import tokens
    from core.sessions import SessionStore

    prefix = f"test-sess-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": prefix,
        }
    }
    settings.SESSION_ENGINE = "core.sessions"
    redis = caches["default"]._cache.get_client(write=True)
    try:
        key = _logged_out_while_the_cache_was_down(client, member_a.user, RedisCache)
        assert caches["default"].get(SessionStore(session_key=key).cache_key) is not None
        stolen = Client()
        stolen.cookies[settings.SESSION_COOKIE_NAME] = key
        assert stolen.get(reverse("branches:tree")).status_code == 302
        token = tokens.current_token(make_activity(tree.branch_a))
        body = json.dumps({"token": token, "nonce": "after-logout"})
        answer = stolen.post("/api/v1/check-ins", body, content_type="application/json")
        assert answer.status_code == 401  # the check-in API refuses it too
    finally:
        keys = list(redis.scan_iter(f"{prefix}:*"))
        if keys:
            redis.delete(*keys)
