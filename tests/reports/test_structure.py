"""Structure warnings (支部工作条例 chapters 2 and 6) and organization counts without 党员中心户."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from activities.models import Activity
from branches.models import Branch
from members.models import Member, Position
from reports import exports
from reports.models import Report
from reports.services import reports_compute
from reports.structure import NO_COMMITTEE, TOO_FEW, TOO_MANY, label, structure_warnings, warnings_of
from tests.factories import make_branch
from tests.health.builders import attend, held
from tests.reports.conftest import AFTER, Y

K = Activity.Kind

pytestmark = pytest.mark.django_db


def test_the_rules_at_their_boundaries():
    assert warnings_of(members=9, full=7, committee=2) == [NO_COMMITTEE]
    assert warnings_of(members=9, full=7, committee=3) == []
    assert warnings_of(members=9, full=6, committee=0) == []  # no committee needed
    assert warnings_of(members=6, full=2, committee=1) == [TOO_FEW]
    assert warnings_of(members=3, full=3, committee=1) == []
    assert warnings_of(members=0, full=0, committee=0) == [TOO_FEW]
    assert warnings_of(members=51, full=48, committee=3) == [TOO_MANY]
    assert warnings_of(members=50, full=50, committee=3) == []
    assert warnings_of(members=51, full=51, committee=0) == [NO_COMMITTEE, TOO_MANY]


def test_the_limits_are_settings(settings):
    settings.STRUCTURE_MAX_MEMBERS, settings.STRUCTURE_MIN_FULL_MEMBERS = 5, 2
    settings.STRUCTURE_COMMITTEE_MIN_POSITIONS = 1
    assert warnings_of(members=6, full=2, committee=0) == [TOO_MANY]
    assert warnings_of(members=7, full=7, committee=0) == [NO_COMMITTEE, TOO_MANY]
    assert label(TOO_MANY) == "党员超过5人"


@pytest.fixture
def root(db):
    return make_branch(None, Branch.Kind.COMMITTEE, code="SR")


def branch_with(root, bulk_members, *, full=0, probationary=0, committee=0, code=None) -> Branch:
    branch = make_branch(root, Branch.Kind.BRANCH, **({"code": code} if code else {}))
    members = bulk_members(branch, full + probationary) if full + probationary else []
    Member.objects.filter(pk__in=[m.pk for m in members[full:]]).update(status=Member.Status.PROBATIONARY)
    titles = [
        Position.Title.SECRETARY,
        Position.Title.ORGANIZATION,
        Position.Title.PROPAGANDA,
        Position.Title.DISCIPLINE,
    ]
    for member, title in zip(members[:committee], titles, strict=False):
        Position.objects.create(member=member, branch=branch, title=title, started_on=datetime.date(2024, 1, 1))
    return branch


def _flags(root, period=str(Y)) -> dict[str, list[str]]:
    reports_compute(period=period, branch=root, today=AFTER)
    reports = Report.objects.filter(branch__path__startswith=root.path, branch__kind=Branch.Kind.BRANCH, period=period)
    return {
        r.branch.code: [w for w, n in r.data["structure"]["warnings"].items() if n]
        for r in reports
        if r.structure_warnings
    }


def test_a_report_flags_its_branches_and_counts_them_up_the_tree(root, bulk_members):
    branch_with(root, bulk_members, full=7, committee=2, code="C2")
    branch_with(root, bulk_members, full=7, committee=3, code="C3")
    branch_with(root, bulk_members, full=2, probationary=4, code="TWO")
    branch_with(root, bulk_members, full=48, probationary=3, committee=3, code="BIG")
    assert _flags(root) == {"C2": [NO_COMMITTEE], "TWO": [TOO_FEW], "BIG": [TOO_MANY]}
    town = Report.objects.get(branch=root, period=str(Y))
    assert town.structure_warnings == 3
    assert town.data["structure"]["warnings"] == {NO_COMMITTEE: 1, TOO_FEW: 1, TOO_MANY: 1}


def test_positions_and_members_count_as_they_were_at_the_periods_end(root, bulk_members):
    branch = branch_with(root, bulk_members, full=8, committee=3, code="B")
    Position.objects.filter(branch=branch, title=Position.Title.PROPAGANDA).update(ended_on=datetime.date(Y, 12, 30))
    assert _flags(root) == {"B": [NO_COMMITTEE]}  # two committee members on 31 December
    assert _flags(root, f"{Y}-06") == {}  # three in June
    Member.objects.filter(pk__in=list(branch.members.values_list("pk", flat=True)[:6])).update(
        is_active=False, left_on=datetime.date(Y, 12, 30)
    )
    assert _flags(root) == {"B": [TOO_FEW]}  # two full members left on 31 December: no committee needed


def test_dissolved_branches_and_general_branches_are_not_flagged(root, bulk_members):
    dissolved = branch_with(root, bulk_members, full=1)
    Branch.objects.filter(pk=dissolved.pk).update(dissolved_on=datetime.date(Y, 6, 30))
    make_branch(root, Branch.Kind.GENERAL_BRANCH)
    assert _flags(root) == {}


# --- in the reports: organization counts, 学时, the dashboard ------------------------------


def test_a_report_counts_organizations_without_households(tree, year_data):
    reports_compute(period=str(Y), branch=tree.town, today=AFTER)
    town = Report.objects.get(branch=tree.town, period=str(Y))
    assert town.data["structure"] == {
        "organizations": {"committee": 1, "general_branch": 2, "branch": 2},
        "groups": 1,
        "households": 1,  # 张家中心户: counted apart, not as an organization
        "warnings": {NO_COMMITTEE: 0, TOO_FEW: 2, TOO_MANY: 0},  # BA and BB have 2 and 1 full members
        "committee": 0,
    }


def test_the_export_counts_organizations_without_households(tree, year_data, tmp_path):
    reports_compute(period=str(Y), branch=tree.town, today=AFTER)
    path = tmp_path / "reports.xlsx"
    exports.reports_workbook(branch=tree.town, period=str(Y), path=path)
    header, *rows = load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True)
    town = dict(zip(header, next(row for row in rows if row[0] == "TOWN"), strict=True))
    assert (town["党组织数"], town["其中党支部"], town["党小组数"], town["党员中心户数"]) == (5, 2, 1, 1)
    assert town["书记讲党课（已开/应开）"] == "0/2"
    assert town["学时不足人数（年报）"] == 4  # nobody earned any
    assert (town["组织设置提醒（党支部数）"], town["其中正式党员过少"], town["其中未设支部委员会"]) == (2, 2, 0)
    assert len(rows) == 5  # one row per 党委, 党总支 and 党支部: none for the group or the household


def test_a_years_report_counts_the_members_short_of_their_study_hours(tree, year_data):
    session = held(tree.branch_a, K.STUDY, datetime.date(Y, 5, 10))
    Activity.objects.filter(pk=session.pk).update(study_hours=D("32"))
    attend(session, year_data.a1, expected=False)
    reports_compute(period=str(Y), branch=tree.town, today=AFTER)
    town = Report.objects.get(branch=tree.town, period=str(Y))
    assert town.data["study"] == {"members": 4, "short": 3}  # a1 has 32; a2, a3 and b1 none; b2 left
    assert Report.objects.get(branch=tree.branch_b, period=str(Y)).data["study"] == {"members": 1, "short": 1}
    reports_compute(period=f"{Y}-07", branch=tree.town, today=AFTER)
    assert Report.objects.get(branch=tree.town, period=f"{Y}-07").data["study"] is None  # yearly only


def test_the_dashboard_shows_organizations_study_hours_and_structure_warnings(tree, year_data, login_as):
    reports_compute(period=str(Y), branch=tree.town, today=AFTER)
    response = login_as("orgdept").get(reverse("reports:dashboard", kwargs={"code": "TOWN"}) + f"?period={Y}")
    page = response.content.decode()
    assert response.context["organizations"]["total"] == 5
    assert "另有党小组 1 个、党员中心户 1 户" in page and "学时不足人数" in page
    warnings = response.context["warnings"]
    assert [r.branch.code for r, _, _ in warnings["branches"]] == ["BA", "BB"]  # 2 and 1 full members
    assert warnings["total"] == 2 and warnings["rows"] == [("正式党员不足3人", 2)]
    assert "正式党员不足3人" in page and "东村第一网格党支部" in page


def test_todays_warnings_of_a_subtree_use_the_same_rules_in_two_queries(root, bulk_members, django_assert_num_queries):
    branch_with(root, bulk_members, full=7, committee=2, code="C2")
    branch_with(root, bulk_members, full=7, committee=3, code="C3")
    branch_with(root, bulk_members, code="EMPTY")
    ended = branch_with(root, bulk_members, full=8, committee=3, code="ENDED")
    Position.objects.filter(branch=ended, title=Position.Title.PROPAGANDA).update(ended_on=datetime.date(Y, 1, 1))
    with django_assert_num_queries(2):
        found = structure_warnings(root, limit=2)
    assert found.counts == {NO_COMMITTEE: 2, TOO_FEW: 1, TOO_MANY: 0} and found.total == 3 and found.more
    assert [(f.branch.code, f.warnings) for f in found.branches] == [("C2", (NO_COMMITTEE,)), ("EMPTY", (TOO_FEW,))]
