"""The check-in's rate limit with sessions in Redis, as in production: one Redis command per request."""

from __future__ import annotations

import json
import os
import uuid

import pytest
from django.core.cache import caches
from django.test import Client

from activities import checkin
from activities.models import Activity, Attendance
from tests.activities.conftest import make_activity  # noqa: F401 - fixture
from tests.branches.test_ratelimit import answers_of_two_phones_of_one_member

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = [pytest.mark.django_db, pytest.mark.skipif(not REDIS_URL, reason="需要 REDIS_URL（真实的 Redis）")]
API = "/api/v1/check-ins"


@pytest.fixture
def redis_sessions(settings):
    prefix = f"test-rl-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {"BACKEND": "partysite.cache.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}
    }
    settings.SESSION_ENGINE = "partysite.sessions"
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


def test_each_check_in_reads_its_session_and_is_counted_in_one_redis_command(
    redis_sessions, client, assembly, member_a, settings
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "check_in": (3, 60)}
    client.force_login(member_a.user)  # the session is written to the database and to Redis
    token = checkin.current_token(assembly)
    assert _api(client, token, "warm").status_code == 201  # the script is loaded into Redis here
    names: list[str] = []
    real = redis_sessions.execute_command
    redis_sessions.execute_command = lambda *a, **kw: names.append(a[0]) or real(*a, **kw)
    try:
        answers = []
        for nonce in ("n1", "n2", "n3"):
            names.clear()
            answers.append((_api(client, token, nonce).status_code, list(names)))
    finally:
        del redis_sessions.execute_command
    assert answers == [(200, ["EVALSHA"]), (200, ["EVALSHA"]), (429, ["EVALSHA"])]
    assert Attendance.objects.filter(member=member_a, status=Attendance.Status.PRESENT).count() == 1
    session_key = client.session.session_key
    assert not any(session_key in key.decode() for key in redis_sessions.keys("*ratelimit*"))


def test_a_second_log_in_of_the_member_has_its_own_budget_in_redis(
    redis_sessions, client, assembly, member_a, settings
):
    assert answers_of_two_phones_of_one_member(client, assembly, member_a, settings) == [
        [201, 200, 429],
        [200, 200, 429],
    ]


def test_sessions_without_a_login_are_counted_on_their_address_too(redis_sessions, assembly, settings):
    """Fresh anonymous sessions do not each get a budget of their own: their address's counter stops them."""
    from partysite.sessions import SessionStore

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "check_in": (2, 60)}
    token = checkin.current_token(assembly)
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
    token = checkin.current_token(assembly)
    from partysite.sessions import SessionStore

    forgotten = caches["default"].make_and_validate_key(SessionStore(session_key=client.session.session_key).cache_key)
    assert redis_sessions.delete(forgotten) == 1  # Redis forgot the session (restarted, say): only the database has it
    assert [_api(client, token, f"m{i}").status_code for i in range(3)] == [201, 200, 429]
