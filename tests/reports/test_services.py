"""Computing report snapshots: each figure from the records, the roll-ups, idempotency, constant queries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.compliance import compliance_report
from activities.models import Activity
from branches.models import Branch
from health.models import HealthCheck
from reports.models import Report
from reports.services import ReportError, reports_compute
from tests.factories import make_branch
from tests.health.builders import PRESENT, meeting
from tests.reports.conftest import AFTER, Y, day

D = Decimal
K = Activity.Kind
SUMMED = [
    "members",
    "members_full",
    "members_probationary",
    "units",
    "units_compliant",
    "meetings_required",
    "meetings_held",
    "meetings_missing",
    "attendance_expected",
    "attendance_present",
    "attendance_leave",
    "dues_due",
    "dues_paid",
    "health_checks",
]


def report(branch, period=str(Y)) -> Report:
    return Report.objects.get(branch=branch, period=period)


def test_year_report_counts_members_by_status_occupation_and_situation_at_the_period_end(tree, year_data):
    reports_compute(period=str(Y), branch=tree.town, today=AFTER)
    town = report(tree.town)
    # a1, a2, a3 and b1 on the roster on 31 December; b2 left in March.
    assert (town.members, town.members_full, town.members_probationary) == (4, 3, 1)
    members = town.data["members"]
    assert {k: v for k, v in members["by_occupation"].items() if v} == {
        "employed": 1,
        "farmer": 1,
        "student": 1,
        "retired": 1,
    }
    assert {k: v for k, v in members["by_situation"].items() if v} == {"normal": 3, "mobile": 1}
    assert (members["joined"], members["left"]) == (1, 1)


def test_attendance_rate_is_present_over_expected_minus_leave(tree, year_data):
    reports_compute(period=str(Y), branch=tree.town, today=AFTER)
    branch_a, town = report(tree.branch_a), report(tree.town)
    # branch_a: assembly 2 of 3 (1 leave), lecture 1 of 3, group meetings 3 of 4.
    assert (branch_a.attendance_expected, branch_a.attendance_present, branch_a.attendance_leave) == (10, 6, 1)
    assert branch_a.attendance_rate == D("66.67")  # 6 / 9
    # The town adds branch_b's 主题党日 (1 of 2); branch_c's is in another town.
    assert (town.attendance_expected, town.attendance_present) == (12, 7)
    assert town.attendance_rate == D("63.64")  # 7 / 11
    volunteer = town.data["attendance"]["volunteer"]
    assert (volunteer["turnout"], town.data["volunteer_hours"]) == (1, "3.5")


def test_dues_collected_against_due_over_the_period_months(tree, year_data):
    reports_compute(period=str(Y), branch=tree.town, today=AFTER)
    town = report(tree.town)
    # a1 120/120, a2 2.40/1.20, b1 36/31.
    assert (town.dues_due, town.dues_paid) == (D("158.40"), D("152.20"))
    assert town.dues_rate == (D("152.20") * 100 / D("158.40")).quantize(D("0.01"))
    assert town.data["dues"] == {
        "due": "158.40",
        "paid": "152.20",
        "months": 30,
        "months_short": 7,
        "members_short": 2,
    }
    q3 = reports_compute(period=f"{Y}Q3", branch=tree.village_a, today=AFTER)
    assert q3.created == 2  # village_a and branch_a
    assert report(tree.branch_a, f"{Y}Q3").dues_due == D("30.60")  # a1 3 × 10, a2 3 × 0.20


def test_meetings_held_against_required_follow_the_compliance_rules(tree, year_data):
    reports_compute(period=str(Y), branch=tree.town, today=AFTER)
    town = report(tree.town)
    compliance = compliance_report(branch=tree.town, period=str(Y), today=AFTER)
    total = compliance.total()
    assert (town.meetings_required, town.meetings_missing, town.units) == (
        total.required,
        total.missing,
        len(compliance.branches),
    )
    meetings = town.data["meetings"]
    assert (meetings["theme_day"]["held"], meetings["theme_day"]["required"]) == (1, 24)  # two branches × 12 months
    assert (meetings["group_meeting"]["held"], meetings["group_meeting"]["required"]) == (2, 12)
    assert (meetings["branch_assembly"]["held"], meetings["branch_assembly"]["required"]) == (1, 8)
    assert town.meetings_held == 5 and town.units_compliant == 0


def test_health_grades_count_the_checks_of_the_subtree(tree, year_data):
    reports_compute(period=str(Y), branch=tree.town, today=AFTER)
    town = report(tree.town)
    in_town = HealthCheck.objects.filter(branch__path__startswith=tree.town.path, period=str(Y))
    expected = {g: in_town.filter(grade=g).count() for g in HealthCheck.Grade.values}
    assert town.data["health"]["grades"] == expected
    assert town.health_checks == in_town.count() == 5
    assert town.data["health"]["period"] == str(Y)


def test_a_town_report_is_the_sum_of_its_villages(tree, year_data):
    reports_compute(period=str(Y), branch=tree.town, today=AFTER)
    town, va, vb = report(tree.town), report(tree.village_a), report(tree.village_b)
    for name in SUMMED:
        assert getattr(town, name) == getattr(va, name) + getattr(vb, name), name
    for key in ("by_status", "by_occupation", "by_situation"):
        for value, n in town.data["members"][key].items():
            assert n == va.data["members"][key][value] + vb.data["members"][key][value]
    # A village without members of its own is its one branch.
    assert [getattr(va, n) for n in SUMMED] == [getattr(report(tree.branch_a), n) for n in SUMMED]


def test_groups_and_households_get_no_report_of_their_own(tree, year_data):
    result = reports_compute(period=str(Y), branch=tree.town, today=AFTER)
    codes = set(Report.objects.values_list("branch__code", flat=True))
    assert codes == {"TOWN", "VA", "BA", "VB", "BB"} and result.created == 5


def test_recomputing_upserts_the_same_rows_and_keeps_other_periods(tree, year_data):
    reports_compute(period=f"{Y}-07", branch=tree.town, today=AFTER)
    first = reports_compute(period=str(Y), branch=tree.town, today=AFTER)
    before = {
        r.branch_id: (r.members, r.attendance_rate, r.dues_paid, r.data) for r in Report.objects.filter(period=str(Y))
    }
    second = reports_compute(period=str(Y), branch=tree.town, today=AFTER)
    after = {
        r.branch_id: (r.members, r.attendance_rate, r.dues_paid, r.data) for r in Report.objects.filter(period=str(Y))
    }
    assert (first.created, second.created, second.updated) == (5, 0, 5)
    assert before == after
    assert Report.objects.filter(period=f"{Y}-07").count() == 5  # the month's history stays


def test_recomputing_picks_up_new_records(tree, year_data):
    reports_compute(period=str(Y), branch=tree.branch_b, today=AFTER)
    meeting(tree.branch_b, K.THEME_DAY, day(5), {year_data.b1: PRESENT})
    reports_compute(period=str(Y), branch=tree.branch_b, today=AFTER)
    assert report(tree.branch_b).data["meetings"]["theme_day"]["held"] == 2


def test_month_report_shows_the_yearly_health_checks_in_force_and_month_activities(tree, year_data):
    reports_compute(period=f"{Y}-07", branch=tree.town, today=AFTER)
    july = report(tree.branch_a, f"{Y}-07")
    # the year's checks (year_data computed them), not the quarter under way (issue 15)
    in_branch = HealthCheck.objects.filter(branch=tree.branch_a, period=str(Y)).count()
    assert july.period_kind == "month" and july.data["health"]["period"] == str(Y) and july.health_checks == in_branch
    assert in_branch == 3
    # The assembly (2 present, 1 on leave) and the group's July meeting (2 present).
    assert (july.attendance_expected, july.attendance_present, july.attendance_leave) == (5, 4, 1)
    assert july.members == 3 and july.data["members"]["joined"] == 0  # a3 joined in June


@pytest.mark.parametrize(
    "period, computed, health",
    [
        (f"{Y}-01", True, str(Y)),
        (f"{Y}-11", True, str(Y)),
        (f"{Y}-12", True, str(Y)),
        (f"{Y}-01", False, str(Y - 1)),
        (f"{Y}-11", False, str(Y - 1)),
        (f"{Y}-12", False, str(Y - 1)),
        (f"{Y}Q4", True, f"{Y}Q4"),
    ],
)
def test_a_month_shows_its_years_checks_once_any_exist_else_last_years_a_quarter_its_own(
    tree, year_data, period, computed, health
):
    """The rule of ``health.selectors.yearly_checks_period`` at a month's last day (docs/rules/reports.md, 4)."""
    if not computed:  # the year's checks not computed yet in the town: the other town's do not count
        HealthCheck.objects.filter(branch__path__startswith=tree.town.path).delete()
    reports_compute(period=period, branch=tree.town, today=AFTER)
    town = report(tree.town, period)
    assert town.data["health"]["period"] == health
    assert town.health_checks == (5 if health == str(Y) else 0)  # year_data computed the year's checks


