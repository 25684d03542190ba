"""A smoke test of the issue-4 benchmark code at a tiny scale (its figures mean nothing here)."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Q

from activities.models import Activity, Attendance
from bench.health_reports import ScaleRun, goals, markdown, measure_period, scaled
from bench.year_data import year_generate
from branches.models import Branch
from demo.plan import Scale
from demo.seeding import seed_build
from health.models import HealthCheck
from members.models import DuesPayment, Member
from reports.models import Report

TINY = Scale("tiny", organizations=40, members=200, towns=2, villages=4, grids=8, communities=1, compounds=2, groups=14)
Y = 2025
K = Activity.Kind


@pytest.fixture
def seeded_year(db):
    seed_build(scale=TINY, seed=3)
    return year_generate(year=Y)


def test_year_data_expects_every_active_member_at_each_branch_activity(seeded_year):
    eligible = Member.objects.filter(is_active=True, joined_on__lt=datetime.date(Y, 1, 1))
    theme_days = Activity.objects.filter(kind=K.THEME_DAY)
    expected = sum(eligible.filter(branch_id=a.branch_id).count() for a in theme_days)
    rows = Attendance.objects.filter(activity__kind=K.THEME_DAY)
    assert rows.count() == expected > 0 and not rows.filter(expected=False).exists()
    present = rows.filter(status="present").count() / expected
    assert 0.75 < present < 0.95
    assert Attendance.objects.filter(activity__kind=K.VOLUNTEER, hours__gte=2).exists()


def test_year_data_has_one_dues_row_per_member_and_month_on_the_roster(seeded_year):
    expected = 0
    for month in range(1, 13):
        first = datetime.date(Y, month, 1)
        last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
        expected += Member.objects.filter(joined_on__lte=last).filter(Q(is_active=True) | Q(left_on__gte=first)).count()
    assert DuesPayment.objects.count() == seeded_year.dues == expected
    assert not DuesPayment.objects.filter(due__lte=0).exists()


def test_benchmark_measures_health_checks_and_reports_against_bare_sql(seeded_year):
    run = ScaleRun("tiny", Member.objects.count(), 40)
    lines = []
    measure_period(f"{Y}Q2", 1, run, lines.append)
    assert list(run.timings) == [f"health {Y}Q2", f"health {Y}Q2 again", f"reports {Y}Q2", f"reports {Y}Q2 again"]
    assert all(t.seconds > 0 and t.baseline > 0 for t in run.timings.values())
    assert HealthCheck.objects.filter(period=f"{Y}Q2").exists()
    # Each of the three timed first computations started from no check: the last one wrote them all.
    checks = HealthCheck.objects.filter(period=f"{Y}Q2").count()
    assert run.timings[f"health {Y}Q2"].detail == f"{checks:,} checks written"
    assert run.timings[f"reports {Y}Q2"].detail.startswith(
        f"{Report.objects.filter(period=f'{Y}Q2').count():,} snapshots"
    )
    reported = Branch.objects.filter(kind__in=["committee", "general_branch", "branch"]).count()
    assert Report.objects.filter(period=f"{Y}Q2").count() == reported
    bigger = ScaleRun("tiny4", run.members * 4, 160, timings=dict(run.timings))
    labels = [label for label, _, _ in goals([run, bigger])]
    assert f"tiny → tiny4: reports {Y}Q2 linear" in labels
    assert "| tiny (" in markdown([run])


def test_scaled_multiplies_every_count():
    big = scaled(TINY, 4, "tiny4")
    assert (big.name, big.members, big.groups, big.organizations) == ("tiny4", 800, 56, 160)
    big.check()
