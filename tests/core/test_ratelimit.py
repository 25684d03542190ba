"""The cache rate limiter (core/ratelimit.py) and where it is applied: check-in API and page, activation."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from activities import tokens
from activities.models import Activity, Attendance
from core import ratelimit
from tests.activities.conftest import make_activity  # noqa: F401 - fixture
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/check-ins"
PASSWORD = "Dangyuan-2026!"


@pytest.fixture(autouse=True)
def fresh_counters(own_cache):
    pass


@pytest.fixture
def assembly(make_activity, tree):  # noqa: F811
    return make_activity(tree.branch_a, Activity.Kind.BRANCH_ASSEMBLY)


def _api(client, token, nonce, **extra):
    return client.post(API, json.dumps({"token": token, "nonce": nonce}), content_type="application/json", **extra)


# --- the counter ---------------------------------------------------------------------------


def test_counter_allows_the_limit_then_refuses_until_the_window_ends():
    hit = lambda now: ratelimit.rate_limit_hit(scope="s", who="u1", limit=3, window=60, now=now)  # noqa: E731
    assert [hit(1000.0)[0] for _ in range(4)] == [True, True, True, False]
    allowed, retry_after = hit(1010.0)
    assert not allowed and retry_after == 10  # 1000 // 60 = 16: the window ends at 1020
    assert hit(1020.0)[0] is True  # next window


def test_counters_are_separate_per_user_and_per_scope():
    for _ in range(2):
        ratelimit.rate_limit_hit(scope="a", who="u1", limit=2, window=60, now=0.0)
    assert ratelimit.rate_limit_hit(scope="a", who="u1", limit=2, window=60, now=0.0)[0] is False
    assert ratelimit.rate_limit_hit(scope="a", who="u2", limit=2, window=60, now=0.0)[0] is True
    assert ratelimit.rate_limit_hit(scope="b", who="u1", limit=2, window=60, now=0.0)[0] is True


def test_counter_lets_requests_through_when_the_cache_is_down(monkeypatch, caplog):
    class DownCache:
        def __getattr__(self, name):
            def broken(*args, **kwargs):
                raise ConnectionError("redis down")

            return broken

    monkeypatch.setattr(ratelimit, "cache", DownCache())
    assert ratelimit.rate_limit_hit(scope="s", who="u1", limit=0, window=60) == (True, 0)
    assert "cache unavailable" in caplog.text


# --- check-in API ----------------------------------------------------------------------------


def test_check_in_api_answers_429_json_past_the_limit_per_login(client, assembly, member_a, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "check_in": (3, 60)}
    client.force_login(member_a.user)
    token = tokens.current_token(assembly)
    answers = [_api(client, token, f"n{i}").status_code for i in range(4)]
    assert answers == [201, 200, 200, 429]
    response = _api(client, token, "n5")
    body = response.json()
    assert body["code"] == "rate_limited" and body["message"].startswith("操作过于频繁")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert Attendance.objects.filter(status=Attendance.Status.PRESENT).count() == 1


@pytest.fixture
def second_member(tree):
    return MemberFactory(branch=tree.branch_a, user=UserFactory())


def test_one_members_limit_does_not_stop_another(client, second_member, assembly, member_a, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "check_in": (1, 60)}
    token = tokens.current_token(assembly)
    client.force_login(member_a.user)
    assert _api(client, token, "a1").status_code == 201
    assert _api(client, token, "a2").status_code == 429
    client.force_login(second_member.user)
    assert _api(client, token, "b1").status_code == 201


def test_the_limiter_runs_no_query(client, assembly, member_a, settings, django_assert_num_queries):
    """Counted in the cache only; the user it is keyed by is the one the view loads anyway."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "check_in": (1, 60)}
    client.force_login(member_a.user)
    token = tokens.current_token(assembly)
    assert _api(client, token, "q1").status_code == 201
    with django_assert_num_queries(2):  # the session and its user: refused before the view
        assert _api(client, token, "q2").status_code == 429


def answers_of_two_phones_of_one_member(client, assembly, member, settings) -> list[list[int]]:
    """Three check-ins from each of two log-ins of ``member``, with a limit of two (also used with Redis sessions)."""
    from django.test import Client

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "check_in": (2, 60)}
    phone = Client()
    client.force_login(member.user)
    phone.force_login(member.user)
    token = tokens.current_token(assembly)
    return [[_api(c, token, f"{name}{i}").status_code for i in range(3)] for name, c in (("c", client), ("p", phone))]


