"""Idempotent check-in under real concurrent requests (PostgreSQL: threads, each its own connection)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from activities import checkin, tokens
from activities.models import Activity, Attendance
from tests.factories import MemberFactory, UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL for real concurrent transactions"),
    pytest.mark.django_db(transaction=True),
]

THREADS = 8


def _run_together(calls):
    """Start every call at the same moment (a barrier), each thread on its own connection."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def worker(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    return results


def test_concurrent_taps_of_one_member_make_one_attendance(tree, member_a, make_activity):
    activity = make_activity(tree.branch_a, Activity.Kind.THEME_DAY)
    token = tokens.current_token(activity)
    results = _run_together(
        [
            lambda i=i: checkin.check_in_with_token(token=token, user=member_a.user, nonce=f"tap-{i}")
            for i in range(THREADS)
        ]
    )
    assert Attendance.objects.filter(activity=activity).count() == 1
    row = Attendance.objects.get(activity=activity)
    assert sum(created for _, created in results) == 1
    assert {attendance.pk for attendance, _ in results} == {row.pk}
    assert {attendance.checked_in_at for attendance, _ in results} == {row.checked_in_at}


def test_concurrent_check_ins_of_many_members_lose_none(tree, make_activity):
    members = [MemberFactory(branch=tree.branch_a, user=UserFactory()) for _ in range(THREADS)]
    activity = make_activity(tree.branch_a, Activity.Kind.THEME_DAY)
    token = tokens.current_token(activity)
    calls = [lambda m=m: checkin.check_in_with_token(token=token, user=m.user, nonce=f"n-{m.pk}") for m in members]
    calls += [lambda m=m: checkin.check_in_with_token(token=token, user=m.user, nonce=f"r-{m.pk}") for m in members]
    results = _run_together(calls)
    assert sum(created for _, created in results) == THREADS
    present = Attendance.objects.filter(activity=activity, status=Attendance.Status.PRESENT)
    assert sorted(present.values_list("member_id", flat=True)) == sorted(m.pk for m in members)


def test_concurrent_retries_with_the_same_nonce_answer_the_first_check_in(tree, member_a, make_activity):
    activity = make_activity(tree.branch_a, Activity.Kind.THEME_DAY)
    token = tokens.current_token(activity)
    for round_ in range(5):
        Attendance.objects.filter(activity=activity).delete()
        results = _run_together(
            [
                lambda nonce=f"same-{round_}": checkin.check_in_with_token(token=token, user=member_a.user, nonce=nonce)
                for _ in range(THREADS)
            ]
        )
        row = Attendance.objects.get(activity=activity)
        assert sum(created for _, created in results) == 1
        assert {attendance.pk for attendance, _ in results} == {row.pk}
