"""Compliance with the meeting rules for a hand-built tree: held, missing, pending, rules, roll-ups, queries."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from activities import services
from activities.compliance import MET, MISSING, PENDING, compliance_report
from activities.models import Activity
from branches.models import Branch
from members.models import Member
from tests.activities.conftest import at
from tests.factories import MemberFactory, make_branch

pytestmark = pytest.mark.django_db

K = Activity.Kind
AFTER_Q3 = datetime.date(2026, 10, 15)


def held(branch, kind, day, status="held"):
    activity = services.activity_create(
        branch=branch, kind=kind, title=K(kind).label, starts_at=at(day), ends_at=at(day, "11:00"), by=None
    )
    if status == "held":
        services.activity_hold(activity=activity, by=None, now=activity.ends_at)
    elif status == "cancelled":
        services.activity_cancel(activity=activity, by=None)
    return activity


@pytest.fixture
def town(db):
    """
    T 党委
      V 党总支 (2 members of its own)
        B1 党支部 (8 full members: has a committee) - G1 党小组 (3 members), G2 党小组 (none)
        B2 党支部 (2 full + 1 probationary)
      B3 党支部 (dissolved in 2025)
    """
    t = make_branch(None, Branch.Kind.COMMITTEE, name="试点镇党委", code="CT")
    v = make_branch(t, Branch.Kind.GENERAL_BRANCH, name="试点村党总支", code="CV")
    b1 = make_branch(v, Branch.Kind.BRANCH, name="第一支部", code="CB1")
    g1 = make_branch(b1, Branch.Kind.GROUP, name="第一小组", code="CG1")
    g2 = make_branch(b1, Branch.Kind.GROUP, name="第二小组", code="CG2")
    b2 = make_branch(v, Branch.Kind.BRANCH, name="第二支部", code="CB2")
    b3 = make_branch(t, Branch.Kind.BRANCH, name="已撤销支部", code="CB3")
    Branch.objects.filter(pk=b3.pk).update(dissolved_on=datetime.date(2025, 12, 31))
    for i in range(8):
        MemberFactory(branch=b1, group=g1 if i < 3 else None)
    MemberFactory(branch=b2)
    MemberFactory(branch=b2)
    MemberFactory(branch=b2, status=Member.Status.PROBATIONARY, confirmed_on=None)
    MemberFactory(branch=v)
    MemberFactory(branch=v)
    return dict(T=t, V=v, B1=b1, G1=g1, G2=g2, B2=b2, B3=b3)


@pytest.fixture
def q3_activities(town):
    b1, b2, v, g1 = town["B1"], town["B2"], town["V"], town["G1"]
    held(b1, K.BRANCH_ASSEMBLY, "2026-08-10")
    held(b1, K.COMMITTEE_MEETING, "2026-07-05")
    held(b1, K.COMMITTEE_MEETING, "2026-08-05")
    for day in ("2026-07-01", "2026-08-01", "2026-09-01"):
        held(b1, K.THEME_DAY, day)
    held(v, K.PARTY_LECTURE, "2026-09-20")  # a general branch's lecture counts below it
    held(g1, K.GROUP_MEETING, "2026-07-15")
    held(g1, K.GROUP_MEETING, "2026-09-15")
    held(b2, K.THEME_DAY, "2026-07-01")
    held(b2, K.BRANCH_ASSEMBLY, "2026-08-20", status="planned")  # never marked held
    held(b2, K.BRANCH_ASSEMBLY, "2026-08-21", status="cancelled")
    held(b2, K.BRANCH_ASSEMBLY, "2026-06-30")  # the previous quarter


def _statuses(report, branch) -> dict[tuple[str, str], str]:
    return {(line.kind, line.window.label): line.status for line in report.for_branch(branch).lines}


# --- periods ----------------------------------------------------------------------------


# --- the table --------------------------------------------------------------------------


def test_branch_with_a_committee_gets_every_requirement(town, q3_activities):
    report = compliance_report(branch=town["T"], period="2026Q3", today=AFTER_Q3)
    assert _statuses(report, town["B1"]) == {
        (K.BRANCH_ASSEMBLY, "2026Q3"): MET,
        (K.COMMITTEE_MEETING, "2026-07"): MET,
        (K.COMMITTEE_MEETING, "2026-08"): MET,
        (K.COMMITTEE_MEETING, "2026-09"): MISSING,
        (K.PARTY_LECTURE, "2026Q3"): MET,
        (K.THEME_DAY, "2026-07"): MET,
        (K.THEME_DAY, "2026-08"): MET,
        (K.THEME_DAY, "2026-09"): MET,
        (K.ORG_LIFE_MEETING, "2026"): PENDING,
        (K.DEMOCRATIC_REVIEW, "2026"): PENDING,
    }


def test_small_branch_has_no_committee_requirement_and_only_held_meetings_count(town, q3_activities):
    report = compliance_report(branch=town["T"], period="2026Q3", today=AFTER_Q3)
    statuses = _statuses(report, town["B2"])
    assert not any(kind == K.COMMITTEE_MEETING for kind, _ in statuses)
    assert statuses[(K.BRANCH_ASSEMBLY, "2026Q3")] == MISSING  # planned, cancelled and last quarter's don't count
    assert statuses[(K.PARTY_LECTURE, "2026Q3")] == MET
    assert [statuses[(K.THEME_DAY, m)] for m in ("2026-07", "2026-08", "2026-09")] == [MET, MISSING, MISSING]


def test_general_branch_with_own_members_is_a_unit_and_groups_count_on_their_own(town, q3_activities):
    report = compliance_report(branch=town["T"], period="2026Q3", today=AFTER_Q3)
    assert _statuses(report, town["V"])[(K.BRANCH_ASSEMBLY, "2026Q3")] == MISSING
    assert _statuses(report, town["G1"]) == {
        (K.GROUP_MEETING, "2026-07"): MET,
        (K.GROUP_MEETING, "2026-08"): MISSING,
        (K.GROUP_MEETING, "2026-09"): MET,
    }
    units = {unit.branch.code for unit in report.branches}
    assert units == {"CV", "CB1", "CG1", "CB2"}  # no 党委, no empty group, no dissolved branch


def test_rollup_counts_lines_over_a_subtree(town, q3_activities):
    report = compliance_report(branch=town["T"], period="2026Q3", today=AFTER_Q3)
    group = report.rollup()[K.GROUP_MEETING]
    assert (group.required, group.met, group.missing, group.pending) == (3, 2, 1, 0)
    theme = report.rollup()[K.THEME_DAY]
    assert (theme.required, theme.met, theme.missing) == (9, 4, 5)
    b1_total = report.total(town["B1"])  # B1 and its group
    assert (b1_total.required, b1_total.met, b1_total.missing, b1_total.pending) == (13, 9, 2, 2)
    assert [u.branch.code for u in report.missing_units()] == ["CV", "CB1", "CG1", "CB2"]


def test_cells_summarize_a_kind_over_the_period(town, q3_activities):
    report = compliance_report(branch=town["T"], period="2026Q3", today=AFTER_Q3)
    cell = report.for_branch(town["B1"]).cells()[K.COMMITTEE_MEETING]
    assert (cell.held, cell.required, cell.status) == (2, 3, MISSING)


def test_windows_not_over_are_pending_not_missing(town, q3_activities):
    report = compliance_report(branch=town["T"], period="2026Q3", today=datetime.date(2026, 8, 15))
    statuses = _statuses(report, town["B2"])
    assert [statuses[(K.THEME_DAY, m)] for m in ("2026-07", "2026-08", "2026-09")] == [MET, PENDING, PENDING]
    assert statuses[(K.BRANCH_ASSEMBLY, "2026Q3")] == PENDING


def test_month_report_checks_yearly_meetings_over_the_year(town):
    held(town["B2"], K.ORG_LIFE_MEETING, "2026-02-10")
    report = compliance_report(branch=town["B2"], period="2026-10", today=datetime.date(2027, 1, 5))
    statuses = _statuses(report, town["B2"])
    assert statuses[(K.ORG_LIFE_MEETING, "2026")] == MET
    assert statuses[(K.DEMOCRATIC_REVIEW, "2026")] == MISSING
    assert statuses[(K.BRANCH_ASSEMBLY, "2026Q4")] == MISSING


# --- configurable rules -----------------------------------------------------------------


def _rule(branch, kind, period, count, day):
    services.meeting_rule_set(
        branch=branch,
        kind=kind,
        period=period,
        min_count=count,
        effective_from=datetime.date.fromisoformat(day),
        by=None,
    )


def test_rule_of_an_org_department_replaces_the_default_in_its_subtree(town, q3_activities):
    _rule(town["T"], K.THEME_DAY, "quarter", 1, "2026-07-01")
    report = compliance_report(branch=town["T"], period="2026Q3", today=AFTER_Q3)
    assert _statuses(report, town["B2"])[(K.THEME_DAY, "2026Q3")] == MET
    assert _statuses(report, town["V"])[(K.THEME_DAY, "2026Q3")] == MISSING


def test_rule_applies_only_to_periods_beginning_after_it_takes_effect(town, q3_activities):
    _rule(town["T"], K.THEME_DAY, "quarter", 1, "2026-08-01")
    report = compliance_report(branch=town["T"], period="2026Q3", today=AFTER_Q3)
    assert (K.THEME_DAY, "2026-08") in _statuses(report, town["B2"])  # still the monthly default


def test_deepest_covering_rule_wins(town, q3_activities):
    _rule(town["T"], K.THEME_DAY, "quarter", 1, "2026-07-01")
    _rule(town["V"], K.THEME_DAY, "month", 2, "2026-01-01")
    report = compliance_report(branch=town["T"], period="2026Q3", today=AFTER_Q3)
    july = next(
        line
        for line in report.for_branch(town["B1"]).lines
        if line.kind == K.THEME_DAY and line.window.label == "2026-07"
    )
    assert (july.required, july.held, july.status) == (2, 1, MISSING)  # the village asks for two


def test_zero_minimum_lifts_a_requirement(town, q3_activities):
    _rule(town["T"], K.ORG_LIFE_MEETING, "year", 0, "2026-01-01")
    report = compliance_report(branch=town["T"], period="2026Q3", today=AFTER_Q3)
    assert report.rollup()[K.ORG_LIFE_MEETING].required == 0


# --- constant queries -------------------------------------------------------------------


def _grow(root, branches: int):
    for i in range(branches):
        branch = make_branch(root, Branch.Kind.BRANCH)
        group = make_branch(branch, Branch.Kind.GROUP)
        for j in range(7 + i % 2):
            MemberFactory(branch=branch, group=group if j < 2 else None)
        held(branch, K.THEME_DAY, "2026-07-03")
        held(group, K.GROUP_MEETING, "2026-08-03")


@pytest.mark.parametrize("size", [1, 5])
def test_report_runs_constant_queries_whatever_the_size(size, django_assert_num_queries):
    root = make_branch(None, Branch.Kind.COMMITTEE)
    _grow(root, size)
    with django_assert_num_queries(5):
        report = compliance_report(branch=root, period="2026Q3", today=AFTER_Q3)
        report.rollup()
    assert len(report.branches) == 2 * size


# --- the command ------------------------------------------------------------------------


def test_command_prints_the_table_of_a_branch(town, q3_activities):
    out = StringIO()
    call_command("compliance", "--period", "2026Q3", "--branch", "CV", stdout=out)
    text = out.getvalue()
    assert "试点村党总支" in text and "CB1" in text and "CG1" in text and "CT " not in text
    b1_line = next(line for line in text.splitlines() if line.startswith("CB1"))
    assert "2/3 ✗" in b1_line  # committee meetings


def test_command_refuses_a_bad_period_or_branch(town):
    with pytest.raises(CommandError):
        call_command("compliance", "--period", "2026Q9", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("compliance", "--period", "2026Q3", "--branch", "NOPE", stdout=StringIO())
