"""Presence recorded by the secretary beyond the check-in: 送学上门 and 流动党员 at a host branch.

- 送学上门: an elderly or sick member who cannot come is visited and the meeting's content is
  delivered at home; the secretary marks the member present (method 书记登记, ``home_delivered``).
  The member must belong to the activity by its kind's rules (``expected.belongs``); a member left
  out of the expected list by a 不列入应到 exemption may be marked too (then not as expected).
- 流动党员: a member whose situation is 流动 attends organizational life where they are; the host
  branch's secretary records them present at the host's activity (an added row, ``expected`` False).
  The member's own branch sees the row on the member's page and in the member's attendance.

Both are saves through the ORM, audited by django-auditlog like every attendance write. Permission
checks belong to the caller (MANAGE on the activity's branch).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from members.models import Member

from .errors import ActivityError
from .expected import belongs, is_expected
from .models import Activity, Attendance
from .services import require_not_cancelled

HOME_NOTE = "送学上门"


def _require_started(activity: Activity, now: datetime.datetime) -> None:
    require_not_cancelled(activity)
    if not activity.is_held and now < activity.starts_at:
        raise ActivityError("活动开始后才能登记", code="not_started")


def _mark_present(row: Attendance, member: Member, *, by, now: datetime.datetime, note: str) -> Attendance:
    row.status, row.method, row.checked_in_at = Attendance.Status.PRESENT, Attendance.Method.SECRETARY, now
    row.full_member = member.status == Member.Status.FULL
    row.recorded_by = by if getattr(by, "is_authenticated", False) else None
    row.note = note[:200]
    row.save()
    return row


def home_delivery_record(
    *, activity: Activity, member: Member, by, note: str = "", now: datetime.datetime | None = None
) -> Attendance:
    """送学上门: ``member`` counts as present at ``activity``, delivered at home."""
    now = now or timezone.now()
    _require_started(activity, now)
    if not belongs(activity, member):
        raise ActivityError(f"{member.name}不是本次活动所属组织的在册党员", code="not_member", field="member")
    with transaction.atomic():
        row = Attendance.objects.select_for_update().filter(activity=activity, member=member).first()
        if row is not None and row.status == Attendance.Status.PRESENT and not row.home_delivered:
            raise ActivityError(f"{member.name}已到会签到", code="already_present")
        if row is None:
            row = Attendance(activity=activity, member=member, expected=is_expected(activity, member))
        row.home_delivered = True
        text = f"{HOME_NOTE}：{note.strip()}" if note.strip() else HOME_NOTE
        return _mark_present(row, member, by=by, now=now, note=text)


def guest_attendance_record(
    *, activity: Activity, member: Member, by, now: datetime.datetime | None = None
) -> Attendance:
    """A 流动党员 of another branch attends the host's activity: recorded present, not expected."""
    now = now or timezone.now()
    _require_started(activity, now)
    if not activity.has_expected_list:
        raise ActivityError("志愿服务、学习活动可直接报名，无需登记", code="open_activity")
    if not member.is_active:
        raise ActivityError(f"{member.name}已离册", code="inactive_member")
    if member.situation != Member.Situation.MOBILE:
        raise ActivityError(f"{member.name}不是流动党员：请其所在党支部先将党员状况登记为“流动”", code="not_mobile")
    if belongs(activity, member):
        raise ActivityError(f"{member.name}是本组织的党员，请直接签到或代签", code="own_member")
    with transaction.atomic():
        row = Attendance.objects.select_for_update().filter(activity=activity, member=member).first()
        if row is not None and row.status == Attendance.Status.PRESENT:
            raise ActivityError(f"{member.name}已登记到会", code="already_present")
        row = row or Attendance(activity=activity, member=member, expected=False)
        note = f"流动党员，在{activity.branch.name}参加"
        return _mark_present(row, member, by=by, now=now, note=note)
