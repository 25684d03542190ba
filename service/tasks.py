"""The beat's task of the loop: dispatched requests past their deadline return to the pool."""

from __future__ import annotations

from celery import shared_task

from .services import requests_return_overdue


@shared_task(name="service.return_overdue")
def return_overdue() -> int:
    return requests_return_overdue()
