"""Background jobs: long work (a whole city's recomputation, a large export) with its progress.

``job_start`` records the job and queues ``reports.run_job`` after the commit. If the broker
cannot be reached the job row is deleted again and a ``JobError`` (code ``queue_unavailable``)
says so: nothing is left half-started. ``job_run`` claims the job with a conditional update
(queued → running), so a task delivered twice runs it once; it records progress as it goes
(each update commits at once, so the progress page sees it) and ends done or failed.
"""

from __future__ import annotations

import datetime
import logging
import tempfile
from functools import partial
from pathlib import Path

import kombu.exceptions
import redis.exceptions
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from branches import access
from branches.models import Branch
from core.errors import DomainError
from health.services import HealthError, health_checks_compute
from health.services import period_parse as health_period_parse
from members.models import Member
from members.roster_io.exporting import export_members

from . import exports, services
from .models import Job

logger = logging.getLogger(__name__)
Kind, Status = Job.Kind, Job.Status
QUEUE_ERRORS = (kombu.exceptions.OperationalError, redis.exceptions.ConnectionError, ConnectionError, TimeoutError)
QUEUE_UNAVAILABLE = "后台任务队列暂时无法连接，任务未能开始，请稍后再试或联系系统管理员。"


class JobError(DomainError):
    pass


# The dashboard and the exports: ``review_health`` or ``view_branch`` on the subtree (``access``
# implies ``view_branch`` from every grant, so whoever may read the branch may).
READ_REPORTS = (access.REVIEW, access.VIEW)


def may_read_reports(user, branch: Branch) -> bool:
    return access.has_any(user, READ_REPORTS, branch)


def perms_to_start(kind: str) -> tuple[str, ...]:
    """Recomputations need ``review_health``; exports what reading the reports needs."""
    return (access.REVIEW,) if kind in (Kind.REPORTS, Kind.HEALTH) else READ_REPORTS


def may_start(user, kind: str, branch: Branch) -> bool:
    return access.has_any(user, perms_to_start(kind), branch)


def _check_period(kind: str, period: str) -> str:
    if kind == Kind.EXPORT_MEMBERS:
        return ""  # today's roster: no period
    if kind in (Kind.HEALTH, Kind.EXPORT_HEALTH):
        try:
            return health_period_parse(period).label
        except HealthError as exc:
            raise JobError(exc.message, code="invalid_period", field="period") from None
    try:
        return services.period_parse(period).label
    except services.ReportError as exc:
        raise JobError(exc.message, code="invalid_period", field="period") from None


def job_start(*, kind: str, branch: Branch, period: str, by) -> Job:
    """Record a job and queue it after the commit; ``JobError`` if refused or the queue is down."""
    if kind not in Kind.values:
        raise JobError("未知的任务类型", code="invalid_kind", field="kind")
    if not may_start(by, kind, branch):
        raise JobError("您没有此操作的权限", code="forbidden")
    period = _check_period(kind, period)
    with transaction.atomic():
        job = Job.objects.create(kind=kind, branch=branch, params={"period": period}, created_by=by)
        transaction.on_commit(partial(_enqueue, job.pk), robust=False)
    return job


def _check_broker() -> None:
    """Fail fast (one try, no back-off) when the broker is down; publishing alone retries for seconds."""
    from partysite.celery import app

    if app.conf.task_always_eager:
        return
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)


def _enqueue(job_id: int) -> None:
    from .tasks import run_job

    try:
        _check_broker()
        run_job.apply_async((job_id,), retry=False)
    except QUEUE_ERRORS as exc:
        logger.warning("job %s could not be queued: %s", job_id, exc)
        Job.objects.filter(pk=job_id, status=Status.QUEUED).delete()
        raise JobError(QUEUE_UNAVAILABLE, code="queue_unavailable") from exc


def jobs_of(user, branch: Branch | None = None, limit: int = 5):
    jobs = Job.objects.filter(created_by=user)
    if branch is not None:
        jobs = jobs.filter(branch=branch)
    return jobs.select_related("branch").order_by("-created_at", "-pk")[:limit]


