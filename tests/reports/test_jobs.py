"""Background jobs: starting (permissions, periods, a broker that is down), running once, progress, exports."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from health.models import HealthCheck
from partysite.celery import app as celery_app
from reports import jobs
from reports.models import Job, Report
from reports.services import reports_compute
from tests.reports.conftest import AFTER, Y

Kind, Status = Job.Kind, Job.Status


def start(kind, branch, period, user, capture) -> Job:
    with capture(execute=True):
        job = jobs.job_start(kind=kind, branch=branch, period=period, by=user)
    job.refresh_from_db()
    return job


def rows_of(job: Job) -> list[tuple]:
    with job.result_file.open("rb") as handle:
        sheet = load_workbook(handle, read_only=True).active
        return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_recompute_job_runs_after_commit_and_records_its_progress(
    tree, year_data, orgdept, django_capture_on_commit_callbacks
):
    job = start(Kind.REPORTS, tree.town, str(Y), orgdept, django_capture_on_commit_callbacks)
    assert job.status == Status.DONE and job.progress_done == job.progress_total == 8  # a year reads 学时 too
    assert job.result == {"created": 5, "updated": 0} and job.percent == 100
    assert job.step == "写入报表" and job.started_at <= job.finished_at
    assert Report.objects.filter(period=str(Y)).count() == 5


def test_job_is_queued_only_when_the_transaction_commits(tree, orgdept, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = jobs.job_start(kind=Kind.REPORTS, branch=tree.town, period=str(Y), by=orgdept)
    job.refresh_from_db()
    assert (len(callbacks), job.status) == (1, Status.QUEUED)


def test_health_job_computes_child_subtrees_one_by_one(tree, year_data, orgdept, django_capture_on_commit_callbacks):
    HealthCheck.objects.all().delete()
    job = start(Kind.HEALTH, tree.town, f"{Y}Q3", orgdept, django_capture_on_commit_callbacks)
    assert (job.status, job.progress_done, job.progress_total) == (Status.DONE, 2, 2)  # village_a, village_b
    assert job.result["created"] == HealthCheck.objects.filter(period=f"{Y}Q3").count() == 4  # a1 a2 a3 b1
    assert not HealthCheck.objects.filter(member=year_data.c1).exists()


def test_export_of_reports_writes_every_report_of_the_subtree(
    tree, year_data, viewer, django_capture_on_commit_callbacks
):
    reports_compute(period=str(Y), today=AFTER)
    job = start(Kind.EXPORT_REPORTS, tree.town, str(Y), viewer, django_capture_on_commit_callbacks)
    assert job.status == Status.DONE, job.error
    header, *rows = rows_of(job)
    assert header[:3] == ("组织编码", "组织名称", "组织类型")
    assert [r[0] for r in rows] == ["TOWN", "VA", "BA", "VB", "BB"]  # tree order, nothing of the other town
    town = Report.objects.get(branch=tree.town, period=str(Y))
    by_label = dict(zip(header, rows[0], strict=True))
    assert (by_label["在册党员"], by_label["应到人次"], by_label["体检人数"]) == (
        town.members,
        town.attendance_expected,
        town.health_checks,
    )
    assert job.result == {"rows": 5} and job.progress_done == 5
    assert jobs.download_name(job) == f"城关镇党委报表_{Y}.xlsx"


@pytest.mark.parametrize("persona, masked", [("orgdept", False), ("reviewer", True)])
def test_export_of_health_checks_masks_id_numbers_without_view_sensitive(
    request, tree, year_data, persona, masked, django_capture_on_commit_callbacks
):
    user = request.getfixturevalue(persona)
    job = start(Kind.EXPORT_HEALTH, tree.town, str(Y), user, django_capture_on_commit_callbacks)
    header, *rows = rows_of(job)
    column = header.index("公民身份号码")
    shown = {r[2]: r[column] for r in rows}
    a1 = year_data.a1
    assert set(shown) == {"甲一", "甲二", "甲三", "乙一", "乙二"}
    assert shown["甲一"] == (a1.id_number_masked if masked else a1.id_number)
    assert ("*" in shown["甲一"]) is masked


def test_starting_a_job_is_refused_without_the_permission(tree, viewer, secretary_a):
    with pytest.raises(jobs.JobError) as caught:
        jobs.job_start(kind=Kind.REPORTS, branch=tree.town, period=str(Y), by=viewer)  # view only: no recompute
    assert caught.value.code == "forbidden"
    with pytest.raises(jobs.JobError) as caught:
        jobs.job_start(kind=Kind.HEALTH, branch=tree.branch_a, period=str(Y), by=secretary_a)
    assert caught.value.code == "forbidden"
    with pytest.raises(jobs.JobError) as caught:
        jobs.job_start(kind=Kind.EXPORT_REPORTS, branch=tree.branch_b, period=str(Y), by=secretary_a)
    assert caught.value.code == "forbidden"  # outside her subtree
    assert not Job.objects.exists()


@pytest.mark.parametrize("kind, period", [(Kind.HEALTH, f"{Y}-07"), (Kind.REPORTS, "七月"), ("bogus", str(Y))])
def test_starting_a_job_checks_the_kind_and_period(tree, orgdept, kind, period):
    with pytest.raises(jobs.JobError) as caught:
        jobs.job_start(kind=kind, branch=tree.town, period=period, by=orgdept)
    assert caught.value.code in ("invalid_period", "invalid_kind")
    assert not Job.objects.exists()


def test_a_job_delivered_twice_runs_once(tree, orgdept, django_capture_on_commit_callbacks):
    job = start(Kind.REPORTS, tree.town, str(Y), orgdept, django_capture_on_commit_callbacks)
    finished = job.finished_at
    assert jobs.job_run(job_id=job.pk) == Status.DONE
    job.refresh_from_db()
    assert job.finished_at == finished


def test_a_failing_job_ends_failed_with_a_message(tree, orgdept, monkeypatch, django_capture_on_commit_callbacks):
    def broken(job):
        raise jobs.JobError("数据有误", code="broken")

    monkeypatch.setitem(jobs.RUNNERS, Kind.REPORTS, broken)
    job = start(Kind.REPORTS, tree.town, str(Y), orgdept, django_capture_on_commit_callbacks)
    assert (job.status, job.error) == (Status.FAILED, "数据有误")


@pytest.fixture
def broker_down():
    """Celery sends to a Redis port nobody listens on (as when Redis is down)."""
    conf = celery_app.conf
    saved = {key: conf[key] for key in ("task_always_eager", "broker_url")}
    conf.update(task_always_eager=False, broker_url="redis://127.0.0.1:1/0")
    celery_app._pool = None  # the producer pool is built from the broker URL on first use
    yield
    conf.update(saved)
    celery_app._pool = None


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_starting_a_job_says_so_and_leaves_nothing(tree, orgdept, broker_down):
    with pytest.raises(jobs.JobError) as caught:
        jobs.job_start(kind=Kind.REPORTS, branch=tree.town, period=str(Y), by=orgdept)
    assert caught.value.code == "queue_unavailable"
    assert "无法连接" in caught.value.message
    assert not Job.objects.exists()


# ---------------------------------------------------------------------------- stale jobs, retry


def _job_at(tree, user, status, *, created_minutes_ago, started_minutes_ago=None, progress_minutes_ago=None):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    job = Job.objects.create(kind=Kind.REPORTS, branch=tree.town, params={"period": str(Y)}, created_by=user)
    fields = {"status": status, "created_at": now - timedelta(minutes=created_minutes_ago)}
    if started_minutes_ago is not None:
        fields["started_at"] = now - timedelta(minutes=started_minutes_ago)
    if progress_minutes_ago is not None:
        fields["result"] = {jobs.PROGRESS_AT: (now - timedelta(minutes=progress_minutes_ago)).isoformat()}
    Job.objects.filter(pk=job.pk).update(**fields)
    return job


def test_the_sweep_fails_stale_queued_and_running_jobs_and_leaves_the_others(tree, orgdept, settings):
    settings.JOB_QUEUED_TIMEOUT_MINUTES, settings.JOB_RUNNING_TIMEOUT_MINUTES = 60, 45
    lost = _job_at(tree, orgdept, Status.QUEUED, created_minutes_ago=61)
    waiting = _job_at(tree, orgdept, Status.QUEUED, created_minutes_ago=30)
    dead = _job_at(
        tree, orgdept, Status.RUNNING, created_minutes_ago=120, started_minutes_ago=100, progress_minutes_ago=50
    )
    silent = _job_at(tree, orgdept, Status.RUNNING, created_minutes_ago=120, started_minutes_ago=46)
    busy = _job_at(
        tree, orgdept, Status.RUNNING, created_minutes_ago=120, started_minutes_ago=100, progress_minutes_ago=2
    )
    fresh = _job_at(tree, orgdept, Status.RUNNING, created_minutes_ago=120, started_minutes_ago=10)
    done = _job_at(tree, orgdept, Status.DONE, created_minutes_ago=600, started_minutes_ago=600)

    assert jobs.jobs_fail_stale() == {"queued": 1, "running": 2}

    statuses = dict(Job.objects.values_list("pk", "status"))
    assert [statuses[j.pk] for j in (lost, dead, silent)] == [Status.FAILED] * 3
    assert [statuses[j.pk] for j in (waiting, busy, fresh, done)] == [
        Status.QUEUED, Status.RUNNING, Status.RUNNING, Status.DONE
    ]  # fmt: skip
    lost.refresh_from_db()
    assert lost.error == "任务超时未完成，请重试" and lost.finished_at is not None
    assert jobs.jobs_fail_stale() == {"queued": 0, "running": 0}  # run twice: nothing more


def test_a_late_message_of_a_swept_job_does_not_run_it(tree, orgdept):
    lost = _job_at(tree, orgdept, Status.QUEUED, created_minutes_ago=24 * 60)
    jobs.jobs_fail_stale()
    assert jobs.job_run(job_id=lost.pk) == Status.FAILED
    assert not Report.objects.exists()


def test_progress_is_stamped_for_the_sweep(tree, orgdept, django_capture_on_commit_callbacks):
    job = Job.objects.create(kind=Kind.REPORTS, branch=tree.town, params={"period": str(Y)}, created_by=orgdept)
    jobs._progress(job, "读取", 1, 3)
    job.refresh_from_db()
    assert jobs.PROGRESS_AT in job.result


def test_the_sweep_is_a_beat_task(settings):
    from reports import tasks

    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "reports.fail_stale_jobs")
    assert entry["schedule"].minute == set(range(0, 60, 5))
    assert tasks.fail_stale_jobs.name == "reports.fail_stale_jobs"
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] < 3600  # not Celery's hour


def _retry(client, job):
    from django.urls import reverse

    return client.post(reverse("reports:job_retry", kwargs={"pk": job.pk}))


def test_retry_of_a_failed_job_queues_it_again_and_shows_the_new_job(
    tree, year_data, orgdept, login_as, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    lost = _job_at(tree, orgdept, Status.QUEUED, created_minutes_ago=24 * 60)
    jobs.jobs_fail_stale()
    client = login_as("orgdept")
    page = client.get(reverse("reports:job", kwargs={"pk": lost.pk})).content.decode()
    assert "任务超时未完成，请重试" in page and reverse("reports:job_retry", kwargs={"pk": lost.pk}) in page
    with django_capture_on_commit_callbacks(execute=True):
        response = _retry(client, lost)
    retried = Job.objects.exclude(pk=lost.pk).get()
    assert response.status_code == 302 and response.url == reverse("reports:job", kwargs={"pk": retried.pk})
    assert (retried.kind, retried.branch, retried.params, retried.created_by) == (
        lost.kind, lost.branch, lost.params, orgdept
    )  # fmt: skip
    assert retried.status == Status.DONE  # run inline here; queued after the commit as any job
    assert Job.objects.get(pk=lost.pk).status == Status.FAILED  # the failed one stays as history


def test_retry_is_only_for_failed_jobs(tree, orgdept, login_as):
    job = _job_at(tree, orgdept, Status.RUNNING, created_minutes_ago=1, started_minutes_ago=1)
    client = login_as("orgdept")
    response = _retry(client, job)
    assert response.status_code == 302 and Job.objects.count() == 1
    assert "只能重试失败的任务" in client.get(response.url).content.decode()


@pytest.mark.parametrize("persona, status", [("anonymous", 302), ("other_orgdept", 404), ("reviewer", 404)])
def test_retry_is_refused_to_others(tree, orgdept, login_as, persona, status):
    failed = _job_at(tree, orgdept, Status.FAILED, created_minutes_ago=100)
    response = _retry(login_as(persona), failed)
    assert response.status_code == status and Job.objects.count() == 1
    if persona == "anonymous":
        assert "/accounts/login/" in response.url


def test_retry_is_refused_to_the_starter_who_may_no_longer_start_it(tree, secretary_a, login_as):
    """A recomputation needs review_health: a secretary's old failed recomputation is refused (403)."""
    from django.urls import reverse

    failed = _job_at(tree, secretary_a, Status.FAILED, created_minutes_ago=100)
    Job.objects.filter(pk=failed.pk).update(branch=tree.branch_a)
    client = login_as("secretary_a")
    page = client.get(reverse("reports:job", kwargs={"pk": failed.pk})).content.decode()
    assert reverse("reports:job_retry", kwargs={"pk": failed.pk}) not in page  # no button that would answer 403
    assert _retry(client, failed).status_code == 403
    assert Job.objects.count() == 1
