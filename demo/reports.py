"""The reports of the demo's past months, as the beat would have computed them (``reports.tasks``).

Last of ``demo.year``: a report reads everything before it, the health checks included. Every
completed month of the seeded year and every quarter whose three months were all seeded (never a
year: at most eleven of its months have ended), each through ``reports.services.reports_compute`` for the whole tree, so that
the dashboard opens on figures without anyone pressing 重新计算.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter

from django.utils import timezone

from reports.services import reports_compute

from .dues import seed_months


def report_periods(today: datetime.date) -> list[str]:
    """The months of the seeded year that have ended, then the quarters made of them."""
    months = seed_months(today)[:-1]  # today's month has not ended
    per_quarter = Counter((m.year, (m.month - 1) // 3 + 1) for m in months)
    return [f"{m:%Y-%m}" for m in months] + [f"{y}Q{q}" for (y, q), n in sorted(per_quarter.items()) if n == 3]


def seed_reports(*, result, rng: random.Random, now: datetime.datetime | None = None) -> str:
    """Compute the reports of every ended period of the seeded year over the whole tree; a summary line."""
    del rng  # computed, not drawn
    today = timezone.localdate(now or timezone.now())
    periods = report_periods(today)
    if not periods:
        return "报表：无已结束的期间"
    rows = sum(reports_compute(period=p, branch=result.root, today=today).total for p in periods)
    quarters = sum(1 for p in periods if "Q" in p)
    return f"报表：自 {periods[0]} 起月报 {len(periods) - quarters} 期、季报 {quarters} 期，各党组织共 {rows:,} 份"
