"""Declared monthly income (月收入), which the dues brackets apply to.

A change is kept in the member's history. Rows of months already generated keep the due
they were given (``members.dues.rules``); the new income applies to months generated afterwards.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ..models import Member, MemberEvent
from .rules import FEN, DuesError

MAX_INCOME = Decimal("99999999.99")  # what the column holds (10 digits, 2 places)


def _label(amount: Decimal | None) -> str:
    return "未申报" if amount is None else f"{amount}元"


def member_income_declare(*, member: Member, monthly_income: Decimal | None, by=None) -> Member:
    """Set ``member``'s declared monthly after-tax income (None: not declared) and log the change."""
    if monthly_income is not None:
        monthly_income = Decimal(monthly_income)
        if monthly_income < 0:
            raise DuesError("月收入不能为负数", code="negative_income", field="monthly_income")
        if monthly_income > MAX_INCOME:
            raise DuesError("月收入超出可记录的范围", code="income_too_large", field="monthly_income")
        if monthly_income != monthly_income.quantize(FEN):
            raise DuesError("月收入最多保留两位小数（分）", code="income_precision", field="monthly_income")
        monthly_income = monthly_income.quantize(FEN)
    if not member.is_active:
        raise DuesError(f"{member.name}已离册", code="inactive")
    old = member.monthly_income
    if old == monthly_income:
        return member
    with transaction.atomic():
        member.monthly_income = monthly_income
        member.save(update_fields=["monthly_income", "updated_at"])
        MemberEvent.objects.create(
            member=member,
            kind=MemberEvent.Kind.UPDATED,
            occurred_on=timezone.localdate(),
            detail=f"申报月收入：{_label(old)} → {_label(monthly_income)}",
            by=by,
        )
    return member
