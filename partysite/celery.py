"""Celery application; tasks run inline unless REDIS_URL is set (see settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partysite.settings")

app = Celery("partysite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
