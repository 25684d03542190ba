"""Production settings: ``check --deploy`` is clean; sessions, passwords, lockout and cache are configured."""

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "ALLOWED_HOSTS": "party.example.gov.cn",
    "FIELD_ENCRYPTION_KEY": "cHJvZHVjdGlvbi1maWVsZC1rZXktZm9yLXRlc3RzISE=",
}


def _manage(*args: str, **env_overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "FIELD_ENCRYPTION_KEY"}}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # manage.py's own: partysite.settings
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _random_secret(length: int = 60) -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def test_production_settings_pass_check_deploy_without_a_warning():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=_random_secret(), **PRODUCTION_ENV)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert "?: (security." not in output
    assert "(axes." not in output
    assert "no issues" in output


def test_check_deploy_does_warn_about_a_development_setup():
    """The test above would be worthless if ``check --deploy`` never warned: development settings do."""
    result = _manage("check", "--deploy", "--fail-level", "WARNING", DJANGO_ENV="development")
    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr  # DEBUG on


def test_session_lasts_at_most_a_working_day_and_ends_with_the_browser():
    assert 0 < settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True


def test_passwords_are_validated_for_length_commonness_and_digits():
    names = {v["NAME"].rsplit(".", 1)[-1] for v in settings.AUTH_PASSWORD_VALIDATORS}
    assert {
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    } <= names


def test_lockout_backend_is_first_and_its_middleware_last():
    assert settings.AUTHENTICATION_BACKENDS[0] == "partysite.security.LoginLockoutBackend"
    assert "members.backends.MemberLoginBackend" in settings.AUTHENTICATION_BACKENDS
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_rate_limits_are_generous_enough_for_a_meeting_in_production():
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.RATE_LIMITS['check_in'], s.RATE_LIMITS['activate'], "
        "s.CACHES['default']['BACKEND'])",
        DJANGO_ENV="development",
        REDIS_URL="redis://127.0.0.1:6399/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "(30, 60) (10, 600) partysite.cache.RedisCache"


def test_cache_is_local_memory_without_redis():
    if os.environ.get("REDIS_URL"):
        assert settings.CACHES["default"]["BACKEND"] == "partysite.cache.RedisCache"
    else:
        assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
