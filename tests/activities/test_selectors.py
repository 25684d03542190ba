"""Selectors: the attendance sheet, summaries and a member's activities, in constant queries."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from activities import checkin, selectors, services
from activities import leave as leave_services
from activities.models import Activity, Attendance
from members.models import Position
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_sheet_lists_expected_members_and_their_rows(make_activity, tree, member_a, secretary_a):
    others = [MemberFactory(branch=tree.branch_a) for _ in range(3)]
    activity = make_activity(tree.branch_a, start=timezone.now() + datetime.timedelta(hours=1))
    request = leave_services.leave_request_create(activity=activity, member=others[0], reason="出差")
    checkin.check_in(
        activity=activity, member=member_a, method=Attendance.Method.MANUAL, by=secretary_a, now=activity.checkin_opens
    )
    rows = {row.member.pk: row for row in selectors.attendance_sheet(activity)}
    assert set(rows) == {member_a.pk, *(m.pk for m in others)}
    assert rows[member_a.pk].status == Attendance.Status.PRESENT
    assert rows[others[0].pk].leave_request == request and rows[others[0].pk].status_display == "应到"
    assert all(row.expected for row in rows.values())


def test_sheet_runs_constant_queries(make_activity, tree, django_assert_num_queries):
    for _ in range(10):
        MemberFactory(branch=tree.branch_a)
    activity = make_activity(tree.branch_a)
    with django_assert_num_queries(3):
        selectors.attendance_sheet(activity)


def test_summary_before_and_after_holding(make_activity, tree, secretary_a):
    members = [MemberFactory(branch=tree.branch_a) for _ in range(4)]
    activity = make_activity(tree.branch_a, start=timezone.now() + datetime.timedelta(hours=1))
    leave = leave_services.leave_request_create(activity=activity, member=members[0], reason="病假")
    leave_services.leave_request_decide(leave_request=leave, approve=True, by=secretary_a)
    checkin.check_in(activity=activity, member=members[1], method=Attendance.Method.MANUAL, now=activity.checkin_opens)
    before = selectors.attendance_summary(activity)
    assert (before.expected, before.present, before.leave, before.absent, before.pending) == (4, 1, 1, 0, 2)
    services.activity_hold(activity=activity, by=secretary_a, now=activity.starts_at)
    after = selectors.attendance_summary(activity)
    assert (after.expected, after.present, after.leave, after.absent, after.pending) == (4, 1, 1, 2, 0)
    assert after.rate == pytest.approx(1 / 3)
    assert selectors.summaries([activity])[activity.pk] == after


def test_member_upcoming_shows_what_the_member_is_expected_at(make_activity, tree, member_a, member_b):
    Position.objects.create(member=member_a, branch=tree.branch_a, title="organization", started_on="2024-01-01")
    mine = [
        make_activity(tree.branch_a, Activity.Kind.THEME_DAY),
        make_activity(tree.village_a, Activity.Kind.PARTY_LECTURE),
        make_activity(tree.group_a, Activity.Kind.GROUP_MEETING),
        make_activity(tree.branch_a, Activity.Kind.COMMITTEE_MEETING),
    ]
    signed_up = make_activity(tree.branch_b, Activity.Kind.VOLUNTEER)
    services.activity_sign_up(activity=signed_up, member=member_a)
    not_mine = [make_activity(tree.branch_b, Activity.Kind.THEME_DAY), make_activity(tree.branch_c)]
    past = make_activity(tree.branch_a, start=timezone.now() - datetime.timedelta(days=2))
    upcoming = list(selectors.member_upcoming(member_a))
    assert set(upcoming) == {*mine, signed_up}
    assert past not in upcoming and not set(not_mine) & set(upcoming)
    assert set(selectors.member_upcoming(member_b)) == {not_mine[0]}


def test_member_history_and_leave_requests(make_activity, tree, member_a, secretary_a):
    activity = make_activity(tree.branch_a, start=timezone.now() + datetime.timedelta(hours=1))
    leave_services.leave_request_create(activity=activity, member=member_a, reason="出差")
    services.activity_hold(activity=activity, by=secretary_a, now=activity.starts_at)
    history = list(selectors.member_history(member_a))
    assert [(a.activity, a.status) for a in history] == [(activity, Attendance.Status.ABSENT)]
    assert [r.reason for r in selectors.member_leave_requests(member_a)] == ["出差"]


def test_workbench_lists(make_activity, tree, secretary_a, member_a):
    soon = make_activity(tree.branch_a)
    overdue = make_activity(
        tree.group_a, Activity.Kind.GROUP_MEETING, start=timezone.now() - datetime.timedelta(days=1)
    )
    make_activity(tree.branch_b)
    future = make_activity(tree.branch_a, start=timezone.now() + datetime.timedelta(hours=2))
    request = leave_services.leave_request_create(activity=future, member=member_a, reason="出差")
    assert list(selectors.upcoming_in_subtree(tree.branch_a)) == [soon, future]
    assert list(selectors.to_be_logged(tree.branch_a)) == [overdue]
    assert list(selectors.pending_leave_requests(tree.branch_a)) == [request]
    assert not selectors.pending_leave_requests(tree.branch_b).exists()
