"""The seeds' year of activities planned in memory (demo/activity_plan.py)."""

import datetime
import random
import zoneinfo

from activities.models import Activity
from demo.activity_plan import plan_activity_year
from demo.plan import Scale, seed_plan

NOW = datetime.datetime(2026, 11, 21, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
TODAY = NOW.date()
TINY = Scale("tiny", organizations=40, members=200, towns=2, villages=4, grids=8, communities=1, compounds=2, groups=14)


def _fingerprint(year) -> list:
    return [
        (a.branch.code, a.kind, a.starts_at, a.status, [m.id_number for m in a.expected], a.statuses, a.hours)
        for a in year.activities
    ]


def test_same_seed_plans_the_same_year_and_another_seed_another():
    def year(seed):
        return plan_activity_year(plan=seed_plan(scale=TINY, seed=1, today=TODAY), rng=random.Random(seed), now=NOW)

    assert _fingerprint(year(5)) == _fingerprint(year(5))
    assert _fingerprint(year(5)) != _fingerprint(year(6))


def test_planned_year_covers_twelve_months_and_looks_ahead_three_weeks_at_most():
    year = plan_activity_year(plan=seed_plan(scale=TINY, seed=1, today=TODAY), rng=random.Random(1), now=NOW)
    starts = [a.starts_at for a in year.activities]

    assert min(starts).date() >= datetime.date(2025, 12, 1)
    assert max(starts) <= NOW + datetime.timedelta(days=21)
    assert {a.status for a in year.activities if a.ends_at > NOW} == {Activity.Status.PLANNED}
