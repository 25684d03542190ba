"""A smoke test of the check-in benchmark at a tiny size (its figures mean nothing here): bench/checkin.py,
bench/checkin_setup.py, bench/checkin_load.py."""

import os

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection

import bench.checkin_setup
from activities.models import Attendance
from bench.checkin import describe, measure
from bench.checkin_load import CHECKIN_PATH, checkin_jobs
from bench.checkin_setup import (
    BENCH_REDIS_URL,
    bench_redis_url,
    database_url,
    production_sessions,
    session_engine_description,
)


def test_each_member_taps_once_so_that_every_check_in_writes():
    jobs = checkin_jobs(range(3))

    assert [(j.member, j.nonce) for j in jobs] == [(0, "m0"), (1, "m1"), (2, "m2")]
    assert {j.path for j in jobs} == {CHECKIN_PATH}


def test_the_report_names_the_session_engine_and_where_it_reads(settings):
    settings.SESSION_ENGINE = "core.sessions"
    settings.REDIS_URL = "redis://127.0.0.1:6379/13"
    assert session_engine_description() == (
        "sessions core.sessions (read from Redis redis://127.0.0.1:6379/13, kept in the database)"
    )
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    assert session_engine_description() == "sessions django.contrib.sessions.backends.db"


def test_database_url_quotes_credentials():
    url = database_url({"USER": "bench", "PASSWORD": "p@ss/word", "HOST": "db", "PORT": 5433, "NAME": "x_y"})

    assert url == "postgres://bench:p%40ss%2Fword@db:5433/x_y"


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="gunicorn's workers need a shared PostgreSQL database")
@pytest.mark.django_db(transaction=True)
def test_benchmark_checks_in_every_member_once_under_gunicorn():
    result = measure(members=8, clients=4, workers=1, threads=2, rounds=1)

    assert result.duplicates == 0 and result.lost == 0 and result.bare_missing == 0
    assert result.checkin.statuses == {201: 8} and result.checkin.requests == 8  # every tap a first check-in
    assert result.checkin.per_second > 0 and result.bare.per_second > 0
    assert Attendance.objects.filter(status=Attendance.Status.PRESENT).count() == 8 + 1  # and the warm-up member
    assert any("ratio" in line for line in describe(result))


def test_redis_is_the_configured_one_else_the_local_one_if_it_answers(settings, monkeypatch):
    settings.REDIS_URL = "redis://redis.example:6379/2"
    assert bench_redis_url() == "redis://redis.example:6379/2"
    settings.REDIS_URL = ""
    monkeypatch.setattr(bench.checkin_setup, "redis_answers", lambda url: url == BENCH_REDIS_URL)
    assert bench_redis_url() == BENCH_REDIS_URL
    monkeypatch.setattr(bench.checkin_setup, "redis_answers", lambda url: False)
    assert bench_redis_url() == ""


def test_the_check_in_step_reads_sessions_from_redis_as_production_does(settings):
    with production_sessions("redis://127.0.0.1:6379/13"):
        assert settings.SESSION_ENGINE == "core.sessions"
        assert isinstance(caches["default"], RedisCache) and caches["default"]._servers == ["redis://127.0.0.1:6379/13"]
    assert settings.SESSION_ENGINE == "core.sessions_db"  # the test settings' again
    with production_sessions(""):
        assert settings.SESSION_ENGINE == "core.sessions_db"  # no Redis: as configured


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="gunicorn's workers need a shared PostgreSQL database")
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="需要 REDIS_URL（真实的 Redis）")
@pytest.mark.django_db(transaction=True)
def test_benchmark_with_sessions_in_redis_checks_in_every_member_once():
    redis_url = os.environ["REDIS_URL"]
    with production_sessions(redis_url):
        result = measure(members=8, clients=4, workers=1, threads=2, rounds=1, redis_url=redis_url)

    assert result.duplicates == 0 and result.lost == 0 and result.bare_missing == 0
    assert result.checkin.statuses == {201: 8}
    assert "sessions core.sessions (read from Redis" in result.server
