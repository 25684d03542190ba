"""我的党费: a member's own dues on their own page: the latest months (due, paid, when), what they owe
and how much of it is past the allowed delay (docs/rules/dues.md: ``DUES_MAX_DELAY_MONTHS``).

The arrears are counted as on the arrears page (``selectors.dues_arrears_by_branch``): live rows
(not cancelled) paid less than their due, months up to the current one; overdue once the month's
``payment_deadline`` has passed (``rules.overdue_through``). Two queries.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from core.periods import month_start

from ..models import DuesPayment, Member
from .rules import FEN, overdue_through, payment_deadline
from .selectors import LIVE, MONEY, SHORT

MONTHS_SHOWN = 12
PAID, SHORT_PAID, UNPAID, CANCELLED = "paid", "short", "unpaid", "cancelled"


@dataclass(frozen=True)
class MyMonth:
    row: DuesPayment
    overdue: bool

    @property
    def state(self) -> str:
        row = self.row
        if row.cancelled_at is not None:
            return CANCELLED
        if row.paid >= row.due:
            return PAID
        return SHORT_PAID if row.paid > 0 else UNPAID

    @property
    def deadline(self) -> datetime.date:
        return payment_deadline(self.row.month)


@dataclass(frozen=True)
class MyDues:
    months: list[MyMonth]  # newest first, advance payments of later months included
    this_month: MyMonth | None  # None: the month's row is not generated yet
    owed: Decimal
    months_owed: int
    months_overdue: int


def member_dues(member: Member, *, today: datetime.date | None = None, shown: int = MONTHS_SHOWN) -> MyDues:
    """``member``'s dues for their own page (two queries)."""
    today = today or timezone.localdate()
    current, late = month_start(today), overdue_through(today)
    rows = list(DuesPayment.objects.filter(member=member).order_by("-month")[:shown])
    months = [MyMonth(row, _owing(row) and row.month <= late) for row in rows]
    owing = DuesPayment.objects.filter(LIVE & SHORT, member=member, month__lte=current).aggregate(
        owed=Sum(F("due") - F("paid"), output_field=MONEY),
        months=Count("pk"),
        overdue=Count("pk", filter=Q(month__lte=late)),
    )
    return MyDues(
        months=months,
        this_month=next((m for m in months if m.row.month == current), None),
        owed=Decimal(owing["owed"] or 0).quantize(FEN),
        months_owed=owing["months"],
        months_overdue=owing["overdue"],
    )


def _owing(row: DuesPayment) -> bool:
    """The Python twin of ``selectors.LIVE & selectors.SHORT``."""
    return row.cancelled_at is None and row.paid < row.due
