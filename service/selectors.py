"""Reads of the service app: the hours that reach the health check, the member's and the board's lists,
the organization department's figures (docs/rules/service.md)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from core.periods import Period

from .models import ServiceRequestEvent


def completed_hours(*, member_ids, period: Period) -> dict[int, Decimal]:
    """Hours of the requests each member completed within ``period`` (each completion's own hours, a request
    reopened and completed again counting both): 志愿服务 hours for the health check. One aggregate query."""
    start, end = period.bounds()
    rows = (
        ServiceRequestEvent.objects.filter(kind=ServiceRequestEvent.Kind.COMPLETED, member_id__in=member_ids)
        .filter(at__gte=start, at__lt=end)
        .values("member_id")
        .annotate(hours=Sum("hours"))
        .order_by()
    )
    return {row["member_id"]: row["hours"] for row in rows if row["hours"]}