# ---------------------------------------------------------------------------- running


def _progress(job: Job, step: str, done: int, total: int) -> None:
    # ``result`` holds the time of the last progress until the job ends (``jobs_fail_stale`` reads it).
    Job.objects.filter(pk=job.pk).update(
        step=step[:100], progress_done=done, progress_total=total, result={PROGRESS_AT: timezone.now().isoformat()}
    )


def job_run(*, job_id: int, redelivered: bool = False) -> str:
    """Run a queued job once; returns its final status (or the status it already had).

    ``redelivered``: the broker hands the task over again because the worker running it died
    (``acks_late``, ``reject_on_worker_lost``). The job is still "running" then, and is run
    again from the start: every step is idempotent (upserts on unique keys), so the finished
    job equals one that ran undisturbed.
    """
    claimable = [Status.QUEUED, Status.RUNNING] if redelivered else [Status.QUEUED]
    claimed = Job.objects.filter(pk=job_id, status__in=claimable).update(
        status=Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return Job.objects.filter(pk=job_id).values_list("status", flat=True).first() or ""
    job = Job.objects.select_related("branch", "created_by").get(pk=job_id)
    try:
        result = RUNNERS[job.kind](job)
    except Exception as exc:  # the job ends failed with a message; the worker goes on
        logger.exception("job %s failed", job_id)
        message = exc.message if isinstance(exc, DomainError) else f"内部错误：{type(exc).__name__}"
        Job.objects.filter(pk=job_id).update(status=Status.FAILED, error=message, finished_at=timezone.now())
        return Status.FAILED
    Job.objects.filter(pk=job_id).update(status=Status.DONE, result=result, finished_at=timezone.now())
    return Status.DONE


def _run_reports(job: Job) -> dict:
    result = services.reports_compute(period=job.params["period"], branch=job.branch, progress=partial(_progress, job))
    return {"created": result.created, "updated": result.updated}


def _health_chunks(branch: Branch) -> list[Branch]:
    """The children's subtrees one by one, or the whole subtree when it has members of its own."""
    if Member.objects.filter(branch=branch).exists():
        return [branch]
    return list(Branch.objects.filter(path__startswith=branch.path, depth=branch.depth + 1).order_by("path"))


def _run_health(job: Job) -> dict:
    chunks = _health_chunks(job.branch)
    totals = {"created": 0, "updated": 0, "unchanged": 0, "locked": 0}
    _progress(job, "准备", 0, len(chunks))
    for done, chunk in enumerate(chunks, start=1):
        result = health_checks_compute(period=job.params["period"], branch=chunk, by=job.created_by)
        for key in totals:
            totals[key] += getattr(result, key)
        _progress(job, chunk.name, done, len(chunks))
    return totals


def _run_export(job: Job, write, filename: str, **kwargs) -> dict:
    """``write(path=..., branch=..., progress=..., **kwargs)`` a workbook, then keep it in the private storage."""
    with tempfile.TemporaryDirectory(prefix="partysite-job-") as workdir:
        path = Path(workdir) / filename
        rows = write(branch=job.branch, path=path, progress=partial(_progress_rows, job), **kwargs)
        earlier = job.result_file.name  # a redelivered job's first output, if it got that far
        with path.open("rb") as handle:
            job.result_file.save(filename, File(handle), save=False)
    Job.objects.filter(pk=job.pk).update(result_file=job.result_file.name)
    if earlier:
        job.result_file.storage.delete(earlier)
    return {"rows": rows}


def _progress_rows(job: Job, done: int, total: int) -> None:
    _progress(job, "写入表格", done, total)


def _run_export_reports(job: Job) -> dict:
    name = f"reports-{job.branch.code}-{job.params['period']}.xlsx"
    return _run_export(job, exports.reports_workbook, name, period=job.params["period"])


def _run_export_health(job: Job) -> dict:
    name = f"health-{job.branch.code}-{job.params['period']}.xlsx"
    return _run_export(job, exports.health_workbook, name, period=job.params["period"], user=job.created_by)


def _run_export_members(job: Job) -> dict:
    """The roster of the job's branch as its starter may read it (masked without ``view_sensitive``),
    audited as theirs (``members.roster_io.exporting``: the same file as the page's direct export)."""

    def write(*, branch: Branch, path: Path, progress) -> int:
        return export_members(path, user=job.created_by, branch=branch, progress=progress)

    return _run_export(job, write, f"members-{job.branch.code}.xlsx")


RUNNERS = {
    Kind.REPORTS: _run_reports,
    Kind.HEALTH: _run_health,
    Kind.EXPORT_REPORTS: _run_export_reports,
    Kind.EXPORT_HEALTH: _run_export_health,
    Kind.EXPORT_MEMBERS: _run_export_members,
}


def download_name(job: Job) -> str:
    """The file name offered to the browser (Chinese)."""
    if job.kind == Kind.EXPORT_MEMBERS:
        return f"党员花名册-{job.branch.code}-{timezone.localtime(job.created_at):%Y%m%d}.xlsx"
    what = {Kind.EXPORT_REPORTS: "报表", Kind.EXPORT_HEALTH: "政治体检"}.get(job.kind, "结果")
    return f"{job.branch.name}{what}_{job.params.get('period', '')}.xlsx"


def visible_jobs(user):
    """Jobs ``user`` started, in subtrees they may still read."""
    return Job.objects.filter(Q(created_by=user) & access.branch_scope_q(user, "branch__path"))


# ---------------------------------------------------------------------------- stale jobs

PROGRESS_AT = "progress_at"
STALE_REASON = "任务超时未完成，请重试"


def _last_sign_of_life(job: Job):
    """When a running job last showed progress (or started): ``_progress`` stamps ``result``."""
    stamp = (job.result or {}).get(PROGRESS_AT)
    progressed = datetime.datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
    return max(filter(None, [job.started_at, progressed, job.created_at]))


def jobs_fail_stale(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Mark failed, with ``STALE_REASON``, the jobs that will never finish by themselves.

    Queued longer than ``JOB_QUEUED_TIMEOUT_MINUTES`` (the message was lost: Redis lost its data)
    or running without progress for ``JOB_RUNNING_TIMEOUT_MINUTES`` (the worker died and the
    message is gone). Conditional updates: a job that starts or progresses meanwhile is left
    alone, and a late message finds the job failed and does not run it (``job_run`` claims only
    queued jobs). The user may retry (``job_retry``).
    """
    now = now or timezone.now()
    queued_before = now - datetime.timedelta(minutes=settings.JOB_QUEUED_TIMEOUT_MINUTES)
    running_before = now - datetime.timedelta(minutes=settings.JOB_RUNNING_TIMEOUT_MINUTES)
    failed = {"error": STALE_REASON, "finished_at": now, "status": Status.FAILED}
    queued = Job.objects.filter(status=Status.QUEUED, created_at__lt=queued_before).update(**failed)
    running = 0
    for job in Job.objects.filter(status=Status.RUNNING, started_at__lt=running_before):
        if _last_sign_of_life(job) < running_before:
            unchanged = {"status": Status.RUNNING, "started_at": job.started_at, "progress_done": job.progress_done}
            running += Job.objects.filter(pk=job.pk, result=job.result, **unchanged).update(**failed)
    if queued or running:
        logger.warning("marked failed: %s queued and %s running jobs that were stale", queued, running)
    return {"queued": queued, "running": running}


def job_retry(*, job: Job, by) -> Job:
    """Start a failed job again, as a new job with the same kind, branch and period (``job_start``'s rules).

    The failed job stays as it is (its history); a late message of it still finds it failed.
    """
    if job.status != Status.FAILED:
        raise JobError("只能重试失败的任务", code="not_failed")
    return job_start(kind=job.kind, branch=job.branch, period=job.params.get("period", ""), by=by)
