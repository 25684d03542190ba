"""The check-in's rate limit with sessions in Redis, as in production (Django's RedisCache, core.sessions)."""

from __future__ import annotations

import json
import os
import uuid

import pytest
from django.core.cache import caches
from django.test import Client

from activities import tokens
from activities.models import Activity
from tests.activities.conftest import make_activity  # noqa: F401 - fixture
from tests.core.test_ratelimit import answers_of_two_phones_of_one_member

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = [pytest.mark.django_db, pytest.mark.skipif(not REDIS_URL, reason="需要 REDIS_URL（真实的 Redis）")]
API = "/api/v1/check-ins"


@pytest.fixture
def redis_sessions(settings):
    prefix = f"test-rl-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    settings.SESSION_ENGINE = "core.sessions"
    client = caches["default"]._cache.get_client(write=True)
    yield client
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def assembly(make_activity, tree):  # noqa: F811
    return make_activity(tree.branch_a, Activity.Kind.BRANCH_ASSEMBLY)


def _api(client, token, nonce):
    return client.post(API, json.dumps({"token": token, "nonce": nonce}), content_type="application/json")


def test_a_second_log_in_of_the_member_shares_the_budget_in_redis(redis_sessions, client, assembly, member_a, settings):
    assert answers_of_two_phones_of_one_member(client, assembly, member_a, settings) == [
        [201, 200, 429],
        [429, 429, 429],
    ]


def test_the_counter_is_one_key_per_user_and_window_that_expires(redis_sessions, client, assembly, member_a, settings):
    client.force_login(member_a.user)
    assert _api(client, tokens.current_token(assembly), "k1").status_code == 201
    prefix = settings.CACHES["default"]["KEY_PREFIX"]  # this test's keys only
    (key,) = redis_sessions.keys(f"{prefix}:*ratelimit:check_in:*")
    assert f":u{member_a.user.pk}:" in key.decode() and 0 < redis_sessions.ttl(key) <= 61


def test_sessions_without_a_login_are_counted_on_their_address_too(redis_sessions, assembly, settings):
    """Fresh anonymous sessions do not each get a budget of their own: their address's counter stops them."""
    from core.sessions import SessionStore

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "check_in": (2, 60)}
    token = tokens.current_token(assembly)
    answers = []
    for i in range(3):
        store = SessionStore()
        store["seen"] = i
        store.save()  # in the database and in Redis, without a user
        visitor = Client()
        visitor.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
        answers.append(_api(visitor, token, f"a{i}").status_code)
    assert answers == [401, 401, 429]


def test_a_session_missing_from_redis_is_read_from_the_database_and_still_counted(
    redis_sessions, client, assembly, member_a, settings
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "check_in": (2, 60)}
    client.force_login(member_a.user)
    token = tokens.current_token(assembly)
    from core.sessions import SessionStore

    forgotten = caches["default"].make_and_validate_key(SessionStore(session_key=client.session.session_key).cache_key)
    assert redis_sessions.delete(forgotten) == 1  # Redis forgot the session (restarted, say): only the database has it
    assert [_api(client, token, f"m{i}").status_code for i in range(3)] == [201, 200, 429]
