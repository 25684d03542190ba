"""The reports pages: the permission matrix, drill-down, charts, constant queries, jobs and downloads."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import formats, timezone

from partysite.celery import app as celery_app
from reports import schedule
from reports.models import Job, Reminder, Report
from reports.services import reports_compute
from tests.factories import make_branch
from tests.reports.conftest import AFTER, Y

Kind, Status = Job.Kind, Job.Status


def dashboard_url(code: str, period: str = str(Y)) -> str:
    return reverse("reports:dashboard", kwargs={"code": code}) + f"?period={period}"


@pytest.fixture
def computed(tree, year_data):
    reports_compute(period=str(Y), today=AFTER)
    return tree


@pytest.mark.parametrize(
    "persona, code, status",
    [
        ("anonymous", "TOWN", 302),
        ("member_a", "TOWN", 404),
        ("secretary_a", "TOWN", 404),
        ("secretary_a", "BA", 200),  # every grant implies reading the subtree (access.has_perm)
        ("secretary_b", "BA", 404),
        ("other_orgdept", "TOWN", 404),
        ("other_orgdept", "OTHER", 200),
        ("orgdept", "TOWN", 200),
        ("reviewer", "BA", 200),
        ("viewer", "TOWN", 200),
    ],
)
def test_dashboard_permission_matrix(computed, login_as, persona, code, status):
    response = login_as(persona).get(dashboard_url(code))
    assert response.status_code == status
    if status == 302:
        assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("persona, status", [("anonymous", 302), ("member_a", 403), ("outsider", 403)])
def test_dashboard_home_refuses_those_without_reports(tree, login_as, persona, status):
    assert login_as(persona).get(reverse("reports:home")).status_code == status


@pytest.mark.parametrize("persona, code", [("orgdept", "TOWN"), ("viewer", "TOWN"), ("secretary_a", "BA")])
def test_dashboard_home_opens_the_highest_branch_the_user_may_read(tree, login_as, persona, code):
    response = login_as(persona).get(reverse("reports:home"))
    assert response.status_code == 302 and response.url == reverse("reports:dashboard", kwargs={"code": code})


def test_dashboard_shows_key_figures_charts_and_drills_down_to_children(computed, login_as):
    client = login_as("orgdept")
    town = Report.objects.get(branch=computed.town, period=str(Y))
    page = client.get(dashboard_url("TOWN")).content.decode()
    assert f'<span class="num">{town.members}</span>' in page
    assert f"{town.attendance_rate}%" in page
    assert page.count("<svg") == 5  # categories, meetings, grades, children's attendance and dues
    for child in ("VA", "VB"):
        assert f'href="{dashboard_url(child)}"' in page.replace("&amp;", "&")
    assert f'href="{dashboard_url("BA")}"' not in page.replace("&amp;", "&")  # grandchildren are one click further
    village = client.get(dashboard_url("VA")).content.decode()
    assert f'href="{dashboard_url("BA")}"' in village
    assert "城关镇党委</a>" in village  # the trail back up
    assert "http://" not in page and "https://" not in page  # nothing from elsewhere


def test_dashboard_without_a_report_offers_to_compute_it(computed, login_as):
    page = login_as("orgdept").get(dashboard_url("TOWN", f"{Y}Q2")).content.decode()
    assert f"{Y}年第2季度的报表尚未计算" in page and "重新计算本期报表" in page
    viewer_page = login_as("viewer").get(dashboard_url("TOWN", f"{Y}Q2")).content.decode()
    assert "重新计算本期报表" not in viewer_page


def test_dashboard_defaults_to_the_last_complete_month(computed, login_as):
    reports_compute(period=f"{Y}-11", branch=computed.town, today=AFTER)  # the latest computed: not the default
    response = login_as("orgdept").get(reverse("reports:dashboard", kwargs={"code": "TOWN"}))
    last_month = schedule.last_complete_month(timezone.localdate())
    assert response.context["period"] == last_month.label and response.context["report"] is None
    assert f'<option value="{last_month.label}" selected>' in response.text


def test_dashboard_offers_months_quarters_and_years_as_choices(computed, login_as):
    response = login_as("orgdept").get(dashboard_url("TOWN"))
    groups = dict(response.context["period_choices"])
    assert set(groups) == {"月度", "季度", "年度"}
    months = [value for value, _ in groups["月度"]]
    assert len(months) == 12 and months[0] == schedule.last_complete_month(timezone.localdate()).label
    assert (str(Y), f"{Y}年度") in groups["年度"]  # computed: no mark
    assert all(label.endswith("（未计算）") for value, label in groups["月度"])
    assert '<optgroup label="季度">' in response.text and f'<option value="{Y}" selected>' in response.text
    old = login_as("orgdept").get(dashboard_url("TOWN", "2019-03"))  # an old link: offered while shown
    assert ("2019-03", "2019年3月（未计算）") in dict(old.context["period_choices"])["月度"]


def test_dashboard_says_when_the_beat_computes_a_missing_report(computed, login_as, settings):
    client = login_as("orgdept")
    last_month = schedule.last_complete_month(timezone.localdate())
    settings.REDIS_URL = ""  # also when the suite itself runs with Redis (CI's second pass)
    page = client.get(dashboard_url("TOWN", last_month.label)).text
    assert "本站未启用定时计算" in page  # no Redis, no beat
    settings.REDIS_URL = "redis://127.0.0.1:6379/8"
    page = client.get(dashboard_url("TOWN", last_month.label)).text
    at = schedule.next_computation(last_month)
    assert f"将于 {formats.date_format(timezone.localtime(at), 'DATETIME_FORMAT')} 自动计算，无需操作" in page
    assert "早于自动计算的范围" in client.get(dashboard_url("TOWN", "2019-03")).text


def test_dashboard_picker_opens_another_branch_or_says_it_is_not_found(computed, login_as):
    client = login_as("orgdept")
    town = reverse("reports:dashboard", kwargs={"code": "TOWN"})
    response = client.get(town, {"branch": "东村党总支", "period": str(Y)})
    assert response.status_code == 302 and response.url == dashboard_url("VA")
    response = client.get(town, {"branch": "OTHER", "period": str(Y)})
    assert response.status_code == 200 and response.context["branch"] == computed.town
    assert response.context["place"].errors["branch"] == ["找不到该党组织，或不在您的管理范围内"]
    assert client.get(town, {"branch": "TOWN"}).status_code == 200  # the same: no redirect
    assert 'name="branch" value="TOWN"' in client.get(dashboard_url("TOWN")).text


def test_dashboard_links_the_health_checks_its_report_counts(computed, login_as):
    reports_compute(period=f"{Y}-07", branch=computed.town, today=AFTER)
    health = reverse("health:review", args=["TOWN"])
    assert f'href="{health}?period={Y}"' in login_as("orgdept").get(dashboard_url("TOWN")).text
    month = login_as("orgdept").get(dashboard_url("TOWN", f"{Y}-07")).text
    # the year's checks (year_data computed them), not the quarter under way
    assert f'href="{health}?period={Y}"' in month and f"?period={Y}Q3" not in month
    assert health not in login_as("viewer").get(dashboard_url("TOWN")).text  # the review page would refuse them


def test_dashboard_runs_the_same_queries_whatever_the_number_of_children(computed, login_as, django_assert_num_queries):
    client = login_as("orgdept")
    client.get(dashboard_url("TOWN"))  # warm the session
    # session, user, branch, grants, periods, report, children, jobs, the branches the structure
    # warnings flag (a root has no trail to read), the stored 为民服务 figures of the branch and its children
    with django_assert_num_queries(10):
        assert client.get(dashboard_url("TOWN")).status_code == 200
    for i in range(6):
        make_branch(computed.town, "general_branch", code=f"EXTRA{i}")
    reports_compute(period=str(Y), branch=computed.town, today=AFTER)
    with django_assert_num_queries(10):
        page = client.get(dashboard_url("TOWN")).content.decode()
    assert "/reports/branch/EXTRA5/" in page  # the new children are listed, at no extra query


# ---------------------------------------------------------------------------- jobs


def post_job(client, code, kind, period=str(Y)):
    return client.post(reverse("reports:job_start", kwargs={"code": code}), {"kind": kind, "period": period})


@pytest.mark.parametrize(
    "persona, code, kind, status",
    [
        ("anonymous", "TOWN", Kind.REPORTS, 302),
        ("other_orgdept", "TOWN", Kind.REPORTS, 404),
        ("secretary_a", "BA", Kind.REPORTS, 403),  # recomputing needs review_health
        ("secretary_a", "BA", Kind.EXPORT_REPORTS, 302),
        ("viewer", "TOWN", Kind.REPORTS, 403),
        ("viewer", "TOWN", Kind.HEALTH, 403),
        ("reviewer", "TOWN", Kind.REPORTS, 302),
        ("viewer", "TOWN", Kind.EXPORT_REPORTS, 302),
    ],
)
def test_starting_a_job_permission_matrix(
    computed, login_as, persona, code, kind, status, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_job(login_as(persona), code, kind)
    assert response.status_code == status
    started = Job.objects.filter(kind=kind)
    if status == 302 and persona != "anonymous":
        job = started.get()
        assert response.url == reverse("reports:job", kwargs={"pk": job.pk}) and job.status == Status.DONE
    else:
        assert not started.exists()


def test_starting_a_job_needs_post(computed, login_as):
    assert login_as("orgdept").get(reverse("reports:job_start", kwargs={"code": "TOWN"})).status_code == 405


def test_an_invalid_period_is_reported_back(computed, login_as):
    client = login_as("orgdept")
    response = post_job(client, "TOWN", Kind.REPORTS, "明年")
    assert response.status_code == 302 and not Job.objects.exists()
    page = client.get(response.url).content.decode()
    assert "无法识别的期间" in page


@pytest.fixture
def broker_down():
    conf = celery_app.conf
    saved = {key: conf[key] for key in ("task_always_eager", "broker_url")}
    conf.update(task_always_eager=False, broker_url="redis://127.0.0.1:1/0")
    celery_app._pool = None
    yield
    conf.update(saved)
    celery_app._pool = None


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_page_says_the_job_could_not_start(tree, login_as, broker_down):
    client = login_as("orgdept")
    response = post_job(client, "TOWN", Kind.EXPORT_REPORTS)
    assert response.status_code == 302 and response.url == dashboard_url("TOWN")
    page = client.get(response.url).content.decode()
    assert "后台任务队列暂时无法连接，任务未能开始" in page
    assert not Job.objects.exists()


def test_job_page_refreshes_itself_until_the_job_is_finished(tree, login_as, orgdept):
    job = Job.objects.create(
        kind=Kind.REPORTS, branch=tree.town, params={"period": "2025"}, created_by=orgdept, status=Status.RUNNING,
        progress_done=3, progress_total=7, step="读取党费",
    )  # fmt: skip
    page = login_as("orgdept").get(reverse("reports:job", kwargs={"pk": job.pk})).content.decode()
    assert 'http-equiv="refresh"' in page and 'value="42"' in page and "读取党费" in page
    Job.objects.filter(pk=job.pk).update(status=Status.FAILED, error="内部错误：ValueError")
    page = login_as("orgdept").get(reverse("reports:job", kwargs={"pk": job.pk})).content.decode()
    assert 'http-equiv="refresh"' not in page and "内部错误：ValueError" in page


@pytest.mark.parametrize(
    "persona, status", [("anonymous", 302), ("reviewer", 404), ("other_orgdept", 404), ("viewer", 200)]
)
def test_job_page_and_download_only_for_who_started_it(
    computed, login_as, persona, status, viewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_job(login_as("viewer"), "TOWN", Kind.EXPORT_REPORTS)
    job = Job.objects.get()
    client = login_as(persona)
    assert client.get(reverse("reports:job", kwargs={"pk": job.pk})).status_code == status
    download = client.get(reverse("reports:job_download", kwargs={"pk": job.pk}))
    assert download.status_code == status
    if status == 200:
        assert download["Content-Disposition"].startswith("attachment;")
        assert b"".join(download.streaming_content)[:2] == b"PK"  # an .xlsx is a zip


def test_no_download_before_the_job_is_done(tree, login_as, orgdept):
    job = Job.objects.create(kind=Kind.EXPORT_HEALTH, branch=tree.town, params={"period": "2025"}, created_by=orgdept)
    assert login_as("orgdept").get(reverse("reports:job_download", kwargs={"pk": job.pk})).status_code == 404


# ---------------------------------------------------------------------------- reminders and the branch page


def test_reminders_page_shows_only_ones_own(tree, login_as, secretary_a, secretary_b):
    Reminder.objects.create(
        user=secretary_a, day="2025-10-09", kind="pending_leave", count=2, text="有 2 条请假申请待审批。"
    )
    Reminder.objects.create(user=secretary_b, day="2025-10-09", kind="pending_leave", count=1, text="别人的提醒")
    page = login_as("secretary_a").get(reverse("reports:reminders")).content.decode()
    assert "有 2 条请假申请待审批" in page and "别人的提醒" not in page
    assert login_as("anonymous").get(reverse("reports:reminders")).status_code == 302


@pytest.mark.parametrize(
    "persona, code, shown", [("orgdept", "BA", True), ("secretary_a", "BA", True), ("orgdept", "GA", False)]
)
def test_branch_page_links_to_the_dashboard_of_reported_organizations(tree, login_as, persona, code, shown):
    page = login_as(persona).get(reverse("branches:detail", kwargs={"code": code})).content.decode()
    assert (reverse("reports:dashboard", kwargs={"code": code}) in page) is shown