def test_a_months_report_reads_which_years_checks_once(tree, year_data):
    with CaptureQueriesContext(connection) as captured:
        reports_compute(period=f"{Y}-11", branch=tree.town, today=AFTER)
    asked = [q["sql"] for q in captured if "health_healthcheck" in q["sql"]]
    assert len(asked) == 2  # which year (an EXISTS), then its checks by branch, grade and status


def test_whole_site_computation_covers_every_tree(tree, year_data):
    result = reports_compute(period=str(Y), today=AFTER)
    assert sorted(result.roots) == ["OTHER", "TOWN"]
    other = report(tree.other_town)
    assert (other.members, other.dues_paid) == (1, D("360.00"))


def test_invalid_period_is_refused_with_a_code(tree):
    with pytest.raises(ReportError) as caught:
        reports_compute(period="2025-13", branch=tree.town)
    assert caught.value.code == "invalid_period"


def _wide_tree(n_branches: int, bulk_members) -> Branch:
    root = make_branch(None, Branch.Kind.COMMITTEE, name=f"宽{n_branches}", code=f"WIDE{n_branches}")
    for i in range(n_branches - 1):
        branch = make_branch(root, Branch.Kind.BRANCH, code=f"W{n_branches}-{i}")
        members = bulk_members(branch, 2)
        meeting(branch, K.THEME_DAY, datetime.date(Y, 3, 1), {m: PRESENT for m in members})
    return root


