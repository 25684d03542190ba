"""The session engine used with Redis: read from the cache, kept in the database, alive without Redis."""

import pytest
from django.test import override_settings
from django.urls import reverse

DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6390/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}
LOCAL = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sessions-test"}}


@pytest.mark.django_db
@override_settings(SESSION_ENGINE="partysite.sessions", CACHES=DOWN)
def test_logged_in_pages_work_with_the_cache_down(client, secretary_a):
    client.force_login(secretary_a)
    assert client.get(reverse("branches:tree")).status_code == 200
    client.logout()
    assert client.get(reverse("branches:tree")).status_code == 302


@pytest.mark.django_db
@override_settings(SESSION_ENGINE="partysite.sessions", CACHES=LOCAL)
def test_session_is_read_from_the_cache_once_written(client, secretary_a, django_assert_num_queries):
    from django.contrib.sessions.models import Session

    from partysite.sessions import SessionStore

    client.force_login(secretary_a)
    key = client.session.session_key
    SessionStore(session_key=key).load()  # fills the cache
    with django_assert_num_queries(0):
        assert SessionStore(session_key=key).load()["_auth_user_id"] == str(secretary_a.pk)
    assert Session.objects.filter(session_key=key).exists()
