"""With Redis down, the site keeps serving pages and check-ins, and says so when it cannot queue work.

The broker (Celery's ``broker_url``) and the cache (the rate limiters' counters) are pointed at a
closed port for the test, with short timeouts, and tasks stop running inline. Pages and the
check-in API do not need Redis (the rate limiter lets requests through when the cache fails);
the actions that queue background work, the reports job and the health-check recomputation,
answer at once with a Chinese message that the work could not be queued and leave no job
behind half-started.
"""

from __future__ import annotations

import datetime
import json
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import services, tokens
from activities.models import Activity, Attendance
from health.models import HealthCheck
from partysite.celery import app
from reports.jobs import QUEUE_UNAVAILABLE
from reports.models import Job

pytestmark = pytest.mark.django_db

DOWN = "redis://127.0.0.1:6390/0"  # nothing listens there
FAST_FAIL = 10  # seconds: an action must answer well within this with Redis down


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DOWN,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    overrides = {
        "broker_url": DOWN,
        "task_always_eager": False,
        "broker_connection_timeout": 1,
        "broker_connection_retry": False,
        "broker_connection_max_retries": 0,
        "task_publish_retry": False,
        "broker_transport_options": {"socket_connect_timeout": 1, "socket_timeout": 1, "max_retries": 0},
    }
    saved = {key: app.conf[key] for key in overrides}
    app.conf.update(overrides)
    try:
        yield
    finally:
        app.conf.update(saved)


@pytest.fixture
def assembly(tree, secretary_a):
    start = timezone.now() + datetime.timedelta(minutes=10)
    return services.activity_create(
        branch=tree.branch_a,
        kind=Activity.Kind.BRANCH_ASSEMBLY,
        title="支部党员大会",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        by=secretary_a,
    )


def test_pages_and_check_in_keep_working_with_redis_down(redis_down, client, member_a, secretary_a, assembly):
    client.force_login(secretary_a)
    assert client.get(reverse("activities:workbench")).status_code == 200
    assert client.get(reverse("home"), follow=True).status_code == 200
    client.force_login(member_a.user)
    assert client.get(reverse("home"), follow=True).status_code == 200
    body = json.dumps({"token": tokens.current_token(assembly), "nonce": "redis-down-1"})
    response = client.post("/api/v1/check-ins", data=body, content_type="application/json")
    assert response.status_code == 201, response.content.decode()
    assert Attendance.objects.get(activity=assembly, member=member_a).status == Attendance.Status.PRESENT


@pytest.mark.django_db(transaction=True)  # the job is queued on commit, as in a real request
def test_a_report_job_says_it_could_not_be_queued_and_leaves_no_job(redis_down, client, tree, orgdept):
    client.force_login(orgdept)
    url = reverse("reports:job_start", args=[tree.town.code])
    started = time.monotonic()
    response = client.post(url, {"kind": Job.Kind.REPORTS, "period": "2026"}, follow=True)
    assert time.monotonic() - started < FAST_FAIL
    assert response.status_code == 200
    assert QUEUE_UNAVAILABLE in response.content.decode()
    assert "后台任务队列暂时无法连接" in QUEUE_UNAVAILABLE
    assert not Job.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_health_recomputation_says_it_could_not_be_queued(redis_down, client, tree, secretary_a, member_a):
    client.force_login(secretary_a)
    url = reverse("health:compute", args=[tree.branch_a.code])
    started = time.monotonic()
    response = client.post(url, {"period": "2026"}, follow=True)
    assert time.monotonic() - started < FAST_FAIL
    assert response.status_code == 200
    page = response.content.decode()
    assert "后台任务队列暂时无法连接" in page
    assert "已开始计算" not in page
    assert not HealthCheck.objects.exists()
