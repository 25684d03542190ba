"""Helpers of the fault tests that run the site's own processes (gunicorn, a Celery worker).

Those processes open the pytest test database (``test_<name>``, PostgreSQL only), so the tests
that use them commit their data (``transaction=True``). Every process is stopped in a
``finally``, pass or fail, by its own id.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection


def database_url() -> str:
    """The URL of the test database the current test runs on (PostgreSQL), for a child process."""
    if connection.vendor != "postgresql":
        pytest.skip("a child process must open the test database: run on PostgreSQL")
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"  # NAME is test_<name> during tests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(**extra: str) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "partysite.settings"}
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def start_gunicorn(port: int, log: Path, *, workers: int = 3, threads: int = 4) -> subprocess.Popen:
    env = child_env(CONN_MAX_AGE="60", DEBUG="false", LOG_LEVEL="WARNING")
    env.pop("REDIS_URL", None)  # the check-in needs no Redis; each worker limits rates in its own memory
    command = [sys.executable, "-m", "gunicorn", "partysite.wsgi:application", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
               "--timeout", "60", "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=settings.BASE_DIR, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited ({process.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    stop(process)
    pytest.fail(f"gunicorn did not answer within 60 s:\n{log.read_text(errors='replace')[-3000:]}")


def stop(process: subprocess.Popen, *, sig: int = signal.SIGTERM) -> None:
    """Stop ``process`` (and its own process group: gunicorn's workers) and wait for it."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig) if _own_group(process) else process.send_signal(sig)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL) if _own_group(process) else process.kill()
        process.wait(timeout=20)


def _own_group(process: subprocess.Popen) -> bool:
    try:
        return os.getpgid(process.pid) == process.pid
    except ProcessLookupError:
        return False
