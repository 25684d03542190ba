"""Compliance window by window: the roster of each window, rules from their effective date,
activities counting for extra kinds, and the secretary's own 党课."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from activities import services
from activities.compliance import (
    MET,
    MISSING,
    PENDING,
    SECRETARY_LECTURE,
    compliance_report,
)
from activities.models import Activity, ActivityExtraKind
from activities.month_rosters import month_rosters
from branches.models import Branch
from members import services as member_services
from members.models import Member, Position
from tests.activities.conftest import at
from tests.factories import MemberFactory, make_branch

pytestmark = pytest.mark.django_db

K = Activity.Kind
Y = 2026
AFTER = datetime.date(Y + 1, 1, 10)


def held(branch, kind, day, *, extra=(), speaker=None):
    activity = services.activity_create(
        branch=branch, kind=kind, title=K(kind).label, starts_at=at(day), ends_at=at(day, "11:00"), by=None
    )
    services.activity_hold(activity=activity, by=None, now=activity.ends_at)
    for extra_kind in extra:
        ActivityExtraKind.objects.create(activity=activity, kind=extra_kind)
    if speaker is not None:
        Activity.objects.filter(pk=activity.pk).update(speaker=speaker)
    return activity


def months_of(report, branch, kind) -> list[str]:
    unit = report.for_branch(branch)
    return [line.window.label for line in unit.lines if line.kind == kind] if unit else []


def full_members(branch, n, **fields):
    return [MemberFactory(branch=branch, **fields) for _ in range(n)]


@pytest.fixture
def town(db):
    t = make_branch(None, Branch.Kind.COMMITTEE, code="WT")
    return dict(
        T=t,
        B1=make_branch(t, Branch.Kind.BRANCH, code="WB1"),
        B2=make_branch(t, Branch.Kind.BRANCH, code="WB2"),
    )


# --- the roster of a window -------------------------------------------------------------


def test_a_branch_reaching_seven_full_members_in_june_needs_committee_meetings_from_june(town):
    b1 = town["B1"]
    full_members(b1, 6)
    MemberFactory(branch=b1, status=Member.Status.FULL, joined_on=datetime.date(2025, 6, 10),
                  confirmed_on=datetime.date(Y, 6, 10))  # fmt: skip
    report = compliance_report(branch=town["T"], period=str(Y), today=AFTER)
    assert months_of(report, b1, K.COMMITTEE_MEETING) == [f"{Y}-{m:02d}" for m in range(6, 13)]
    assert months_of(compliance_report(branch=b1, period=f"{Y}-05", today=AFTER), b1, K.COMMITTEE_MEETING) == []


def test_a_member_confirmed_on_the_last_day_of_a_month_counts_for_that_month(town):
    b1 = town["B1"]
    full_members(b1, 6)
    MemberFactory(branch=b1, joined_on=datetime.date(2025, 5, 31), confirmed_on=datetime.date(Y, 5, 31))
    report = compliance_report(branch=b1, period=f"{Y}Q2", today=AFTER)
    assert months_of(report, b1, K.COMMITTEE_MEETING) == [f"{Y}-05", f"{Y}-06"]


def test_a_branch_that_had_eight_until_july_needed_committee_meetings_until_july(town):
    b1, b2 = town["B1"], town["B2"]
    members = full_members(b1, 8)
    member_services.member_leave(member=members[0], on=datetime.date(Y, 7, 20), reason=Member.LeftReason.DIED)
    member_services.member_transfer(member=members[1], to_branch=b2, on=datetime.date(Y, 8, 3))
    full_members(b2, 6)
    report = compliance_report(branch=town["T"], period=str(Y), today=AFTER)
    assert months_of(report, b1, K.COMMITTEE_MEETING) == [f"{Y}-{m:02d}" for m in range(1, 8)]
    # The transferred member makes the other branch's seventh from August on.
    assert months_of(report, b2, K.COMMITTEE_MEETING) == [f"{Y}-{m:02d}" for m in range(8, 13)]


@pytest.mark.parametrize("left_on, months", [("03-31", ["01", "02", "03"]), ("03-30", ["01", "02"])])
def test_the_day_a_member_leaves_is_their_last_day_on_the_roster(town, left_on, months):
    b1 = town["B1"]
    members = full_members(b1, 7)
    member_services.member_leave(member=members[0], on=datetime.date.fromisoformat(f"{Y}-{left_on}"),
                                 reason=Member.LeftReason.DIED)  # fmt: skip
    report = compliance_report(branch=b1, period=f"{Y}Q1", today=AFTER)
    assert months_of(report, b1, K.COMMITTEE_MEETING) == [f"{Y}-{m}" for m in months]


def test_month_rosters_follow_transfers_out_of_and_back_into_the_subtree(town):
    b1, b2 = town["B1"], town["B2"]
    other = make_branch(make_branch(None, Branch.Kind.COMMITTEE), Branch.Kind.BRANCH)
    member = MemberFactory(branch=b1)
    member_services.member_transfer(member=member, to_branch=other, on=datetime.date(Y, 3, 15))
    member_services.member_transfer(member=member, to_branch=b2, on=datetime.date(Y, 9, 1))
    rosters = month_rosters(town["T"], Y)
    assert [rosters.at(b1.pk, m)[0] for m in range(1, 13)] == [1, 1] + [0] * 10
    assert [rosters.at(b2.pk, m)[0] for m in range(1, 13)] == [0] * 8 + [1] * 4


def test_groups_need_meetings_only_while_they_have_members(town):
    b1 = town["B1"]
    group = make_branch(b1, Branch.Kind.GROUP)
    MemberFactory(branch=b1, group=group, joined_on=datetime.date(Y, 10, 1), confirmed_on=None,
                  status=Member.Status.PROBATIONARY)  # fmt: skip
    report = compliance_report(branch=town["T"], period=str(Y), today=AFTER)
    assert months_of(report, group, K.GROUP_MEETING) == [f"{Y}-10", f"{Y}-11", f"{Y}-12"]


def test_a_general_branch_is_a_unit_only_in_windows_with_members_of_its_own(town):
    v = make_branch(town["T"], Branch.Kind.GENERAL_BRANCH)
    member = MemberFactory(branch=v)
    member_services.member_leave(member=member, on=datetime.date(Y, 5, 10), reason=Member.LeftReason.DIED)
    report = compliance_report(branch=v, period=str(Y), today=AFTER)
    assert months_of(report, v, K.THEME_DAY) == [f"{Y}-{m:02d}" for m in range(1, 5)]
    assert months_of(report, v, K.BRANCH_ASSEMBLY) == [f"{Y}Q1"]  # not on the roster at the end of Q2


# --- rules from their effective date ----------------------------------------------------


def _rule(branch, kind, period, count, day):
    services.meeting_rule_set(
        branch=branch, kind=kind, period=period, min_count=count, effective_from=datetime.date.fromisoformat(day),
        by=None,
    )  # fmt: skip


def _lines(report) -> set[tuple]:
    return {(u.branch.pk, line) for u in report.branches for line in u.lines}


@pytest.mark.parametrize(
    "rule",
    [
        (K.THEME_DAY, "quarter", 1, f"{Y}-07-01"),  # monthly to quarterly at a quarter's start
        (K.THEME_DAY, "quarter", 1, f"{Y}-08-01"),  # mid-quarter: quarterly from Q4
        (K.COMMITTEE_MEETING, "month", 2, f"{Y}-07-01"),  # twice a month from July
        (K.ORG_LIFE_MEETING, "month", 1, f"{Y}-10-01"),  # yearly, then monthly
    ],
)
def test_the_years_view_is_the_union_of_its_months_for_a_rule_changed_mid_year(town, rule):
    b1 = town["B1"]
    full_members(b1, 8)
    for m in (1, 4, 7, 8, 10, 12):
        held(b1, K.THEME_DAY, f"{Y}-{m:02d}-05")
        held(b1, K.COMMITTEE_MEETING, f"{Y}-{m:02d}-06")
    _rule(town["T"], *rule)
    year = compliance_report(branch=town["T"], period=str(Y), today=AFTER)
    months = set().union(*(_lines(compliance_report(branch=town["T"], period=f"{Y}-{m:02d}", today=AFTER))
                           for m in range(1, 13)))  # fmt: skip
    assert _lines(year) - {(pk, line) for pk, line in _lines(year) if line.kind == SECRETARY_LECTURE} == months


def test_a_rule_changed_at_mid_year_governs_each_month_from_its_date(town):
    b1 = town["B1"]
    full_members(b1, 8)
    _rule(town["T"], K.COMMITTEE_MEETING, "month", 2, f"{Y}-07-01")
    year = compliance_report(branch=town["T"], period=str(Y), today=AFTER)
    required = [line.required for line in year.for_branch(b1).lines if line.kind == K.COMMITTEE_MEETING]
    assert required == [1] * 6 + [2] * 6
    months = [compliance_report(branch=b1, period=f"{Y}-{m:02d}", today=AFTER).rollup()[K.COMMITTEE_MEETING]
              for m in range(1, 13)]  # fmt: skip
    assert year.rollup()[K.COMMITTEE_MEETING].required == sum(t.required for t in months) == 12


def test_a_quarterly_rule_taking_effect_mid_quarter_applies_from_the_next_quarter(town):
    _rule(town["T"], K.THEME_DAY, "quarter", 1, f"{Y}-08-01")
    report = compliance_report(branch=town["T"], period=str(Y), today=AFTER)
    assert months_of(report, town["B1"], K.THEME_DAY) == [f"{Y}-{m:02d}" for m in range(1, 10)] + [f"{Y}Q4"]


def test_a_deeper_rule_not_yet_in_force_leaves_the_higher_one(town):
    _rule(town["T"], K.THEME_DAY, "quarter", 1, f"{Y}-01-01")
    _rule(town["B1"], K.THEME_DAY, "month", 2, f"{Y}-10-01")
    report = compliance_report(branch=town["T"], period=str(Y), today=AFTER)
    lines = [(line.window.label, line.required) for line in report.for_branch(town["B1"]).lines
             if line.kind == K.THEME_DAY]  # fmt: skip
    assert lines == [(f"{Y}Q1", 1), (f"{Y}Q2", 1), (f"{Y}Q3", 1), (f"{Y}-10", 2), (f"{Y}-11", 2), (f"{Y}-12", 2)]


# --- activities counting for more than one kind -----------------------------------------


def _status(report, branch, kind, window) -> str:
    return next(
        line.status for line in report.for_branch(branch).lines if (line.kind, line.window.label) == (kind, window)
    )


def test_an_activity_counts_for_its_kind_and_each_extra_kind(town):
    b1 = town["B1"]
    full_members(b1, 3)
    held(b1, K.THEME_DAY, f"{Y}-02-10", extra=[K.PARTY_LECTURE])
    held(b1, K.ORG_LIFE_MEETING, f"{Y}-03-10", extra=[K.BRANCH_ASSEMBLY])
    report = compliance_report(branch=b1, period=f"{Y}Q1", today=AFTER)
    assert _status(report, b1, K.THEME_DAY, f"{Y}-02") == MET
    assert _status(report, b1, K.PARTY_LECTURE, f"{Y}Q1") == MET
    assert _status(report, b1, K.ORG_LIFE_MEETING, str(Y)) == MET
    assert _status(report, b1, K.BRANCH_ASSEMBLY, f"{Y}Q1") == MET
    assert _status(report, b1, K.THEME_DAY, f"{Y}-03") == MISSING  # the 组织生活会 is no 主题党日


def test_an_extra_kind_equal_to_the_kind_counts_once(town):
    b1 = town["B1"]
    _rule(town["T"], K.THEME_DAY, "month", 2, f"{Y}-01-01")
    held(b1, K.THEME_DAY, f"{Y}-02-10", extra=[K.THEME_DAY])
    report = compliance_report(branch=b1, period=f"{Y}-02", today=AFTER)
    line = next(line for line in report.for_branch(b1).lines if line.kind == K.THEME_DAY)
    assert (line.held, line.status) == (1, MISSING)


def test_an_extra_party_lecture_at_a_general_branch_counts_for_the_branches_below(town):
    v = make_branch(town["T"], Branch.Kind.GENERAL_BRANCH)
    b = make_branch(v, Branch.Kind.BRANCH)
    held(v, K.THEME_DAY, f"{Y}-05-10", extra=[K.PARTY_LECTURE])
    report = compliance_report(branch=v, period=f"{Y}Q2", today=AFTER)
    assert _status(report, b, K.PARTY_LECTURE, f"{Y}Q2") == MET


# --- the secretary's 党课 ----------------------------------------------------------------


def _secretary(branch, started, ended=None) -> Member:
    member = MemberFactory(branch=branch)
    Position.objects.create(member=member, branch=branch, title=Position.Title.SECRETARY, started_on=started,
                            ended_on=ended)  # fmt: skip
    return member


def _secretary_line(report, branch):
    return next(line for line in report.for_branch(branch).lines if line.kind == SECRETARY_LECTURE)


def test_the_secretary_giving_a_lecture_meets_the_years_line(town):
    b1, b2 = town["B1"], town["B2"]
    secretary = _secretary(b1, datetime.date(2020, 1, 1))
    held(b1, K.PARTY_LECTURE, f"{Y}-04-10", speaker=secretary)
    held(b2, K.PARTY_LECTURE, f"{Y}-04-10", speaker=MemberFactory(branch=b2))  # not a secretary
    report = compliance_report(branch=town["T"], period=str(Y), today=AFTER)
    line = _secretary_line(report, b1)
    assert (line.window.label, line.required, line.held, line.status) == (str(Y), 1, 1, MET)
    assert _secretary_line(report, b2).status == MISSING
    assert _secretary_line(compliance_report(branch=b1, period=str(Y), today=datetime.date(Y, 6, 1)), b1).status == MET


def test_a_lecture_counts_only_if_its_speaker_was_secretary_on_the_day(town):
    b1, b2 = town["B1"], town["B2"]
    former = _secretary(b1, datetime.date(2020, 1, 1), ended=datetime.date(Y, 3, 31))
    held(b1, K.PARTY_LECTURE, f"{Y}-04-01", speaker=former)  # the day after the term ended
    later = _secretary(b2, datetime.date(Y, 5, 1))
    held(b2, K.THEME_DAY, f"{Y}-05-01", extra=[K.PARTY_LECTURE], speaker=later)  # first day, as an extra kind
    report = compliance_report(branch=town["T"], period=str(Y), today=datetime.date(Y, 12, 1))
    assert _secretary_line(report, b1).status == PENDING  # the year is not over
    assert _secretary_line(report, b2).status == MET


def test_the_secretarys_line_is_only_in_yearly_views_and_can_be_switched_off(town, settings):
    b1 = town["B1"]
    assert months_of(compliance_report(branch=b1, period=str(Y)), b1, SECRETARY_LECTURE) == [str(Y)]
    assert months_of(compliance_report(branch=b1, period=f"{Y}Q2"), b1, SECRETARY_LECTURE) == []
    settings.SECRETARY_LECTURES_PER_YEAR = 0
    assert months_of(compliance_report(branch=b1, period=str(Y)), b1, SECRETARY_LECTURE) == []


# --- constant queries -------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 4])
def test_a_years_report_runs_six_queries_whatever_the_size_and_the_transfers(size, django_assert_num_queries):
    root = make_branch(None, Branch.Kind.COMMITTEE)
    branches = [make_branch(root, Branch.Kind.BRANCH) for _ in range(size + 1)]
    for i, branch in enumerate(branches):
        group = make_branch(branch, Branch.Kind.GROUP)
        members = [MemberFactory(branch=branch, group=group if j < 2 else None) for j in range(7 + i % 2)]
        held(branch, K.THEME_DAY, f"{Y}-03-03", extra=[K.PARTY_LECTURE], speaker=members[0])
        if i:
            member_services.member_transfer(member=members[-1], to_branch=branches[0], on=datetime.date(Y, 6, 1))
    with django_assert_num_queries(6):
        report = compliance_report(branch=root, period=str(Y), today=AFTER)
        report.rollup()
    assert len(report.branches) == 2 * (size + 1)


# --- the compliance page ----------------------------------------------------------------


def test_the_compliance_page_shows_the_secretarys_lecture_only_for_a_year(login_as, tree, member_a):
    client = login_as("orgdept")
    year = client.get(reverse("activities:compliance"), {"kind": "year", "year": Y, "branch": "TOWN"})
    assert [kind for kind, _, _ in year.context["kinds"]][-1] == SECRETARY_LECTURE
    assert "书记讲党课" in year.content.decode()
    cells = {row.branch.code: row.cells[-1] for row in year.context["rows"]}
    assert (cells["BA"].held, cells["BA"].required) == (0, 1)
    quarter = client.get(reverse("activities:compliance"), {"kind": "quarter", "year": Y, "index": 1, "branch": "TOWN"})
    assert SECRETARY_LECTURE not in [kind for kind, _, _ in quarter.context["kinds"]]
