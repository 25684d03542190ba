"""A member's health checks withdrawn after a leaving or a transfer dated in the past.

Registered in ``members.corrections.CORRECTIONS`` (docs/rules/history.md). The checks concerned:

- on a leaving, those of the periods that begin after the last day on the roster (the member is
  on no roster in them: ``selectors.roster``);
- on a transfer, those of the periods that end on or after its date and are held by another
  branch than the new one (a check belongs to the branch at the end of the member's time in the
  period: ``selectors.period_branches``).

A draft or returned check is deleted (django-auditlog logs it; the new branch's computation makes
its own). A submitted, approved or published one stays as it was, marked withdrawn
(``withdrawn_at``, ``withdrawn_reason``) with a 撤回 event; the review steps skip it
(``services._transition``) and a recomputation never touches it.
"""

from __future__ import annotations

from django.utils import timezone

from core.labels import source_label
from members.corrections import RosterChange

from .models import HealthCheck, HealthCheckEvent
from .services import health_period


def _concerned(check: HealthCheck, change: RosterChange) -> bool:
    period = health_period(check.period)
    if change.is_leaving:
        return period.start > change.on
    return period.last_day >= change.on and check.branch_id != change.to_branch.pk


def checks_withdraw(change: RosterChange) -> str:
    """Delete or mark the member's checks of the periods after ``change``; one line saying which."""
    checks = HealthCheck.objects.select_for_update().filter(member=change.member, withdrawn_at=None)
    concerned = [c for c in checks.order_by("period") if _concerned(c, change)]
    if not concerned:
        return ""
    reason = f"{change.reason}（{change.on:%Y-%m-%d}）" + (f"，转至{change.to_branch.name}" if change.to_branch else "")
    editable = [c for c in concerned if c.is_editable]
    locked = [c for c in concerned if not c.is_editable]
    if editable:
        HealthCheck.objects.filter(pk__in=[c.pk for c in editable]).delete()
    now = timezone.now()
    for check in locked:
        check.withdrawn_at, check.withdrawn_reason = now, reason[:200]
        check.save(update_fields=["withdrawn_at", "withdrawn_reason", "updated_at"])
    HealthCheckEvent.objects.bulk_create(
        [
            HealthCheckEvent(health_check=c, kind=HealthCheckEvent.Kind.WITHDRAWN, by=change.by, comment=reason)
            for c in locked
        ]
    )
    parts = [f"{c.period}（{source_label(HealthCheck.Status, c.status)}，删除）" for c in editable]
    parts += [f"{c.period}（{source_label(HealthCheck.Status, c.status)}，保留并标注撤回）" for c in locked]
    return f"撤回{len(concerned)}份政治体检：" + "、".join(parts)
