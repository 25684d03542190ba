"""The Celery app of the fault tests' worker: the site's own app plus two test-only knobs.

``celery -A tests.faults.worker worker`` runs the site's tasks exactly as ``-A partysite``
does, with, from the environment:

- ``FAULTS_STALL_AT_STEP`` / ``FAULTS_STALL_SECONDS``: a background job stops for that long
  right after recording that progress step (its earlier steps committed), so that the test
  can kill the worker in the middle of the job;
- ``FAULTS_STALL_COMPUTE_MARK``: a health-check computation stops inside its transaction,
  just before it writes, after creating that file (so the test knows where it is);
- ``FAULTS_VISIBILITY_TIMEOUT``: seconds after which the Redis transport hands an
  unacknowledged message (its worker died) to a live worker again (default: one hour).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from celery.signals import worker_init

from partysite.celery import app

if os.environ.get("FAULTS_VISIBILITY_TIMEOUT"):
    app.conf.broker_transport_options = {
        "visibility_timeout": int(os.environ["FAULTS_VISIBILITY_TIMEOUT"]),
        "unacked_restore_interval": 1,  # look for such messages every second...
        "unacked_restore_throttle": 1,  # ...each time
    }


@worker_init.connect
def _stall_health_compute(**kwargs) -> None:
    mark = os.environ.get("FAULTS_STALL_COMPUTE_MARK")
    if not mark:
        return
    import django

    django.setup()
    from health import services

    write = services._write  # the bulk write of the computed checks, inside the computation's transaction

    def stalled_write(*args, **kwargs):
        Path(mark).touch()
        time.sleep(float(os.environ.get("FAULTS_STALL_SECONDS", "120")))
        return write(*args, **kwargs)

    services._write = stalled_write


@worker_init.connect
def _stall_jobs(**kwargs) -> None:
    stall_at = int(os.environ.get("FAULTS_STALL_AT_STEP") or 0)
    if not stall_at:
        return
    import django

    django.setup()
    from reports import jobs

    seconds = float(os.environ.get("FAULTS_STALL_SECONDS", "120"))
    record = jobs._progress

    def progress(job, step: str, done: int, total: int) -> None:
        record(job, step, done, total)
        if done == stall_at:
            time.sleep(seconds)

    jobs._progress = progress


__all__ = ["app"]
