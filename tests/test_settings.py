"""The settings module: defaults, and production refusing to start without real secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
RANDOM_SECRET = "kX3#vQ9!pL2@zR7$wT5%nY8^mB4&cF6*hJ1(dG0)sA-eU_iO+rW=tZ"  # 54 characters, random-looking


def _check(env_overrides: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "FIELD_ENCRYPTION_KEY"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_language_and_time_zone():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert "en" in dict(settings.LANGUAGES)
    assert settings.TIME_ZONE == "Asia/Shanghai"


@pytest.mark.parametrize(
    "missing, expected",
    [
        ("SECRET_KEY", "SECRET_KEY"),
        ("ALLOWED_HOSTS", "ALLOWED_HOSTS"),
        ("FIELD_ENCRYPTION_KEY", "FIELD_ENCRYPTION_KEY"),
    ],
)
def test_production_refuses_to_start_without(missing, expected):
    env = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": RANDOM_SECRET,
        "ALLOWED_HOSTS": "party.example.gov.cn",
        "FIELD_ENCRYPTION_KEY": "cHJvZHVjdGlvbi1maWVsZC1rZXktZm9yLXRlc3RzISE=",
    }
    del env[missing]
    result = _check(env)
    assert result.returncode != 0
    assert expected in result.stderr


def test_production_starts_with_real_settings():
    result = _check(
        {
            "DJANGO_ENV": "production",
            "SECRET_KEY": RANDOM_SECRET,
            "ALLOWED_HOSTS": "party.example.gov.cn",
            "FIELD_ENCRYPTION_KEY": "cHJvZHVjdGlvbi1maWVsZC1rZXktZm9yLXRlc3RzISE=",
        }
    )
    assert result.returncode == 0, result.stderr


def test_tasks_run_inline_without_redis():
    if os.environ.get("REDIS_URL"):
        assert settings.CELERY_TASK_ALWAYS_EAGER is False
    else:
        assert settings.CELERY_TASK_ALWAYS_EAGER is True


def test_kept_database_connections_are_checked_before_each_request():
    """A connection that died between requests is replaced instead of failing the request (issue 12 item 14)."""
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(DJANGO_ENV="development", DATABASE_URL="postgres://partysite@127.0.0.1:5432/partysite")
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from django.conf import settings as s; d = s.DATABASES['default']; print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "60 True"
