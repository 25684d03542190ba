"""Builders for the health tests: held activities with their frozen attendance, dues months."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from activities.models import Activity, Attendance, LeaveRequest
from members.models import DuesPayment

PRESENT, LEAVE, ABSENT = Attendance.Status.PRESENT, Attendance.Status.LEAVE, Attendance.Status.ABSENT


def at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=timezone.get_current_timezone())


def held(branch, kind: str, day: datetime.date, status: str = Activity.Status.HELD) -> Activity:
    return Activity.objects.create(
        branch=branch, kind=kind, title=f"{kind} {day}", starts_at=at(day), ends_at=at(day, 11), status=status
    )


def attend(activity: Activity, member, status: str = PRESENT, *, expected: bool = True, hours=None) -> Attendance:
    return Attendance.objects.create(
        activity=activity,
        member=member,
        status=status,
        expected=expected,
        hours=None if hours is None else Decimal(str(hours)),
    )


def meeting(branch, kind: str, day: datetime.date, statuses: dict) -> Activity:
    """A held activity with each member's attendance: ``{member: status}``."""
    activity = held(branch, kind, day)
    for member, status in statuses.items():
        attend(activity, member, status)
    return activity


def approved_leave(activity: Activity, member) -> LeaveRequest:
    return LeaveRequest.objects.create(
        activity=activity, member=member, reason="出差", status=LeaveRequest.Status.APPROVED
    )


def dues_month(member, month: datetime.date, *, due="10", paid="10", paid_on: datetime.date | None = None):
    """A dues row; ``paid_on`` defaults to the 10th of the month (on time)."""
    if paid_on is None and Decimal(paid) > 0:
        paid_on = month.replace(day=10)
    return DuesPayment.objects.create(
        member=member, branch_id=member.branch_id, month=month, due=Decimal(due), paid=Decimal(paid), paid_on=paid_on
    )


def months(year: int, first: int = 1, last: int = 12) -> list[datetime.date]:
    return [datetime.date(year, m, 1) for m in range(first, last + 1)]
