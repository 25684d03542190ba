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
from reports.structure import NO_COMMITTEE, TOO_FEW, TOO_MANY, structure_warnings
from tests.factories import make_branch
from tests.health.builders import attend, held
from tests.reports.conftest import AFTER, Y

K = Activity.Kind

pytestmark = pytest.mark.django_db


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


def _warnings(root) -> dict[str, tuple[str, ...]]:
    return {f.branch.code: f.warnings for f in structure_warnings(root).branches}


def test_seven_full_members_need_a_committee_of_three(root, bulk_members):
    branch_with(root, bulk_members, full=7, committee=2, code="C2")
    branch_with(root, bulk_members, full=7, committee=3, code="C3")
    branch_with(root, bulk_members, full=6, probationary=3, committee=1, code="SIX")  # no committee needed
    assert _warnings(root) == {"C2": (NO_COMMITTEE,)}


def test_an_ended_position_is_no_committee_member(root, bulk_members):
    branch = branch_with(root, bulk_members, full=8, committee=3)
    Position.objects.filter(branch=branch, title=Position.Title.PROPAGANDA).update(ended_on=datetime.date(2025, 1, 1))
    assert list(_warnings(root).values()) == [(NO_COMMITTEE,)]


def test_fewer_than_three_full_members_is_flagged_however_many_probationary(root, bulk_members):
    branch_with(root, bulk_members, full=2, probationary=4, code="TWO")
    branch_with(root, bulk_members, full=3, code="THREE")
    branch_with(root, bulk_members, code="EMPTY")
    assert _warnings(root) == {"EMPTY": (TOO_FEW,), "TWO": (TOO_FEW,)}


def test_more_than_fifty_members_is_flagged(root, bulk_members):
    branch_with(root, bulk_members, full=48, probationary=3, committee=3, code="FIFTY1")
    branch_with(root, bulk_members, full=50, committee=3, code="FIFTY")
    assert _warnings(root) == {"FIFTY1": (TOO_MANY,)}


def test_only_active_members_of_current_branches_in_the_subtree_count(root, bulk_members):
    branch = branch_with(root, bulk_members, full=3, code="LEFT")
    Member.objects.filter(pk=branch.members.first().pk).update(is_active=False, left_on=datetime.date(2025, 1, 1))
    dissolved = branch_with(root, bulk_members, full=1)
    Branch.objects.filter(pk=dissolved.pk).update(dissolved_on=datetime.date(2025, 1, 1))
    make_branch(root, Branch.Kind.GENERAL_BRANCH)  # no members of its own: not a 党支部
    branch_with(make_branch(None, Branch.Kind.COMMITTEE), bulk_members, full=1)  # outside the subtree
    assert _warnings(root) == {"LEFT": (TOO_FEW,)}


def test_counts_cover_the_whole_subtree_and_the_list_is_limited(root, bulk_members, django_assert_num_queries):
    for i in range(4):
        branch_with(root, bulk_members, full=i % 2, code=f"F{i}")
    branch_with(root, bulk_members, full=7, code="NOC")
    with django_assert_num_queries(2):
        warnings = structure_warnings(root, limit=3)
    assert warnings.counts == {NO_COMMITTEE: 1, TOO_FEW: 4, TOO_MANY: 0} and warnings.total == 5
    assert [f.branch.code for f in warnings.branches] == ["F0", "F1", "F2"] and warnings.more
    assert [w for w, _, _ in warnings.rows()] == [NO_COMMITTEE, TOO_FEW]


def test_the_limits_are_settings(root, bulk_members, settings):
    settings.STRUCTURE_MAX_MEMBERS = 5
    branch_with(root, bulk_members, full=6, code="SIX")
    assert _warnings(root) == {"SIX": (TOO_MANY,)}


# --- in the reports: organization counts, 学时, the dashboard ------------------------------


def test_a_report_counts_organizations_without_households(tree, year_data):
    reports_compute(period=str(Y), branch=tree.town, today=AFTER)
    town = Report.objects.get(branch=tree.town, period=str(Y))
    assert town.data["structure"] == {
        "organizations": {"committee": 1, "general_branch": 2, "branch": 2},
        "groups": 1,
        "households": 1,  # 张家中心户: counted apart, not as an organization
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
    assert [f.branch.code for f in warnings.branches] == ["BA", "BB"]  # 2 and 1 full members
    assert "正式党员不足3人" in page and "东村第一网格党支部" in page
