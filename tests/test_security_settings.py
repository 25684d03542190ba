"""Production settings: ``check --deploy`` is clean; sessions, passwords, lockout and cache are configured."""

import os
import re
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest
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
    assert result.stdout.strip().splitlines()[-1] == "(30, 60) (10, 600) django.core.cache.backends.redis.RedisCache"


def test_cache_is_local_memory_without_redis():
    if os.environ.get("REDIS_URL"):
        assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    else:
        assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


# ---------------------------------------------------------------------------- refusals at start (issue 12 item 18)


def _refused(result: subprocess.CompletedProcess, expected: str) -> bool:
    output = result.stdout + result.stderr
    return result.returncode != 0 and "ImproperlyConfigured" in output and expected in output


@pytest.mark.parametrize("name", ["Production", "PRODUCTION", "prod", "staging", " production"])
def test_an_unknown_django_env_is_refused(name):
    result = _manage("check", **{**PRODUCTION_ENV, "SECRET_KEY": _random_secret(), "DJANGO_ENV": name})
    assert _refused(result, "DJANGO_ENV 只能是 production 或 development")


def test_production_with_debug_on_is_refused():
    result = _manage("check", SECRET_KEY=_random_secret(), DEBUG="1", **PRODUCTION_ENV)
    assert _refused(result, "DEBUG 必须关闭")


@pytest.mark.parametrize(
    "secret",
    [
        "ab" * 30,  # long enough, 2 different characters
        "django-insecure-" + "q8#Lm2!vX9@pZ4$wR7%tN3^kB6&cY1*hJ5(d",  # Django's generated development key
        _random_secret(49),  # too short
        "dev-only-insecure-secret-key-do-not-use-in-production",  # the development key
    ],
    ids=["two-characters", "django-generated", "too-short", "development-key"],  # one name on every xdist worker
)
def test_production_with_a_weak_secret_key_is_refused(secret):
    assert _refused(
        _manage("check", SECRET_KEY=secret, **PRODUCTION_ENV), "SECRET_KEY（至少 50 个字符、至少 5 种不同字符"
    )


@pytest.mark.parametrize("env_name", ["production", "development"])
@pytest.mark.parametrize("key", ["not-a-fernet-key", "c2hvcnQ=", "x" * 44])
def test_an_invalid_fernet_key_is_refused(env_name, key):
    result = _manage(
        "check",
        **{**PRODUCTION_ENV, "SECRET_KEY": _random_secret(), "DJANGO_ENV": env_name, "FIELD_ENCRYPTION_KEY": key},
    )
    assert _refused(result, "FIELD_ENCRYPTION_KEY 不是有效的 Fernet 密钥")


# ---------------------------------------------------------------------------- response headers


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/api/v1/check-ins"])
def test_every_response_has_a_strict_content_security_policy_and_permissions_policy(client, url):
    response = client.get(url)
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'" and policy["form-action"] == "'self'" and policy["base-uri"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    features = dict(part.strip().split("=") for part in response["Permissions-Policy"].split(","))
    assert features["camera"] == features["microphone"] == features["geolocation"] == "()"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(ld\+)?json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.I)
JS_URL = re.compile(r"javascript:", re.I)


def test_templates_have_nothing_inline_that_the_policy_would_block():
    """No inline script, ``on…=`` handler, ``style=`` attribute or ``javascript:`` URL in templates/."""
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for name, pattern in [
            ("script", INLINE_SCRIPT),
            ("handler", INLINE_HANDLER),
            ("style", STYLE_ATTRIBUTE),
            ("js-url", JS_URL),
        ]:
            found += [f"{path.relative_to(ROOT)}: {name}: {m.group(0)}" for m in pattern.finditer(text)]
        found += [f"{path.relative_to(ROOT)}: <style>" for _ in re.finditer(r"<style[\s>]", text, re.I)]
    assert found == []
