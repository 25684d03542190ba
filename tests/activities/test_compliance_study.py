"""学时: what a member earns in a year, what they need, and the subtree's shortfalls."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.models import Activity, Attendance
from activities.study import member_study_hours, study_shortfalls
from branches.models import Branch
from members.models import Member, Position
from tests.activities.conftest import at
from tests.factories import MemberFactory, make_branch

pytestmark = pytest.mark.django_db

K = Activity.Kind
Y = 2026


def session(branch, day, hours, present, *, kind=K.STUDY, status="held"):
    """An activity with ``hours`` 学时 on ``day`` where ``present`` were present."""
    activity = services.activity_create(
        branch=branch, kind=kind, title="学习", starts_at=at(day), ends_at=at(day, "11:00"), by=None
    )
    Activity.objects.filter(pk=activity.pk).update(study_hours=hours, status=status)
    for member in present:
        Attendance.objects.create(activity=activity, member=member, status=Attendance.Status.PRESENT)
    return activity


@pytest.fixture
def root(db):
    return make_branch(None, Branch.Kind.COMMITTEE)


@pytest.fixture
def branch(root):
    return make_branch(root, Branch.Kind.BRANCH)


def test_present_members_earn_the_hours_of_held_activities_of_the_year(branch):
    member, absent = MemberFactory(branch=branch), MemberFactory(branch=branch)
    session(branch, f"{Y}-03-01", D("16"), [member])
    lecture = session(branch, f"{Y}-05-01", D("2.5"), [member], kind=K.PARTY_LECTURE)
    Attendance.objects.create(activity=lecture, member=absent, status=Attendance.Status.ABSENT, expected=True)
    session(branch, f"{Y}-06-01", D("8"), [member], status="planned")  # not held
    session(branch, f"{Y - 1}-12-31", D("8"), [member])  # last year
    session(branch, f"{Y}-07-01", None, [member])  # no 学时 recorded
    study = member_study_hours(member=member, year=Y)
    assert (study.hours, study.required, study.committee, study.short) == (D("18.5"), 32, False, True)
    assert study.missing == D("13.5")
    assert member_study_hours(member=absent, year=Y).hours == D("0")


def test_exactly_32_hours_is_enough_for_a_member(branch):
    member = MemberFactory(branch=branch)
    session(branch, f"{Y}-03-01", D("31.9"), [member])
    assert member_study_hours(member=member, year=Y).short
    session(branch, f"{Y}-04-01", D("0.1"), [member])
    study = member_study_hours(member=member, year=Y)
    assert (study.hours, study.short, study.missing) == (D("32.0"), False, D("0"))


def test_a_committee_member_of_the_year_needs_56_hours(branch):
    secretary, former = MemberFactory(branch=branch), MemberFactory(branch=branch)
    Position.objects.create(
        member=secretary, branch=branch, title=Position.Title.SECRETARY, started_on=datetime.date(Y, 11, 1)
    )
    Position.objects.create(member=former, branch=branch, title=Position.Title.ORGANIZATION,
                            started_on=datetime.date(2020, 1, 1), ended_on=datetime.date(Y - 1, 12, 31))  # fmt: skip
    session(branch, f"{Y}-03-01", D("55.5"), [secretary, former])
    study = member_study_hours(member=secretary, year=Y)
    assert (study.required, study.short) == (56, True)
    assert member_study_hours(member=former, year=Y).required == 32  # ended before the year
    session(branch, f"{Y}-04-01", D("0.5"), [secretary])
    assert not member_study_hours(member=secretary, year=Y).short


def test_the_requirements_are_settings(branch, settings):
    settings.STUDY_HOURS_MEMBER, settings.STUDY_HOURS_COMMITTEE = 40, 60
    member = MemberFactory(branch=branch)
    session(branch, f"{Y}-03-01", D("32"), [member])
    assert member_study_hours(member=member, year=Y).required == 40


def test_shortfalls_count_the_year_end_roster_per_branch_in_two_queries(root, branch, django_assert_num_queries):
    other = make_branch(root, Branch.Kind.BRANCH)
    done = MemberFactory(branch=branch)
    MemberFactory(branch=branch)  # short of them
    MemberFactory(branch=branch, is_active=False, left_on=datetime.date(Y, 6, 30))  # off the roster
    MemberFactory(branch=branch, is_active=False, left_on=datetime.date(Y, 12, 31))  # on it: their last day
    secretary = MemberFactory(branch=other)
    Position.objects.create(
        member=secretary, branch=other, title=Position.Title.SECRETARY, started_on=datetime.date(2020, 1, 1)
    )
    session(branch, f"{Y}-03-01", D("32"), [done])
    session(other, f"{Y}-03-01", D("40"), [secretary])
    MemberFactory(branch=branch, status=Member.Status.PROBATIONARY, joined_on=datetime.date(Y + 1, 1, 5))
    with django_assert_num_queries(2):
        counts = study_shortfalls(root, Y)
    assert counts == {branch.pk: (3, 2), other.pk: (1, 1)}


def test_the_members_page_shows_the_years_hours_and_what_is_missing(login_as, tree, member_a):
    session(tree.branch_a, f"{timezone.localdate().year}-01-01", D("30"), [member_a])
    response = login_as("member_a").get(reverse("activities:mine"))
    study = response.context["study"]
    assert (study.year, study.hours, study.required) == (timezone.localdate().year, D("30"), 32)
    assert "已学 30.0 学时，全年应学 32 学时" in response.text and "还差 2.0 学时" in response.text
