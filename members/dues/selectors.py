"""Reads of the dues pages: a branch's month (members with their row), the month's totals.

The month's roster is the one ``dues_generate_month`` uses: members of the subtree who had
joined by the month's end and were still on the roster at its start.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, F, FilteredRelation, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from branches.models import Branch
from core.periods import month_end, month_start

from ..models import DuesPayment, Member
from .rules import FEN


def month_roster(*, branch: Branch, month: datetime.date) -> QuerySet[Member]:
    first, last = month_start(month), month_end(month)
    return (
        Member.objects.in_subtree(branch).filter(joined_on__lte=last).filter(Q(is_active=True) | Q(left_on__gte=first))
    )


def dues_month_rows(*, branch: Branch, month: datetime.date) -> QuerySet[Member]:
    """The month's roster, each member with ``payment_id``, ``due``, ``paid`` and ``paid_on`` of
    their row for the month (None when not generated yet): one query with a LEFT JOIN."""
    first = month_start(month)
    return (
        month_roster(branch=branch, month=month)
        .annotate(payment=FilteredRelation("dues_payments", condition=Q(dues_payments__month=first)))
        .annotate(
            payment_id=F("payment__pk"),
            due=F("payment__due"),
            paid=F("payment__paid"),
            paid_on=F("payment__paid_on"),
        )
        .select_related("branch")
        .order_by("branch__path", "name", "pk")
    )


@dataclass
class MonthTotals:
    rows: int
    due: Decimal
    paid: Decimal
    paid_in_full: int

    @property
    def owed(self) -> Decimal:
        return self.due - self.paid


def dues_month_totals(*, branch: Branch, month: datetime.date) -> MonthTotals:
    """How many rows, due, paid and paid in full for the month's roster (one aggregate query)."""
    money = DecimalField(max_digits=14, decimal_places=2)
    zero = Value(Decimal(0), output_field=money)
    roster = month_roster(branch=branch, month=month)
    totals = DuesPayment.objects.filter(month=month_start(month), member__in=roster.values("pk")).aggregate(
        n_rows=Count("pk"),
        due_sum=Coalesce(Sum("due"), zero, output_field=money),
        paid_sum=Coalesce(Sum("paid"), zero, output_field=money),
        n_full=Count("pk", filter=Q(paid__gte=F("due"))),
    )
    return MonthTotals(
        rows=totals["n_rows"],
        due=Decimal(totals["due_sum"]).quantize(FEN),
        paid=Decimal(totals["paid_sum"]).quantize(FEN),
        paid_in_full=totals["n_full"],
    )
