"""What the demo's year ends with (issue 15, "Demo data"): who held each meeting, the health checks in
every state of the review, the reports of the past months, a probation ending and leave to approve."""

import datetime
from typing import NamedTuple

import pytest
from django.contrib.auth import get_user_model

from activities.models import Activity, LeaveRequest
from demo.checks import RETURN_COMMENT, checks_year, last_quarter
from demo.plan import PROBATION_ENDS_IN
from demo.reports import report_periods
from demo.seeding import seed_build
from demo.year import seed_year
from health.models import HealthCheck, HealthCheckEvent
from health.selectors import probation_ending, published_checks_of, returned_checks
from reports.models import Report
from tests.demo.test_activities import NOW, TINY, TODAY

S = HealthCheck.Status


class Seeded(NamedTuple):  # not the SeedResult: pytest's report of a failure would print its whole plan
    root: object
    summaries: list
    users: dict


@pytest.fixture
def seeded(db):
    result = seed_build(scale=TINY, seed=1, today=TODAY)
    summaries = seed_year(result=result, seed=1, now=NOW)
    users = {u.username: u for u in get_user_model().objects.all()}
    return Seeded(result.root, summaries, users)


def test_held_meetings_say_who_held_them_and_the_secretary_has_a_probation_ending_and_leave_to_approve(seeded):
    users = seeded.users
    held = Activity.objects.filter(status=Activity.Status.HELD)
    home = users["secretary"].member.branch

    assert held.exists() and not held.filter(held_by=None).exists()
    assert set(held.filter(branch=home).values_list("held_by", flat=True)) == {users["secretary"].pk}
    assert held.exclude(branch=home).filter(held_by=users["orgdept"]).exists()  # no account: the department
    assert [m.days_left for m in probation_ending(branch=home, today=TODAY)] == [PROBATION_ENDS_IN]
    pending = LeaveRequest.objects.filter(status=LeaveRequest.Status.PENDING, activity__branch=home)
    assert pending.filter(activity__ends_at__gt=NOW).exists()


def test_the_years_checks_stand_in_each_state_and_the_last_quarters_are_published(seeded):
    users, secretary = seeded.users, seeded.users["secretary"]
    year = HealthCheck.objects.filter(period="2026")

    assert set(year.values_list("status", flat=True)) == {S.DRAFT, S.SUBMITTED, S.RETURNED, S.APPROVED, S.PUBLISHED}
    secretary2 = users["secretary2"].member.branch
    assert set(year.filter(branch=secretary2).values_list("status", flat=True)) == {S.SUBMITTED}
    assert any(line.startswith("政治体检：2026年度") for line in seeded.summaries)
    # The secretary's: returned with the comment, after one adjustment with its reason and their submission.
    [returned] = returned_checks(secretary)
    assert (returned.period, returned.comment, returned.branch_id) == (
        "2026",
        RETURN_COMMENT,
        secretary.member.branch_id,
    )
    adjusted = HealthCheck.objects.get(branch=secretary.member.branch, period="2026", adjustment__gt=0)
    assert adjusted.adjustment_reason
    assert HealthCheckEvent.objects.filter(health_check=adjusted, kind=HealthCheckEvent.Kind.SUBMITTED, by=secretary)
    # The member sees a published score: the last quarter's.
    assert [c.period for c in published_checks_of(users["member"].member)] == ["2026Q3"]


def test_the_reports_of_every_ended_month_and_quarter_are_computed_for_the_whole_tree(seeded):
    periods = set(Report.objects.filter(branch=seeded.root).values_list("period", flat=True))

    assert {"2025-12", "2026-10"} <= periods and "2026-11" not in periods
    assert {"2026Q1", "2026Q2", "2026Q3"} <= periods and not {"2025Q4", "2026Q4", "2026"} & periods
    assert len(periods) == 11 + 3
    report = Report.objects.get(branch=seeded.root, period="2026-10")
    assert report.meetings_held and report.attendance_expected and report.dues_due
    assert report.data["health"]["grades"]  # computed after the checks


@pytest.mark.parametrize(
    ("today", "year", "quarter"),
    [
        (datetime.date(2026, 11, 21), "2026", "2026Q3"),
        (datetime.date(2026, 12, 31), "2026", "2026Q3"),
        (datetime.date(2027, 1, 1), "2026", "2026Q4"),
        (datetime.date(2027, 6, 30), "2027", "2027Q1"),  # 2026-07 … 2027-06: the seventh month is 2027-01
        (datetime.date(2027, 7, 1), "2027", "2027Q2"),
    ],
)
def test_the_checks_cover_the_year_holding_most_seeded_months_and_the_last_ended_quarter(today, year, quarter):
    assert (checks_year(today).label, last_quarter(today).label) == (year, quarter)


def test_report_periods_are_the_ended_months_and_the_quarters_made_only_of_them():
    assert report_periods(datetime.date(2026, 12, 1)) == [f"2026-{m:02d}" for m in range(1, 12)] + [
        "2026Q1",
        "2026Q2",
        "2026Q3",
    ]
    in_january = report_periods(datetime.date(2027, 1, 31))
    assert in_january[0] == "2026-02" and in_january[-3:] == ["2026Q2", "2026Q3", "2026Q4"]
