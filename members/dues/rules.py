"""党费: the monthly amount due by the design's brackets, recording payments, a month's rows, arrears.

The brackets follow the member's occupation (职业类别; after-tax monthly income, the rate applies
to the whole income):

    在职, and 其他 with a declared income          ≤3000 0.5%; ≤5000 1%; ≤10000 1.5%; above 2%
    离退休                                          ≤5000 0.5%; above 1%
    农民, 学生, 下岗失业, and anyone without income  0.20 yuan a month

A member counts as without income when their declared income is 0, or when they are 其他 (other)
and declared none. The situation (流动, 失联) does not change the due. When no income is declared
for 在职 or 离退休 the due cannot be computed and the secretary must declare it first
(``income_required``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from branches.models import Branch
from core.errors import DomainError
from core.periods import month_end, month_start

from ..models import DuesPayment, Member

FEN = Decimal("0.01")
FLAT_DUE = Decimal("0.20")
EMPLOYED_BRACKETS = (
    (Decimal(3000), Decimal("0.005")),
    (Decimal(5000), Decimal("0.01")),
    (Decimal(10000), Decimal("0.015")),
)
EMPLOYED_TOP_RATE = Decimal("0.02")
RETIRED_BRACKETS = ((Decimal(5000), Decimal("0.005")),)
RETIRED_TOP_RATE = Decimal("0.01")
FLAT_OCCUPATIONS = frozenset({Member.Occupation.FARMER, Member.Occupation.STUDENT, Member.Occupation.UNEMPLOYED})


class DuesError(DomainError):
    pass


def _rate(income: Decimal, brackets, top_rate: Decimal) -> Decimal:
    for ceiling, rate in brackets:
        if income <= ceiling:
            return rate
    return top_rate


def dues_amount(*, occupation: str, monthly_income: Decimal | None) -> Decimal | None:
    """The monthly due in yuan, rounded half up to the fen; ``None`` when income must be declared first."""
    if occupation in FLAT_OCCUPATIONS or monthly_income == 0:
        return FLAT_DUE
    if monthly_income is None:
        return FLAT_DUE if occupation == Member.Occupation.OTHER else None
    if monthly_income < 0:
        return None
    if occupation == Member.Occupation.RETIRED:
        rate = _rate(monthly_income, RETIRED_BRACKETS, RETIRED_TOP_RATE)
    else:
        rate = _rate(monthly_income, EMPLOYED_BRACKETS, EMPLOYED_TOP_RATE)
    return (monthly_income * rate).quantize(FEN, rounding=ROUND_HALF_UP)


def member_due(member: Member) -> Decimal:
    due = dues_amount(occupation=member.occupation, monthly_income=member.monthly_income)
    if due is None:
        raise DuesError(f"{member.name}未申报月收入，无法计算应缴党费", code="income_required", field="monthly_income")
    return due


def _check_payment(*, paid: Decimal, paid_on: datetime.date | None, today: datetime.date) -> None:
    if paid < 0:
        raise DuesError("实缴金额不能为负数", code="negative_amount", field="paid")
    if paid > 0 and paid_on is None:
        raise DuesError("请填写缴纳日期", code="paid_on_required", field="paid_on")
    if paid_on is not None and paid_on > today:
        raise DuesError("缴纳日期不能晚于今天", code="future_date", field="paid_on")


def dues_record(
    *, member: Member, month: datetime.date, paid: Decimal, paid_on: datetime.date | None, by=None
) -> DuesPayment:
    """Record what ``member`` paid for ``month`` (any day of it); creates the month's row if missing.

    An existing row keeps its due (computed when the month fell due); a new one gets the due
    of the member's current occupation and income.
    """
    month = month_start(month)
    paid = Decimal(paid).quantize(FEN, rounding=ROUND_HALF_UP)
    _check_payment(paid=paid, paid_on=paid_on, today=timezone.localdate())
    if month < month_start(member.joined_on):
        raise DuesError("该月份早于入党日期", code="before_joined", field="month")
    with transaction.atomic():
        row = DuesPayment.objects.select_for_update().filter(member=member, month=month).first()
        if row is None:
            row = DuesPayment(member=member, branch_id=member.branch_id, month=month, due=member_due(member))
        row.paid, row.paid_on, row.recorded_by = paid, paid_on if paid > 0 else None, by
        row.save()
    return row


@dataclass
class GenerateResult:
    created: int = 0
    existing: int = 0
    missing_income: list[Member] = field(default_factory=list)


def dues_generate_month(*, branch: Branch, month: datetime.date, by=None) -> GenerateResult:
    """Create the month's due rows for every member on the roster of ``branch``'s subtree that month.

    Set-based: one read of the roster and one bulk insert; rows that already exist are kept as
    they are, so running it twice changes nothing. Members whose due cannot be computed (no
    declared income) are listed in the result and get no row.
    """
    first, last = month_start(month), month_end(month)
    roster = (
        Member.objects.in_subtree(branch).filter(joined_on__lte=last).filter(Q(is_active=True) | Q(left_on__gte=first))
    )
    members = list(roster.only("pk", "name", "branch_id", "occupation", "monthly_income"))
    with transaction.atomic():
        existing = set(
            DuesPayment.objects.filter(month=first, member__in=roster.values("pk")).values_list("member_id", flat=True)
        )
        result = GenerateResult(existing=len(existing))
        rows = []
        for member in members:
            if member.pk in existing:
                continue
            due = dues_amount(occupation=member.occupation, monthly_income=member.monthly_income)
            if due is None:
                result.missing_income.append(member)
                continue
            rows.append(DuesPayment(member=member, branch_id=member.branch_id, month=first, due=due, recorded_by=by))
        DuesPayment.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
        result.created = len(rows)
    return result


@dataclass
class BranchArrears:
    branch_id: int
    branch_name: str
    branch_code: str
    due: Decimal
    paid: Decimal
    months_in_arrears: int
    members_in_arrears: int

    @property
    def owed(self) -> Decimal:
        return self.due - self.paid


def dues_arrears_by_branch(
    *, branch: Branch, start: datetime.date | None = None, end: datetime.date | None = None
) -> list[BranchArrears]:
    """Per branch of the subtree: due, paid, months and members in arrears (one GROUP BY query).

    Only months from ``start`` to ``end`` (inclusive, any day of the month) count when given.
    """
    rows = DuesPayment.objects.filter(branch__path__startswith=branch.path)
    if start is not None:
        rows = rows.filter(month__gte=month_start(start))
    if end is not None:
        rows = rows.filter(month__lte=month_start(end))
    money = DecimalField(max_digits=14, decimal_places=2)
    zero = Value(Decimal(0), output_field=money)
    short = Q(paid__lt=F("due"))
    grouped = (
        rows.values("branch_id", "branch__name", "branch__code", "branch__path")
        .annotate(
            due_sum=Coalesce(Sum("due"), zero, output_field=money),
            paid_sum=Coalesce(Sum("paid"), zero, output_field=money),
            months=Count("pk", filter=short),
            members=Count("member_id", filter=short, distinct=True),
        )
        .order_by("branch__path")
    )
    return [
        BranchArrears(
            branch_id=r["branch_id"],
            branch_name=r["branch__name"],
            branch_code=r["branch__code"],
            due=Decimal(r["due_sum"]).quantize(FEN),
            paid=Decimal(r["paid_sum"]).quantize(FEN),
            months_in_arrears=r["months"],
            members_in_arrears=r["members"],
        )
        for r in grouped
    ]
