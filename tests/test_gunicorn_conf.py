"""gunicorn.conf.py: the production server's workers and threads, which the check-in benchmark also uses."""

import os
import runpy
import subprocess
import sys

from django.conf import settings

from bench.checkin_setup import production_server

CONFIG = str(settings.BASE_DIR / "gunicorn.conf.py")


def test_two_threaded_workers_per_cpu_by_default(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("GUNICORN_THREADS", raising=False)
    config = runpy.run_path(CONFIG)

    assert config["worker_class"] == "gthread"
    assert (config["workers"], config["threads"]) == (2 * (os.cpu_count() or 1), 2)
    assert production_server() == (config["workers"], 2)


def test_the_environment_sets_workers_threads_and_address(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GUNICORN_THREADS", "5")
    monkeypatch.setenv("GUNICORN_BIND", "0.0.0.0:9000")
    config = runpy.run_path(CONFIG)

    assert (config["workers"], config["threads"], config["bind"]) == (3, 5, "0.0.0.0:9000")
    assert production_server() == (3, 5)


def test_gunicorn_reads_it_from_the_project_directory():
    env = {k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_CMD_ARGS")}
    printed = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--print-config", "partysite.wsgi"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    values = {k.strip(): v.strip() for k, v in (line.split(" = ", 1) for line in printed.splitlines() if " = " in line)}

    assert values["worker_class"] == "gthread"
    assert values["threads"] == "2"
    assert values["keepalive"] == "30"
