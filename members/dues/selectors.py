"""Reads of the dues pages: a branch's month (members with their row), the month's totals, arrears.

The month's roster is the one ``dues_generate_month`` uses: members of the subtree who had
joined by the month's end and were still on the roster at its start. A cancelled row
(``cancelled_at``) is shown as such and counts nowhere: not due, not paid, not in arrears.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, F, FilteredRelation, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone

from branches.models import Branch
from core.periods import month_end, month_start

from ..models import DuesPayment, Member
from .rules import FEN, large_voluntary, overdue_through

MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal(0), output_field=MONEY)
LIVE = Q(cancelled_at__isnull=True)
SHORT = LIVE & Q(paid__lt=F("due"))


def _sum(field: str, **kwargs):
    return Coalesce(Sum(field, **kwargs), ZERO, output_field=MONEY)


def month_roster(*, branch: Branch, month: datetime.date) -> QuerySet[Member]:
    first, last = month_start(month), month_end(month)
    return (
        Member.objects.in_subtree(branch).filter(joined_on__lte=last).filter(Q(is_active=True) | Q(left_on__gte=first))
    )


def dues_month_rows(*, branch: Branch, month: datetime.date) -> QuerySet[Member]:
    """The month's roster, each member with ``payment_id``, ``due``, ``paid``, ``voluntary``, ``paid_on``,
    ``cancelled_at`` and ``cancel_reason`` of their row for the month (None when not generated yet):
    one query with a LEFT JOIN."""
    first = month_start(month)
    return (
        month_roster(branch=branch, month=month)
        .annotate(payment=FilteredRelation("dues_payments", condition=Q(dues_payments__month=first)))
        .annotate(
            payment_id=F("payment__pk"),
            due=F("payment__due"),
            paid=F("payment__paid"),
            voluntary=F("payment__voluntary"),
            paid_on=F("payment__paid_on"),
            cancelled_at=F("payment__cancelled_at"),
            cancel_reason=F("payment__cancel_reason"),
        )
        .select_related("branch")
        .order_by("branch__path", "name_pinyin", "name", "pk")
    )


@dataclass
class MonthTotals:
    rows: int
    due: Decimal
    paid: Decimal
    paid_in_full: int
    voluntary: Decimal = Decimal(0)
    large_payments: int = 0  # voluntary payments of the large-payment threshold or more

    @property
    def owed(self) -> Decimal:
        return self.due - self.paid


def dues_month_totals(*, branch: Branch, month: datetime.date) -> MonthTotals:
    """Rows, due, paid, paid in full, voluntary and large payments of the month's roster (one query)."""
    roster = month_roster(branch=branch, month=month)
    totals = DuesPayment.objects.filter(LIVE, month=month_start(month), member__in=roster.values("pk")).aggregate(
        n_rows=Count("pk"),
        due_sum=_sum("due"),
        paid_sum=_sum("paid"),
        voluntary_sum=_sum("voluntary"),
        n_full=Count("pk", filter=Q(paid__gte=F("due"))),
        n_large=Count("pk", filter=Q(voluntary__gte=large_voluntary())),
    )
    return MonthTotals(
        rows=totals["n_rows"],
        due=Decimal(totals["due_sum"]).quantize(FEN),
        paid=Decimal(totals["paid_sum"]).quantize(FEN),
        paid_in_full=totals["n_full"],
        voluntary=Decimal(totals["voluntary_sum"]).quantize(FEN),
        large_payments=totals["n_large"],
    )


@dataclass
class BranchArrears:
    branch_id: int
    branch_name: str
    branch_code: str
    due: Decimal
    paid: Decimal
    months_in_arrears: int
    members_in_arrears: int
    months_overdue: int = 0  # months in arrears whose allowed delay has passed
    earliest_overdue: datetime.date | None = None
    large_payments: int = 0

    @property
    def owed(self) -> Decimal:
        return self.due - self.paid


def dues_arrears_by_branch(
    *,
    branch: Branch,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    today: datetime.date | None = None,
    per_child: bool = False,
) -> list[BranchArrears]:
    """Per branch of the subtree: due, paid, months and members in arrears, the months in arrears
    beyond the allowed delay (``rules.overdue_through``) and the earliest of them, the large
    voluntary payments (one GROUP BY query). Only months from ``start`` to ``end`` (inclusive,
    any day of the month) count when given; cancelled rows never count.

    ``per_child``: per child of ``branch`` instead, each row its whole subtree (and ``branch`` itself
    for its own rows), the members in arrears counted once per child (a second query: the children).
    """
    rows = DuesPayment.objects.filter(LIVE, branch__path__startswith=branch.path)
    if start is not None:
        rows = rows.filter(month__gte=month_start(start))
    if end is not None:
        rows = rows.filter(month__lte=month_start(end))
    if per_child:
        return _per_child(branch, rows, today)
    grouped = (
        rows.values("branch_id", "branch__name", "branch__code", "branch__path")
        .annotate(**_arrears_figures(today))
        .order_by("branch__path")
    )
    return [_arrears(r["branch_id"], r["branch__name"], r["branch__code"], r) for r in grouped]


def _arrears_figures(today: datetime.date | None) -> dict:
    overdue = SHORT & Q(month__lte=overdue_through(today or timezone.localdate()))
    return {
        "due_sum": _sum("due"),
        "paid_sum": _sum("paid"),
        "months": Count("pk", filter=SHORT),
        "members": Count("member_id", filter=SHORT, distinct=True),
        "overdue": Count("pk", filter=overdue),
        "earliest": Min("month", filter=overdue),
        "large": Count("pk", filter=Q(voluntary__gte=large_voluntary())),
    }


def _arrears(branch_id: int, name: str, code: str, r: dict) -> BranchArrears:
    return BranchArrears(
        branch_id=branch_id,
        branch_name=name,
        branch_code=code,
        due=Decimal(r["due_sum"]).quantize(FEN),
        paid=Decimal(r["paid_sum"]).quantize(FEN),
        months_in_arrears=r["months"],
        members_in_arrears=r["members"],
        months_overdue=r["overdue"],
        earliest_overdue=r["earliest"],
        large_payments=r["large"],
    )


def _per_child(branch: Branch, rows: QuerySet[DuesPayment], today: datetime.date | None) -> list[BranchArrears]:
    """``rows`` summed per child of ``branch`` (the first step of the path below it), then named."""
    step = len(branch.path) + Branch.steplen
    grouped = rows.annotate(child=Substr("branch__path", 1, step)).values("child").annotate(**_arrears_figures(today))
    by_path = {r["child"]: r for r in grouped.order_by()}
    children = Branch.objects.filter(path__in=list(by_path)).order_by("path")
    return [_arrears(b.pk, b.name, b.code, by_path[b.path]) for b in children]
