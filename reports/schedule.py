"""When reports and health checks are computed without anyone pressing 重新计算, and which are due.

The beat runs ``reports.compute_due`` every night at ``REPORTS_COMPUTE_AT`` (settings; 02:30
Asia/Shanghai). It computes, for every tree, whatever has ended within the last
``REPORTS_CATCH_UP_MONTHS`` months and is not computed yet: first the health checks of each quarter
and year (``due_health_periods``), then the reports of each month, quarter and year
(``due_report_periods``), so that a report finds the checks it counts. On the night after a month
ends that is the month (and the quarter and the year ending with it); a night the beat missed, or a
site set up mid-year, is caught up the next night. The dashboard says from the same rule when a
period's report will appear (``next_computation``). One rule here for the task and the page.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from branches.models import AuditBulkEvent, Branch
from core.periods import MONTH, QUARTER, YEAR, Period, add_months
from service.models import ServiceFigures

from .models import Report


def compute_time() -> datetime.time:
    """The time of day the beat computes (``REPORTS_COMPUTE_AT``, "HH:MM" in the site's time zone)."""
    hour, minute = settings.REPORTS_COMPUTE_AT.split(":")
    return datetime.time(int(hour), int(minute))


def last_complete_month(today: datetime.date) -> Period:
    """The dashboard's default period: the month before ``today``'s."""
    return Period.containing(MONTH, add_months(today, -1))


def ended_periods(today: datetime.date, months: int | None = None) -> list[Period]:
    """Months, quarters and years that ended within the ``months`` months before ``today``'s month
    (``REPORTS_CATCH_UP_MONTHS``), the latest first; at one end, the month before its quarter and year."""
    months = settings.REPORTS_CATCH_UP_MONTHS if months is None else months
    periods = []
    for back in range(1, months + 1):
        month = Period.containing(MONTH, add_months(today, -back))
        periods.append(month)
        if month.index % 3 == 0:
            periods.append(Period.containing(QUARTER, month.start))
        if month.index == 12:
            periods.append(Period.containing(YEAR, month.start))
    return periods


def _ended_at(period: Period) -> datetime.datetime:
    return period.bounds()[1]


def due_report_periods(today: datetime.date) -> list[str]:
    """Ended periods of the window whose report is missing at some root of the tree, or was computed
    before the period ended (a recomputation during the month), or has no 为民服务 figures stored beside
    it (a report computed before the figures were stored with the reports: an upgraded site catches up):
    three queries."""
    periods = ended_periods(today)
    labels = [p.label for p in periods]
    roots = list(Branch.objects.filter(depth=1).values_list("pk", flat=True))
    latest = {
        (branch_id, period): at
        for branch_id, period, at in Report.objects.filter(branch_id__in=roots, period__in=labels)
        .values("branch_id", "period")
        .annotate(at=Max("computed_at"))
        .values_list("branch_id", "period", "at")
    }
    figures = set(
        ServiceFigures.objects.filter(branch_id__in=roots, period__in=labels).values_list("branch_id", "period")
    )

    def due(root: int, p: Period) -> bool:
        at = latest.get((root, p.label))
        return at is None or at < _ended_at(p) or (root, p.label) not in figures

    return [p.label for p in periods if any(due(root, p) for root in roots)]


def due_health_periods(today: datetime.date) -> list[str]:
    """Ended quarters and years of the window whose checks were never computed for the whole site after
    they ended (a branch's own computation does not count): one query on the audit records."""
    periods = [p for p in ended_periods(today) if p.kind in (QUARTER, YEAR)]
    done = set(
        AuditBulkEvent.objects.filter(
            kind=AuditBulkEvent.Kind.COMPUTE_HEALTH,
            branch=None,
            note__in=[p.label for p in periods],
            at__gte=min((_ended_at(p) for p in periods), default=timezone.now()),
        )
        .values_list("note", "at")
        .order_by()
    )
    return [p.label for p in periods if not any(note == p.label and at >= _ended_at(p) for note, at in done)]


def next_computation(period: Period, now: datetime.datetime | None = None) -> datetime.datetime | None:
    """When the beat computes ``period``'s report: the first run at ``compute_time`` after the period
    ended and after ``now``; None when it ended before the catch-up window (it is then computed only
    on request)."""
    now = timezone.localtime(now)
    ended = _ended_at(period)
    run = datetime.datetime.combine(max(ended.date(), now.date()), compute_time(), tzinfo=now.tzinfo)
    if run <= now:
        run += datetime.timedelta(days=1)
    in_window = ended.date() > add_months(run.date(), -settings.REPORTS_CATCH_UP_MONTHS)
    return run if in_window else None
