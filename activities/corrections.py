"""The frozen expected lists corrected after a leaving or a transfer dated in the past.

Holding a meeting freezes its 应到 list (``services.activity_hold``). A death recorded weeks late
left the member on the lists of the meetings held since, counted 缺席; a transfer dated in the
past left them on the old branch's. ``expected_lists_correct`` (registered in
``members.corrections.CORRECTIONS``) removes their rows from the lists of the activities held or
planned from the first day after the change (docs/rules/history.md):

- rows 缺席 and 请假 (and an unheld 应到) are deleted, each logged by django-auditlog with the
  activity and the member, and listed in the member's history line;
- 实到 rows stay: the member was there;
- on a transfer, the lists the member still belongs to in the new branch stay: an activity of an
  ancestor of the new branch (a 党总支's 党课 when moving between its branches), except a
  支委会 (the transfer ends every position).
"""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils import timezone

from core.labels import source_label
from members.corrections import RosterChange

from .models import Activity, Attendance


def expected_lists_correct(change: RosterChange) -> str:
    """Remove ``change.member`` from the expected lists after ``change.on``; one line saying where."""
    since = datetime.datetime.combine(change.first_day_after, datetime.time.min, tzinfo=timezone.get_current_timezone())
    rows = (
        Attendance.objects.filter(member=change.member, expected=True, activity__starts_at__gte=since)
        .exclude(status=Attendance.Status.PRESENT)
        .exclude(activity__status=Activity.Status.CANCELLED)
    )
    if change.to_branch is not None:
        still = Q(activity__branch__path__in=change.to_branch.ancestor_paths())
        rows = rows.exclude(still & ~Q(activity__kind=Activity.Kind.COMMITTEE_MEETING))
    found = list(rows.select_related("activity").order_by("activity__starts_at", "pk"))
    if not found:
        return ""
    Attendance.objects.filter(pk__in=[row.pk for row in found]).delete()
    listed = "、".join(
        f"{timezone.localtime(row.activity.starts_at):%Y-%m-%d} {source_label(Activity.Kind, row.activity.kind)}"
        f"“{row.activity.title}”（{source_label(Attendance.Status, row.status)}）"
        for row in found
    )
    return f"移出{len(found)}次活动的应到名单：{listed}"
