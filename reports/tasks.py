"""Celery tasks of the reports app: thin and idempotent, taking ids and plain values.

The beat schedule (settings.CELERY_BEAT_SCHEDULE) runs the periodic ones: daily reminders, and every
night the computation of whatever period has ended and is not computed yet (``compute_due``, the rule
in reports/schedule.py): health checks of each quarter and year, then reports of each month, quarter
and year. Every result is a database fact with a unique key, so a task run twice changes nothing the
second time.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict

from celery import shared_task
from django.utils import timezone

from branches.files import private_files_sweep
from branches.models import Branch
from health.services import health_checks_compute

from . import jobs, schedule, services


@shared_task(name="reports.compute_reports")
def compute_reports(period: str, branch_id: int | None = None) -> dict:
    """Compute the reports of ``period`` for ``branch_id``'s subtree (every tree: None)."""
    branch = Branch.objects.get(pk=branch_id) if branch_id is not None else None
    result = services.reports_compute(period=period, branch=branch)
    return {"created": result.created, "updated": result.updated, "roots": result.roots}


@shared_task(name="reports.compute_due")
def compute_due(today: str | None = None) -> dict:
    """The nightly computation: the health checks, then the reports, of every period that has ended and
    is due (reports/schedule.py), for every tree. Nothing due: four queries (the roots, their reports and
    figures, the site's health computations) and nothing written."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    health = {period: asdict(health_checks_compute(period=period)) for period in schedule.due_health_periods(day)}
    reports = {period: compute_reports(period) for period in schedule.due_report_periods(day)}
    return {"health": health, "reports": reports}


@shared_task(name="reports.daily_reminders")
def daily_reminders(today: str | None = None) -> dict:
    """Store and e-mail today's reminders to secretaries."""
    day = datetime.date.fromisoformat(today) if today else None
    return asdict(services.reminders_create(today=day))


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
