"""A Celery worker killed (SIGKILL) in the middle of a job, then restarted, finishes it once.

A real worker (``celery worker --pool=solo`` in a subprocess, Redis db of ``REDIS_URL``, the
pytest test database on PostgreSQL) takes a background job: the health checks of a town, one
village's subtree after the other, or the town's reports. The worker is made to stall
mid-way (``tests/faults/worker.py``: after the first village is committed, or after three of
the report's seven steps) and is killed there. With ``acks_late`` and
``reject_on_worker_lost`` the message is not acknowledged; a restarted worker gets it again
(the Redis transport's visibility timeout, made short here), runs the job to the end, and the
stored results equal those of an undisturbed run of the same job, with one "computed" event
per health check: nothing counted twice, nothing missing. The recomputation button's own task
(``health.compute_health_checks``, one transaction) is killed inside its transaction the same
way: nothing of it is stored, and the redelivered task computes it once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings

from health.models import HealthCheck, HealthCheckEvent
from health.services import health_checks_compute
from reports import jobs
from reports.models import Job, Report
from reports.services import REPORT_FIELDS
from tests.reports.conftest import Y, year_data  # noqa: F401 - the fixture: a year of records

from . import live

REDIS_URL = os.environ.get("REDIS_URL", "")
ON_POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]
pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not REDIS_URL, reason="需要 REDIS_URL（真实的 Redis）"),
    pytest.mark.skipif(not ON_POSTGRES, reason="the worker must open the test database: run on PostgreSQL"),
]
TIMEOUT = 90
HEALTH_PERIOD = f"{Y}Q3"  # not computed by year_data (it computes the year)


def _start_worker(queue: str, log: Path, **knobs: str) -> subprocess.Popen:
    env = live.child_env(REDIS_URL=REDIS_URL, CONN_MAX_AGE="0", **knobs)
    command = [sys.executable, "-m", "celery", "-A", "tests.faults.worker", "worker", "--pool=solo", "-Q", queue,
               "-n", f"{queue}-{uuid.uuid4().hex[:6]}@%h", "--without-gossip", "--without-mingle",
               "--without-heartbeat", "-l", "INFO"]  # fmt: skip
    return subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _wait_for(condition, worker: subprocess.Popen, log: Path, what: str):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if worker.poll() is not None:
            pytest.fail(f"the worker exited ({worker.returncode}) before {what}:\n{_tail(log)}")
        time.sleep(0.2)
    pytest.fail(f"no {what} after {TIMEOUT} s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:]


def _job(job_id: int) -> Job:
    return Job.objects.get(pk=job_id)


def _health_results() -> dict:
    rows = HealthCheck.objects.filter(period=HEALTH_PERIOD).order_by("member_id")
    fields = ["branch_id", "rubric_id", "items", "bonus", "deduction", "vetoed", "subtotal", "total", "grade", "status"]
    return {row["member_id"]: row for row in rows.values("member_id", *fields)}


def _health_events() -> dict:
    events = HealthCheckEvent.objects.filter(
        health_check__period=HEALTH_PERIOD, kind=HealthCheckEvent.Kind.COMPUTED
    ).values_list("health_check__member_id", flat=True)
    counts: dict[int, int] = {}
    for member_id in events:
        counts[member_id] = counts.get(member_id, 0) + 1
    return counts


def _report_results() -> dict:
    fields = [f for f in REPORT_FIELDS if f != "computed_at"]
    rows = Report.objects.filter(period=str(Y)).order_by("branch_id").values("branch_id", *fields)
    return {row["branch_id"]: row for row in rows}


KINDS = {
    # kind: (period, step to stall at, the stored results, what is committed when it stalls)
    Job.Kind.HEALTH: (HEALTH_PERIOD, 1, _health_results),
    Job.Kind.REPORTS: (str(Y), 3, _report_results),
}


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_job_and_restarted_finishes_it_once(kind, tree, year_data, orgdept, tmp_path, capsys):  # noqa: F811
    period, stall_at, results = KINDS[kind]
    job = Job.objects.create(kind=kind, branch=tree.town, params={"period": period}, created_by=orgdept)
    queue = f"test-faults-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "worker.log"
    client = Celery("faults-test-client", broker=REDIS_URL)
    first = second = None
    try:
        first = _start_worker(queue, log, FAULTS_STALL_AT_STEP=str(stall_at), FAULTS_STALL_SECONDS="300")
        client.send_task("reports.run_job", args=[job.pk], queue=queue)
        _wait_for(lambda: _job(job.pk).progress_done >= stall_at, first, log, "progress")
        mid_way = results()
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=20)
        assert _job(job.pk).status == Job.Status.RUNNING  # killed in the middle: not done, not failed

        second = _start_worker(queue, log, FAULTS_VISIBILITY_TIMEOUT="2")
        _wait_for(lambda: _job(job.pk).status in (Job.Status.DONE, Job.Status.FAILED), second, log, "end of the job")
    finally:
        for worker in (first, second):
            if worker is not None:
                live.stop(worker)
        client.close()

    finished = _job(job.pk)
    assert (finished.status, finished.error) == (Job.Status.DONE, ""), _tail(log)
    disturbed = results()
    events = _health_events() if kind == Job.Kind.HEALTH else {}

    # The same job, undisturbed, from nothing.
    HealthCheckEvent.objects.filter(health_check__period=HEALTH_PERIOD).delete()
    HealthCheck.objects.filter(period=HEALTH_PERIOD).delete()
    Report.objects.filter(period=str(Y)).delete()
    again = Job.objects.create(kind=kind, branch=tree.town, params={"period": period}, created_by=orgdept)
    assert jobs.job_run(job_id=again.pk) == Job.Status.DONE
    undisturbed = results()

    assert disturbed == undisturbed and undisturbed
    assert len(mid_way) < len(undisturbed)  # it was killed with work still to do
    if kind == Job.Kind.HEALTH:
        assert 0 < len(mid_way)  # the first village was committed before the kill
        assert events == {member_id: 1 for member_id in undisturbed}  # each check computed once
        assert events == _health_events()
    with capsys.disabled():
        print(f"\nworker killed mid-{kind}: {len(mid_way)} of {len(undisturbed)} rows stored at the kill; "
              f"after the restart the job ended {finished.status} with {finished.result}")  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_inside_a_health_computation_and_restarted_computes_it_once(
    tree,
    year_data,  # noqa: F811
    orgdept,
    tmp_path,
    capsys,
):
    """The recomputation button's task (no job): killed inside its one transaction, then redelivered."""
    queue = f"test-faults-{uuid.uuid4().hex[:12]}"
    log, mark = tmp_path / "worker.log", tmp_path / "stalled"
    client = Celery("faults-test-client", broker=REDIS_URL)
    first = second = None
    try:
        first = _start_worker(queue, log, FAULTS_STALL_COMPUTE_MARK=str(mark), FAULTS_STALL_SECONDS="300")
        client.send_task("health.compute_health_checks", args=[HEALTH_PERIOD, tree.town.pk, orgdept.pk], queue=queue)
        _wait_for(mark.exists, first, log, "the computation")
        assert not _health_results()  # computed, not yet written: its transaction is open
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=20)
        assert not _health_results()  # the transaction died with the worker

        second = _start_worker(queue, log, FAULTS_VISIBILITY_TIMEOUT="2")
        _wait_for(_health_results, second, log, "the stored checks")
        time.sleep(1)  # a duplicate delivery, if any, would have written by now
    finally:
        for worker in (first, second):
            if worker is not None:
                live.stop(worker)
        client.close()
    disturbed, events = _health_results(), _health_events()

    HealthCheckEvent.objects.filter(health_check__period=HEALTH_PERIOD).delete()
    HealthCheck.objects.filter(period=HEALTH_PERIOD).delete()
    health_checks_compute(period=HEALTH_PERIOD, branch=tree.town, by=orgdept)
    undisturbed = _health_results()

    assert disturbed == undisturbed and undisturbed
    assert events == {member_id: 1 for member_id in undisturbed} == _health_events()
    with capsys.disabled():
        print(
            f"\nworker killed inside a health computation: 0 rows stored at the kill, {len(disturbed)} after the restart"
        )
