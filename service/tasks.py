"""The beat's task of the loop: dispatched requests past their deadline return to the pool."""

from __future__ import annotations

from celery import shared_task

from .services import requests_return_overdue


@shared_task(name="service.return_overdue")
def return_overdue() -> int:
    return requests_return_overdue()


@shared_task(name="service.feedback_cards")
def feedback_cards() -> int:
    """On the first day of a quarter: the cards of the quarter that ended."""
    from .feedback import feedback_cards_due

    return feedback_cards_due()
