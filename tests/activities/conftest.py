"""Fixtures for activities: activity factory helpers and a fixed clock."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from activities import services
from activities.models import Activity

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def at(day: str, hm: str = "09:00") -> datetime.datetime:
    """An aware datetime in Asia/Shanghai: ``at("2026-10-12", "14:30")``."""
    return datetime.datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=SHANGHAI)


@pytest.fixture
def make_activity(secretary_a):
    """``make_activity(branch, kind, start=..., hours=2)`` plans an activity through the service."""

    def _make(branch, kind=Activity.Kind.BRANCH_ASSEMBLY, *, start=None, hours=2, title="", **fields):
        start = start or timezone.now() + datetime.timedelta(minutes=10)
        return services.activity_create(
            branch=branch,
            kind=kind,
            title=title or Activity.Kind(kind).label,
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=hours),
            by=secretary_a,
            **fields,
        )

    return _make
