"""Celery tasks of the reports app: thin and idempotent, taking ids and plain values.

The beat schedule (settings.CELERY_BEAT_SCHEDULE) runs the periodic ones: daily reminders,
monthly reports, quarterly and yearly health checks. Every result is a database fact with
a unique key, so a task run twice changes nothing the second time.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict

from celery import shared_task
from django.utils import timezone

from branches.files import private_files_sweep
from branches.models import Branch
from health.services import health_checks_compute

from . import jobs, services


def _previous_month(today: datetime.date) -> tuple[int, int]:
    return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)


def _ended_periods(today: datetime.date) -> list[str]:
    """The month that ended before ``today``'s, and the quarter and year if they ended with it."""
    year, month = _previous_month(today)
    periods = [f"{year}-{month:02d}"]
    if month % 3 == 0:
        periods.append(f"{year}Q{month // 3}")
    if month == 12:
        periods.append(str(year))
    return periods


@shared_task(name="reports.compute_reports")
def compute_reports(period: str, branch_id: int | None = None) -> dict:
    """Compute the reports of ``period`` for ``branch_id``'s subtree (every tree: None)."""
    branch = Branch.objects.get(pk=branch_id) if branch_id is not None else None
    result = services.reports_compute(period=period, branch=branch)
    return {"created": result.created, "updated": result.updated, "roots": result.roots}


@shared_task(name="reports.monthly_reports")
def monthly_reports(today: str | None = None) -> dict:
    """The reports of last month (and of the quarter and the year that ended with it), every tree."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    return {period: compute_reports(period) for period in _ended_periods(day)}


@shared_task(name="reports.daily_reminders")
def daily_reminders(today: str | None = None) -> dict:
    """Store and e-mail today's reminders to secretaries."""
    day = datetime.date.fromisoformat(today) if today else None
    return asdict(services.reminders_create(today=day))


@shared_task(name="reports.quarterly_health_checks")
def quarterly_health_checks(today: str | None = None) -> dict:
    """The interim health checks of the quarter that has just ended, every member."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    last = day.replace(day=1) - datetime.timedelta(days=1)
    period = f"{last.year}Q{(last.month - 1) // 3 + 1}"
    return {period: asdict(health_checks_compute(period=period))}


@shared_task(name="reports.yearly_health_checks")
def yearly_health_checks(today: str | None = None) -> dict:
    """The yearly health checks of the year that has just ended, every member."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    period = str(day.year - 1)
    return {period: asdict(health_checks_compute(period=period))}


@shared_task(name="reports.sweep_private_files")
def sweep_private_files() -> int:
    """Delete job outputs and import previews older than PRIVATE_FILES_MAX_AGE_DAYS (activity files stay)."""
    return private_files_sweep()


@shared_task(name="reports.run_job", bind=True)
def run_job(self, job_id: int) -> str:
    """Run a background job (recomputation or export) once, recording its progress.

    A message handed over again after its worker died finds the job "running" and resumes it.
    """
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    return jobs.job_run(job_id=job_id, redelivered=redelivered)


@shared_task(name="reports.fail_stale_jobs")
def fail_stale_jobs() -> dict:
    """Mark failed the background jobs that will never finish (lost message, dead worker): the beat's sweep."""
    return jobs.jobs_fail_stale()
