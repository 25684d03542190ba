"""学时: the study hours a member earns in a year, and what they need (党员教育管理工作条例 art. 20).

- A held activity with ``study_hours`` (a 学习 session, a 党课…) gives its 学时 to every member
  present (``Attendance.Status.PRESENT``); the year is the activity's start in Asia/Shanghai.
  A 学习 activity without 学时 recorded gives none (the activity form asks for them).
- A member needs ``STUDY_HOURS_MEMBER`` (32) a year; one who held a committee position
  (``Position.COMMITTEE_TITLES``: 书记, 副书记, 委员…) at any branch on any day of the year
  needs ``STUDY_HOURS_COMMITTEE`` (56). The need is not pro-rated for part of a year.
- The reports count, per branch, the members on its roster at the year's end who are short.

A member's year is one query; a whole subtree's shortfalls two.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, DecimalField, Exists, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from branches.models import Branch
from core.periods import Period
from members.models import Member, Position

from .models import Activity, Attendance

ZERO = Decimal("0.0")


def hours_required(*, committee: bool) -> int:
    """学时 a year: ``STUDY_HOURS_COMMITTEE`` for a committee member, ``STUDY_HOURS_MEMBER`` otherwise."""
    if committee:
        return settings.STUDY_HOURS_COMMITTEE
    return settings.STUDY_HOURS_MEMBER


@dataclass(frozen=True)
class StudyHours:
    year: int
    hours: Decimal
    committee: bool

    @property
    def required(self) -> int:
        return hours_required(committee=self.committee)

    @property
    def short(self) -> bool:
        return self.hours < self.required

    @property
    def missing(self) -> Decimal:
        return max(ZERO, (Decimal(self.required) - self.hours).quantize(ZERO))


def _hours_of_year(year: int):
    """The 学时 of the member ``OuterRef("pk")`` in ``year``: a subquery."""
    start, end = Period.parse(str(year)).bounds()
    rows = (
        Attendance.objects.filter(
            member_id=OuterRef("pk"),
            status=Attendance.Status.PRESENT,
            activity__status=Activity.Status.HELD,
            activity__starts_at__gte=start,
            activity__starts_at__lt=end,
            activity__study_hours__isnull=False,
        )
        .order_by()
        .values("member_id")
        .annotate(total=Sum("activity__study_hours"))
        .values("total")
    )
    return Coalesce(Subquery(rows), Value(ZERO), output_field=DecimalField(max_digits=8, decimal_places=1))


def _committee_in_year(year: int, member: str = "pk"):
    """Whether the member ``OuterRef(member)`` held a committee position on some day of ``year``."""
    return Exists(
        Position.objects.filter(
            member_id=OuterRef(member),
            title__in=Position.COMMITTEE_TITLES,
            started_on__lte=datetime.date(year, 12, 31),
        ).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=datetime.date(year, 1, 1)))
    )


def member_study_hours(*, member: Member, year: int) -> StudyHours:
    """The member's 学时 of ``year`` and what they need. One query."""
    row = (
        Member.objects.filter(pk=member.pk)
        .annotate(hours=_hours_of_year(year), committee=_committee_in_year(year))
        .values_list("hours", "committee")
        .first()
    )
    hours, committee = row if row else (ZERO, False)
    return StudyHours(year, Decimal(hours or 0).quantize(ZERO), bool(committee))


def study_shortfalls(root: Branch, year: int, *, whole: bool = False) -> dict[int, tuple[int, int]]:
    """Branch id -> (members on its roster at the end of ``year``, those of them short of their 学时).

    Two GROUP BY queries, whatever the subtree's size: the roster by branch, and the 学时 of the
    members who earned any (a few study activities' attendance, not every member's). A member
    with none is short (the requirements are positive). ``whole``: the subtree is the whole
    site, read without the path filter (and its join).
    """
    last_day = datetime.date(year, 12, 31)
    within = Q() if whole else Q(branch__path__startswith=root.path)
    on_roster = Q(joined_on__lte=last_day) & (Q(is_active=True, left_on__isnull=True) | Q(left_on__gte=last_day))
    roster = Member.objects.filter(within & on_roster)
    counts = dict(roster.values_list("branch_id").annotate(n=Count("pk")).order_by())
    start, end = Period.parse(str(year)).bounds()
    earned = (
        Attendance.objects.filter(member__in=roster.values("pk"), status=Attendance.Status.PRESENT)
        .filter(activity__status=Activity.Status.HELD, activity__starts_at__gte=start, activity__starts_at__lt=end)
        .filter(activity__study_hours__isnull=False)
        .values("member_id", "member__branch_id")
        .annotate(hours=Sum("activity__study_hours"), committee=_committee_in_year(year, "member_id"))
        .values_list("member__branch_id", "hours", "committee")
        .order_by()
    )
    enough: dict[int, int] = defaultdict(int)
    for branch_id, hours, committee in earned:
        enough[branch_id] += hours >= hours_required(committee=committee)
    return {branch_id: (n, n - enough[branch_id]) for branch_id, n in counts.items()}
