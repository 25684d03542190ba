"""Check-in under load: the site under gunicorn on PostgreSQL, many members tapping at once.

One 支部党员大会 of a branch of 200 members with accounts (their sessions made directly with
the session engine). From 24 threads, in random order: every member checks in several times
(the same nonce again, and new nonces), and another 40 members of the branch send only forged
or expired tokens (a token of two windows ago). Afterwards every honest member is present
exactly once, the only 201s are their first check-ins, and nothing at all is recorded for the
rejected requests. The counts are printed (run with ``-s`` or read the test's output).
"""

from __future__ import annotations

import datetime
import http.client
import json
import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils import timezone
from django.utils.crypto import get_random_string

from activities import services, tokens
from activities.models import Activity, Attendance
from core.models import UserSession as Session
from core.sessions_db import SessionStore
from members.models import Member

from . import live

ON_POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not ON_POSTGRES, reason="gunicorn must share the test database: run on PostgreSQL"),
]
HONEST, REJECTED_ONLY = 200, 40
THREADS = 24
CSRF = get_random_string(32)


def _accounts(members: list[Member]) -> dict[int, str]:
    """A user and a live session for each member (three inserts); member id → session key."""
    User = get_user_model()
    users = User.objects.bulk_create([User(username=f"load{m.pk}", password="!unusable") for m in members])
    for member, user in zip(members, users, strict=True):
        member.user = user
    Member.objects.bulk_update(members, ["user"])
    expires = timezone.now() + datetime.timedelta(hours=1)
    sessions, keys = [], {}
    for member, user in zip(members, users, strict=True):
        key = get_random_string(32)
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        sessions.append(Session(session_key=key, session_data=SessionStore().encode(data), expire_date=expires))
        keys[member.pk] = key
    Session.objects.bulk_create(sessions)
    return keys


def _expired_token(activity: Activity) -> str:
    return tokens.rotating_token(activity.pk, tokens.window_of(timezone.now()) - 2)  # past the one window of grace


def _forged_token(activity: Activity) -> str:
    token = tokens.current_token(activity)
    head, signature = token.rsplit(".", 1)
    return f"{head}.{signature[::-1]}"


def _post(port: int, session_key: str, body: dict) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "POST",
            "/api/v1/check-ins",
            body=json.dumps(body),
            headers={
                "Content-Type": "application/json",
                "Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}; {settings.CSRF_COOKIE_NAME}={CSRF}",
                "X-CSRFToken": CSRF,
            },
        )
        response = connection.getresponse()
        payload = json.loads(response.read() or b"{}")
        return response.status, payload.get("code", "")
    finally:
        connection.close()


def _plan(activity: Activity, honest: list[Member], rejected: list[Member], keys: dict) -> list[tuple]:
    """Every request to send: (kind, member id, session key, body)."""
    plan = []
    for m in honest:
        key = keys[m.pk]
        plan += [("honest", m.pk, key, {"token": None, "nonce": f"{m.pk}-a"})] * 2  # a double tap: same nonce
        plan.append(("honest", m.pk, key, {"token": None, "nonce": f"{m.pk}-b"}))  # a retry with a new nonce
        if m.pk % 4 == 0:  # some honest members also scan a stale or a forged code
            plan.append(("rejected", m.pk, key, {"token": "expired", "nonce": f"{m.pk}-x"}))
            plan.append(("rejected", m.pk, key, {"token": "forged", "nonce": f"{m.pk}-y"}))
    for m in rejected:
        key = keys[m.pk]
        plan += [("rejected", m.pk, key, {"token": t, "nonce": f"{m.pk}-{t}"}) for t in ("expired", "forged", "forged")]
    random.Random(5).shuffle(plan)
    return plan


def _send(port: int, activity: Activity, request: tuple) -> tuple[str, int, str]:
    kind, _member, key, body = request
    token = {"expired": _expired_token, "forged": _forged_token}.get(body["token"], tokens.current_token)(activity)
    status, code = _post(port, key, {**body, "token": token})
    return kind, status, code


@pytest.mark.django_db(transaction=True)
def test_concurrent_check_ins_under_gunicorn_record_each_member_once(tree, secretary_a, bulk_members, tmp_path, capsys):
    start = timezone.now() + datetime.timedelta(minutes=10)
    activity = services.activity_create(
        branch=tree.branch_a,
        kind=Activity.Kind.BRANCH_ASSEMBLY,
        title="支部党员大会（压力测试）",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        by=secretary_a,
    )
    members = bulk_members(tree.branch_a, HONEST + REJECTED_ONLY)
    honest, rejected = members[:HONEST], members[HONEST:]
    keys = _accounts(members)
    plan = _plan(activity, honest, rejected, keys)
    port = live.free_port()
    server = live.start_gunicorn(port, tmp_path / "gunicorn.log")
    try:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            outcomes = list(pool.map(lambda r: _send(port, activity, r), plan))
        elapsed = time.monotonic() - started
    finally:
        live.stop(server)

    by_status = Counter(status for _, status, _ in outcomes)
    by_code = Counter(f"{status} {code}" for _, status, code in outcomes if status >= 400)
    with capsys.disabled():
        print(
            f"\ncheck-in load: {len(plan)} requests from {THREADS} threads in {elapsed:.1f} s "
            f"({len(plan) / elapsed:.0f}/s); {HONEST} honest members, {REJECTED_ONLY} with only bad tokens; "
            f"201: {by_status[201]}, 200: {by_status[200]}, 4xx: {dict(sorted(by_code.items()))}, "
            f"5xx: {sum(n for s, n in by_status.items() if s >= 500)}"
        )
    honest_requests = sum(1 for kind, *_ in plan if kind == "honest")
    rejected_requests = len(plan) - honest_requests
    assert by_status[201] == HONEST  # exactly one first check-in per member
    assert by_status[200] == honest_requests - HONEST  # every repeat answered with the same row
    assert by_code == {"400 expired_token": _count(plan, "expired"), "400 invalid_token": _count(plan, "forged")}
    assert sum(by_code.values()) == rejected_requests

    rows = Attendance.objects.filter(activity=activity)
    assert rows.count() == HONEST
    assert set(rows.values_list("member_id", flat=True)) == {m.pk for m in honest}
    assert set(rows.values_list("status", flat=True)) == {Attendance.Status.PRESENT}
    assert not rows.filter(member__in=rejected).exists()
    assert not Attendance.objects.exclude(activity=activity).exists()
    # The nonces kept are the honest ones: none of a rejected request's.
    assert not rows.filter(nonce__endswith="-x").exists() and not rows.filter(nonce__endswith="-y").exists()


def _count(plan: list[tuple], token: str) -> int:
    return sum(1 for _, _, _, body in plan if body["token"] == token)