def _queries(root) -> int:
    with CaptureQueriesContext(connection) as captured:
        reports_compute(period=str(Y), branch=root, today=AFTER)
    return len(captured)


def test_computation_runs_the_same_queries_for_3_or_30_branches(db, bulk_members):
    small, large = _wide_tree(3, bulk_members), _wide_tree(30, bulk_members)
    # Fourteen reads (the committee positions; a year's compliance reads the secretaries' lectures
    # too, and its 学时 take two), the existing keys, one upsert, and the savepoint around the write; the
    # 为民服务 figures: three reads (service.figures.facts) and one upsert.
    assert _queries(small) == _queries(large) == 22
    assert Report.objects.filter(branch__path__startswith=large.path).count() == 30
    assert report(large).attendance_present == 2 * 29


def test_the_whole_site_of_one_tree_reads_without_the_subtree_filter_and_gets_the_same_reports(db, bulk_members):
    """With one tree, the whole site's computation skips the path filter on its largest reads."""
    from reports.services import REPORT_FIELDS
    from tests.health.builders import ABSENT, dues_month

    root = _wide_tree(4, bulk_members)
    for i, branch in enumerate(Branch.objects.filter(path__startswith=root.path, depth=2)):
        first, second = branch.members.all()[:2]
        meeting(branch, K.BRANCH_ASSEMBLY, datetime.date(Y, 5, 1 + i), {first: PRESENT, second: ABSENT})
        dues_month(first, datetime.date(Y, 5, 1), paid="4")
    fields = [f for f in REPORT_FIELDS if f != "computed_at"]

    def rows():
        return list(Report.objects.order_by("branch_id").values("branch_id", *fields))

    with CaptureQueriesContext(connection) as whole_site:
        assert reports_compute(period=str(Y), today=AFTER).roots == [root.code]
    everything = rows()
    Report.objects.all().delete()
    with CaptureQueriesContext(connection) as subtree:
        reports_compute(period=str(Y), branch=root, today=AFTER)

    assert rows() == everything and everything[0]["attendance_expected"] == 12  # 3 theme days, 3 assemblies
    joins = ['JOIN "branches_branch"' in q["sql"] for q in whole_site if "activities_attendance" in q["sql"]]
    assert joins == [
        False,
        False,
    ]  # attendance, 学时: the subtree computation joins the branches; the whole site need not
    assert any('JOIN "branches_branch"' in q["sql"] for q in subtree if "activities_attendance" in q["sql"])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the JSON upsert is PostgreSQL's")
def test_on_postgresql_each_batch_of_snapshots_is_one_statement_and_every_value_is_kept(db, bulk_members, monkeypatch):
    from reports import services

    root = _wide_tree(5, bulk_members)
    monkeypatch.setattr(services, "UPSERT_BATCH", 2)
    written = []
    real = services._upsert
    monkeypatch.setattr(services, "_upsert", lambda rows: written.extend(rows) or real(rows))
    with CaptureQueriesContext(connection) as captured:
        reports_compute(period=str(Y), branch=root, today=AFTER)
    inserts = [q["sql"] for q in captured if q["sql"].startswith('INSERT INTO "reports_report"')]
    assert len(written) == 5 and len(inserts) == 3 and all("jsonb_to_recordset" in sql for sql in inserts)
    for row in written:  # exactly what was computed: Decimals, nulls, the JSON, the time to the microsecond
        stored = Report.objects.get(branch_id=row.branch_id, period=row.period)
        for name in ["period_kind", *services.REPORT_FIELDS]:
            assert getattr(stored, name) == getattr(row, name), name
    assert any(row.attendance_rate is not None for row in written) and any(row.data for row in written)
