"""Celery application; tasks run inline unless REDIS_URL is set (see settings)."""

import os

from celery import Celery
from kombu.exceptions import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partysite.settings")

app = Celery("partysite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# What publishing raises when the broker (Redis) cannot be reached.
QUEUE_ERRORS = (OperationalError, RedisConnectionError, ConnectionError, TimeoutError)


def broker_check() -> None:
    """Raise one of ``QUEUE_ERRORS`` at once (one try, no back-off) if the broker is down.

    Publishing alone retries for seconds before it gives up; a view calls this first so that
    it can answer "could not be queued" quickly. Nothing to check when tasks run inline.
    """
    if app.conf.task_always_eager:
        return
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
