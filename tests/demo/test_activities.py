"""The seeds' year of activities, attendance and leave, written (demo/activities.py)."""

import datetime
import random
import zoneinfo
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from activities import selectors
from activities.compliance import MISSING, compliance_report
from activities.models import Activity, Attendance, LeaveRequest, Resolution
from activities.page_selectors import workbench
from activities.records import activity_quorum
from branches.models import Branch
from demo.activities import seed_activity_year
from demo.plan import Scale
from demo.seeding import seed_build
from demo.year import seed_year
from members.models import DuesPayment, Member

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 21, 10, 0, tzinfo=TZ)
TODAY = NOW.date()
TINY = Scale("tiny", organizations=40, members=200, towns=2, villages=4, grids=8, communities=1, compounds=2, groups=14)
S = Attendance.Status


@pytest.fixture
def seeded(db):
    result = seed_build(scale=TINY, seed=1, today=TODAY)
    seed_year(result=result, seed=1, now=NOW)
    return result


def test_seed_year_adds_a_year_of_dues_and_of_activities(seeded):
    assert DuesPayment.objects.filter(month__lte=TODAY).exists() and Activity.objects.exists()


def _rows_fingerprint():
    activities = Activity.objects.order_by("starts_at", "branch__code", "kind").values_list(
        "branch__code", "kind", "starts_at", "status", "title"
    )
    attendance = Attendance.objects.order_by(
        "activity__starts_at", "activity__branch__code", "activity__kind", "member__id_number_digest"
    ).values_list("activity__branch__code", "member__id_number_digest", "status", "expected", "hours")
    return {
        "counts": [model.objects.count() for model in (Activity, Attendance, LeaveRequest, Resolution)],
        "activities": list(activities[:50]),
        "attendance": list(attendance[:200]),
    }


def _seeded_fingerprint(seed: int) -> dict:
    with transaction.atomic():
        result = seed_build(scale=TINY, seed=seed, today=TODAY)
        seed_activity_year(result=result, rng=random.Random(seed), now=NOW)
        fingerprint = _rows_fingerprint()
        transaction.set_rollback(True)
    return fingerprint


@pytest.mark.django_db
def test_same_seed_writes_the_same_counts_and_first_rows():
    first = _seeded_fingerprint(3)

    assert first == _seeded_fingerprint(3)
    assert first["counts"][1] > 1000  # a year of attendance, not a handful
    assert first != _seeded_fingerprint(4)


def test_year_mostly_follows_the_rules_but_not_always(seeded):
    report = compliance_report(branch=Branch.objects.get(pk=seeded.root.pk), period="2026", today=TODAY)
    total = report.total()

    assert report.missing_units(), "some units miss meetings"
    assert total.missing > 0
    assert total.met / (total.met + total.missing) >= 0.85


def test_held_meetings_have_no_expected_left_and_mostly_present(seeded):
    listed = Attendance.objects.filter(activity__status=Activity.Status.HELD, expected=True)
    shares = Counter(listed.values_list("status", flat=True))
    total = sum(shares.values())

    assert shares[S.EXPECTED] == 0
    assert 0.75 <= shares[S.PRESENT] / total <= 0.95
    assert 0.01 <= shares[S.LEAVE] / total <= 0.12
    assert shares[S.ABSENT] > 0


def test_leave_rows_match_approved_requests_and_planned_meetings_have_no_absentees(seeded):
    leave_rows = set(Attendance.objects.filter(status=S.LEAVE).values_list("activity_id", "member_id"))
    approved = set(
        LeaveRequest.objects.filter(status=LeaveRequest.Status.APPROVED).values_list("activity_id", "member_id")
    )
    # The demo's 送学上门 (demo.rules) may take the content home to a member excused from that meeting.
    approved -= set(Attendance.objects.filter(home_delivered=True).values_list("activity_id", "member_id"))

    assert leave_rows == approved
    assert not Attendance.objects.filter(activity__status=Activity.Status.PLANNED, status=S.ABSENT).exists()
    assert not Attendance.objects.filter(activity__status=Activity.Status.CANCELLED).exists()
    assert LeaveRequest.objects.filter(status=LeaveRequest.Status.REFUSED).exists()


def test_frozen_lists_hold_only_members_on_the_roster_that_day(seeded):
    rows = Attendance.objects.filter(expected=True).values_list(
        "activity__starts_at", "member__joined_on", "member__left_on"
    )

    for starts_at, joined_on, left_on in rows:
        day = starts_at.astimezone(TZ).date()
        assert joined_on <= day and (left_on is None or left_on > day)


def test_volunteers_who_came_have_hours(seeded):
    volunteers = Attendance.objects.filter(activity__kind=Activity.Kind.VOLUNTEER, activity__status="held")

    assert volunteers.filter(status=S.PRESENT).exists()
    assert not volunteers.filter(status=S.PRESENT, hours__isnull=True).exists()
    assert not volunteers.filter(expected=True).exists()


def test_assembly_votes_never_exceed_the_full_members_present(seeded):
    assemblies = Activity.objects.filter(kind=Activity.Kind.BRANCH_ASSEMBLY, status=Activity.Status.HELD)

    assert Resolution.objects.filter(activity__in=assemblies).exists()
    for assembly in assemblies.prefetch_related("resolutions"):
        present = activity_quorum(assembly).present
        for resolution in assembly.resolutions.all():
            assert resolution.votes_for + resolution.votes_against + resolution.votes_abstain <= present
        assert "应到" in assembly.minutes


def test_demo_member_was_present_on_leave_and_absent_and_has_something_upcoming(seeded):
    member = Member.objects.select_related("branch").get(user__username="member")
    statuses = set(Attendance.objects.filter(member=member, activity__status="held").values_list("status", flat=True))

    assert {S.PRESENT, S.LEAVE, S.ABSENT} <= statuses
    assert selectors.member_upcoming(member, now=NOW).exists()
    assert LeaveRequest.objects.filter(member=member, status=LeaveRequest.Status.PENDING).exists()


def test_demo_secretary_has_upcoming_to_log_leave_to_decide_and_a_missing_meeting(seeded):
    secretary = get_user_model().objects.get(username="secretary")
    bench = workbench(secretary, now=NOW, today=TODAY)
    branch = Member.objects.get(user=secretary).branch
    year = compliance_report(branch=branch, period="2026", today=TODAY).for_branch(branch)

    assert bench.upcoming and bench.to_log and bench.leave_requests
    assert any(line.kind == Activity.Kind.THEME_DAY and line.status == MISSING for line in year.lines)
    assert Activity.objects.filter(branch=branch, status="held", held_by=secretary).exists()
