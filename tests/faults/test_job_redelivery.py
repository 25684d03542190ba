"""A background job whose worker died is resumed when its message comes again, and only then.

The real-worker test (``test_worker_killed.py``) needs Redis and PostgreSQL; this one pins the
rule itself on any database: ``job_run`` leaves a "running" job alone on an ordinary delivery
(another worker is on it), and runs it to the end on a redelivery (its worker died).
"""

from __future__ import annotations

import pytest

from reports import jobs
from reports.models import Job, Report
from tests.reports.conftest import Y, year_data  # noqa: F401 - the fixture: a year of records

pytestmark = pytest.mark.django_db


@pytest.fixture
def running_job(tree, orgdept):
    return Job.objects.create(
        kind=Job.Kind.REPORTS,
        branch=tree.town,
        params={"period": str(Y)},
        created_by=orgdept,
        status=Job.Status.RUNNING,
    )


def test_a_running_job_delivered_again_normally_is_left_to_its_worker(running_job, year_data):  # noqa: F811
    assert jobs.job_run(job_id=running_job.pk) == Job.Status.RUNNING
    assert not Report.objects.exists()


def test_a_running_job_redelivered_after_its_worker_died_is_finished(running_job, year_data):  # noqa: F811
    assert jobs.job_run(job_id=running_job.pk, redelivered=True) == Job.Status.DONE
    running_job.refresh_from_db()
    assert running_job.status == Job.Status.DONE and running_job.result == {"created": 5, "updated": 0}
    assert Report.objects.filter(period=str(Y)).count() == 5


@pytest.mark.parametrize("status", [Job.Status.DONE, Job.Status.FAILED])
def test_a_finished_job_redelivered_is_not_run_again(tree, orgdept, status):
    job = Job.objects.create(
        kind=Job.Kind.REPORTS, branch=tree.town, params={"period": str(Y)}, created_by=orgdept, status=status
    )
    assert jobs.job_run(job_id=job.pk, redelivered=True) == status
    assert not Report.objects.exists()
