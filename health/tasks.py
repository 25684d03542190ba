"""Celery tasks of the health checks: thin, taking ids and plain values, calling the service."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from branches.models import Branch

from .services import health_checks_compute


@shared_task(name="health.compute_health_checks")
def compute_health_checks(period: str, branch_id: int | None = None, by_id: int | None = None) -> dict:
    """Compute the checks of ``period`` for the subtree of ``branch_id`` (the whole site: None).

    Idempotent: a second run finds nothing changed and writes nothing.
    """
    from django.contrib.auth import get_user_model

    branch = Branch.objects.get(pk=branch_id) if branch_id is not None else None
    by = get_user_model().objects.filter(pk=by_id).first() if by_id is not None else None
    return asdict(health_checks_compute(period=period, branch=branch, by=by))
