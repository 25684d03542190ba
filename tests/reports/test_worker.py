"""A real Celery worker (a subprocess) computes a report through Redis; skipped without REDIS_URL.

Run it with e.g. ``REDIS_URL=redis://127.0.0.1:6379/9 DATABASE_URL=postgres://... pytest -m celery_worker``.
The worker gets ``DATABASE_URL`` pointing at the test database (``test_<name>``) and its own
queue, so no other worker takes the task; data is committed (``transaction=True``) so the
worker sees it. The worker is stopped at the end, pass or fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from reports.models import Report
from tests.reports.conftest import Y

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(not REDIS_URL, reason="需要 REDIS_URL（真实的 Redis）"),
]
TIMEOUT = 120


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.skip("the worker process must open the test database: run on PostgreSQL")
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"  # NAME is test_<name> during tests


def _start_worker(queue: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "partysite.settings",
        "CONN_MAX_AGE": "0",
    }
    command = [sys.executable, "-m", "celery", "-A", "partysite", "worker", "--pool=solo", "-Q", queue,
               "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"]  # fmt: skip
    return subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=15)


def _wait(result, worker: subprocess.Popen, log: Path):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if result.ready():
            return result.get(timeout=1)
        if worker.poll() is not None:
            pytest.fail(f"the worker exited ({worker.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    pytest.fail(f"no result after {TIMEOUT} s:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_computes_a_report(tree, year_data, tmp_path):
    queue = f"test-reports-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "worker.log"
    client = Celery("partysite-test-client", broker=REDIS_URL, backend=REDIS_URL)
    worker = _start_worker(queue, log)
    try:
        result = client.send_task("reports.compute_reports", args=[str(Y), tree.town.pk], queue=queue)
        outcome = _wait(result, worker, log)
    finally:
        _stop(worker)
        client.close()
    assert outcome == {"created": 5, "updated": 0, "roots": ["TOWN"]}
    town = Report.objects.get(branch=tree.town, period=str(Y))
    assert (town.members, town.attendance_present, town.dues_paid) == (4, 7, Decimal("152.20"))
    assert town.health_checks == 5