def test_a_members_budget_is_one_whatever_the_number_of_log_ins(client, assembly, member_a, settings):
    """Keyed by user: a second phone of the same member shares the first one's budget."""
    assert answers_of_two_phones_of_one_member(client, assembly, member_a, settings) == [
        [201, 200, 429],
        [429, 429, 429],
    ]


def test_a_real_meetings_check_ins_are_far_below_the_default_limit():
    from django.conf import settings as live

    limit, window = live.RATE_LIMITS["check_in"]
    assert limit >= 30 and window <= 60


def test_check_in_keeps_working_when_redis_is_down(client, assembly, member_a, settings, caplog):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "check_in": (3, 60)}
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    client.force_login(member_a.user)
    assert _api(client, tokens.current_token(assembly), "r1").status_code == 201
    assert "cache unavailable" in caplog.text  # the limiter did try Redis, and let the check-in through


# --- check-in page ---------------------------------------------------------------------------


def test_check_in_page_answers_429_in_chinese_past_the_limit(client, assembly, member_a, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "check_in": (2, 60)}
    client.force_login(member_a.user)
    url = reverse("activities:checkin", args=[tokens.current_token(assembly)])
    assert client.get(url).status_code == 200  # looking is not counted
    assert [client.post(url, {"nonce": f"p{i}"}).status_code for i in range(2)] == [200, 200]
    response = client.post(url, {"nonce": "p3"})
    assert response.status_code == 429
    assert "操作过于频繁" in response.text and response["Retry-After"]
    assert client.get(url).status_code == 200


def test_the_api_and_the_page_share_one_check_in_budget(client, assembly, member_a, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "check_in": (2, 60)}
    client.force_login(member_a.user)
    token = tokens.current_token(assembly)
    assert _api(client, token, "x1").status_code == 201
    assert client.post(reverse("activities:checkin", args=[token]), {"nonce": "x2"}).status_code == 200
    assert _api(client, token, "x3").status_code == 429


# --- activation ------------------------------------------------------------------------------


def _activation(member, **changes):
    data = {
        "name": member.name,
        "id_number": member.id_number,
        "phone": member.phone,
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    return {**data, **changes}


def test_failed_activations_are_limited_per_ip(client, member_b, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "activate": (3, 600)}
    url = reverse("members:activate")
    wrong = _activation(member_b, name="冒名")
    assert [client.post(url, wrong, REMOTE_ADDR="10.1.1.1").status_code for _ in range(3)] == [200, 200, 200]
    response = client.post(url, _activation(member_b), REMOTE_ADDR="10.1.1.1")
    assert response.status_code == 429 and "操作过于频繁" in response.text
    member_b.refresh_from_db()
    assert member_b.user is None  # refused before the view ran, even with the right details
    # Another address is not affected, and the real member activates from it.
    assert client.post(url, _activation(member_b), REMOTE_ADDR="10.2.2.2").status_code == 302
    member_b.refresh_from_db()
    assert member_b.user is not None


def test_successful_activations_from_one_address_are_not_counted(client, tree, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "activate": (1, 600)}
    members = [MemberFactory(branch=tree.branch_a) for _ in range(3)]
    url = reverse("members:activate")
    answers = [client.post(url, _activation(m), REMOTE_ADDR="10.3.3.3").status_code for m in members]
    assert answers == [302, 302, 302]  # a meeting activating together on the office Wi-Fi


def test_viewing_the_activation_page_is_not_limited(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "activate": (0, 600)}
    assert client.get(reverse("members:activate")).status_code == 200


def test_check_in_with_redis_sessions_keeps_working_when_redis_is_down(client, assembly, member_a, settings, caplog):
    """The production engines (core.sessions, Django's RedisCache): the session from the database, not limited."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "check_in": (1, 60)}
    client.force_login(member_a.user)  # in the database (the test settings' engine)
    settings.SESSION_ENGINE = "core.sessions"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    token = tokens.current_token(assembly)
    assert [_api(client, token, f"d{i}").status_code for i in range(2)] == [
        201,
        200,
    ]  # over the limit of 1: not limited
    assert "会话缓存不可用" in caplog.text and "cache unavailable" in caplog.text
