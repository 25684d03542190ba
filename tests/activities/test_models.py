"""Models: check-in window defaults, constraints, scoped querysets."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction

from activities.models import Activity, Attendance, LeaveRequest
from tests.activities.conftest import at

pytestmark = pytest.mark.django_db


def test_check_in_window_defaults_to_thirty_minutes_before_start_until_the_end(make_activity, tree):
    activity = make_activity(tree.branch_a, start=at("2026-10-12", "14:00"), hours=2)
    assert activity.checkin_opens == at("2026-10-12", "13:30")
    assert activity.checkin_closes == at("2026-10-12", "16:00")


def test_check_in_window_overrides_win(make_activity, tree):
    activity = make_activity(
        tree.branch_a,
        start=at("2026-10-12", "14:00"),
        checkin_opens_at=at("2026-10-12", "12:00"),
        checkin_closes_at=at("2026-10-12", "14:15"),
    )
    assert (activity.checkin_opens, activity.checkin_closes) == (at("2026-10-12", "12:00"), at("2026-10-12", "14:15"))


def test_open_kinds_have_no_expected_list_and_only_volunteering_counts_hours(make_activity, tree):
    volunteer = make_activity(tree.branch_a, Activity.Kind.VOLUNTEER)
    study = make_activity(tree.branch_a, Activity.Kind.STUDY)
    lecture = make_activity(tree.branch_a, Activity.Kind.PARTY_LECTURE)
    assert not volunteer.has_expected_list and volunteer.counts_hours
    assert not study.has_expected_list and not study.counts_hours
    assert lecture.has_expected_list and not lecture.counts_hours


def test_activity_cannot_end_before_it_starts(tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.create(
            branch=tree.branch_a, kind="theme_day", title="x", starts_at=at("2026-10-12"), ends_at=at("2026-10-11")
        )


def test_one_attendance_per_member_and_activity(make_activity, tree, member_a):
    activity = make_activity(tree.branch_a)
    Attendance.objects.create(activity=activity, member=member_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Attendance.objects.create(activity=activity, member=member_a)


def test_nonce_is_unique_per_activity_only_when_set(make_activity, tree, member_a, member_b):
    activity = make_activity(tree.branch_a)
    other = make_activity(tree.branch_a, Activity.Kind.THEME_DAY)
    Attendance.objects.create(activity=activity, member=member_a, nonce="")
    Attendance.objects.create(activity=activity, member=member_b, nonce="")
    Attendance.objects.create(activity=other, member=member_a, nonce="n1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Attendance.objects.create(activity=other, member=member_b, nonce="n1")


def test_one_open_leave_request_per_member(make_activity, tree, member_a):
    activity = make_activity(tree.branch_a)
    LeaveRequest.objects.create(activity=activity, member=member_a, reason="a", status="refused")
    LeaveRequest.objects.create(activity=activity, member=member_a, reason="b")
    with pytest.raises(IntegrityError), transaction.atomic():
        LeaveRequest.objects.create(activity=activity, member=member_a, reason="c")


def test_in_subtree_and_visible_to_follow_the_tree(make_activity, tree, secretary_a, orgdept, outsider):
    in_a = make_activity(tree.group_a, Activity.Kind.GROUP_MEETING)
    in_b = make_activity(tree.branch_b)
    in_c = make_activity(tree.branch_c)
    assert set(Activity.objects.in_subtree(tree.branch_a)) == {in_a}
    assert set(Activity.objects.visible_to(secretary_a)) == {in_a}
    assert set(Activity.objects.visible_to(orgdept)) == {in_a, in_b}
    assert set(Activity.objects.manageable_by(orgdept)) == {in_a, in_b}
    assert not Activity.objects.visible_to(outsider).exists()
    assert in_c not in Activity.objects.visible_to(orgdept)


def test_between_takes_start_inclusive_end_exclusive(make_activity, tree):
    activity = make_activity(tree.branch_a, start=at("2026-10-01", "00:00"))
    day = datetime.timedelta(days=1)
    assert list(Activity.objects.between(at("2026-10-01", "00:00"), at("2026-10-01", "00:00") + day)) == [activity]
    assert not Activity.objects.between(at("2026-09-30", "00:00"), at("2026-10-01", "00:00")).exists()


def test_attendance_has_no_index_that_a_composite_one_already_leads_with():
    """Every check-in writes each index of the table: (activity, member), (activity, status) and
    (member, status) serve lookups by activity or by member, so neither has an index of its own."""
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Attendance._meta.db_table)
    indexed = [c["columns"] for c in constraints.values() if c["index"] or c["unique"]]
    assert ["activity_id"] not in indexed and ["member_id"] not in indexed
    assert ["activity_id", "member_id"] in indexed and ["member_id", "status"] in indexed
