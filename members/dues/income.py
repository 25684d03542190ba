"""Declared monthly income (月收入), which the dues brackets apply to, and the month it applies from.

The base is the monthly income less personal income tax (关于中国共产党党费收缴、使用和管理的规定
art. 1). A new income applies from the month it is effective (art. 10): each declaration is an
``IncomeChange`` with its ``effective_month``, the month's and later rows still unpaid get the new
due (``payments.dues_recalculate_unpaid``; rows paid in full or in part never change), and the
change is written to the member's history. ``Member.monthly_income`` is the income in force now.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.periods import month_start

from ..models import Member, MemberEvent
from .models import IncomeChange
from .payments import dues_recalculate_unpaid
from .rules import FEN, DuesError, month_label

MAX_INCOME = Decimal("99999999.99")  # what the column holds (10 digits, 2 places)


def _label(amount: Decimal | None) -> str:
    return "未申报" if amount is None else f"{Decimal(amount).quantize(FEN)}元"


def _check_income(monthly_income) -> Decimal | None:
    if monthly_income is None:
        return None
    monthly_income = Decimal(monthly_income)
    if monthly_income < 0:
        raise DuesError("月收入不能为负数", code="negative_income", field="monthly_income")
    if monthly_income > MAX_INCOME:
        raise DuesError("月收入超出可记录的范围", code="income_too_large", field="monthly_income")
    if monthly_income != monthly_income.quantize(FEN):
        raise DuesError("月收入最多保留两位小数（分）", code="income_precision", field="monthly_income")
    return monthly_income.quantize(FEN)


def _check_month(member: Member, month: datetime.date, today: datetime.date) -> None:
    if month > month_start(today):
        raise DuesError("生效月份不能晚于本月", code="future_month", field="effective_month")
    if month < month_start(member.joined_on):
        raise DuesError("生效月份早于入党日期", code="before_joined", field="effective_month")


def income_in_force(member: Member, month: datetime.date) -> Decimal | None:
    """The income declared for ``month``: the latest change effective by then, else the current declaration."""
    change = member.income_changes.filter(effective_month__lte=month).order_by(
        "-effective_month", "-recorded_at", "-pk"
    )
    latest = change.values_list("monthly_income", flat=True).first()
    return member.monthly_income if latest is None else latest


def member_income_declare(
    *, member: Member, monthly_income: Decimal | None, effective_month: datetime.date | None = None, by=None
) -> Member:
    """Declare ``member``'s monthly after-tax income from ``effective_month`` (default: this month).

    ``None`` withdraws a declaration that has no recorded change yet (未申报): no month is
    recalculated, and months generated afterwards wait for a new one (``income_required``). Once
    changes are recorded the history stays: a new income is declared instead.
    """
    monthly_income = _check_income(monthly_income)
    if not member.is_active:
        raise DuesError(f"{member.name}已离册", code="inactive")
    today = timezone.localdate()
    month = month_start(effective_month or today)
    _check_month(member, month, today)
    if monthly_income is None:
        return _withdraw(member, by=by)
    old = income_in_force(member, month)
    if old == monthly_income:
        return member
    with transaction.atomic():
        _keep_baseline(member, before=month, by=by)
        IncomeChange.objects.create(member=member, monthly_income=monthly_income, effective_month=month, recorded_by=by)
        current = income_in_force(member, month_start(today))
        if current != member.monthly_income:
            member.monthly_income = current
            member.save(update_fields=["monthly_income", "updated_at"])
        changed = dues_recalculate_unpaid(member=member, from_month=month, by=by)
        detail = f"申报月收入：{_label(old)} → {_label(monthly_income)}（自{month_label(month)}起）"
        if changed:
            detail += f"；重算未缴月份{len(changed)}个"
        MemberEvent.objects.create(
            member=member, kind=MemberEvent.Kind.UPDATED, occurred_on=today, detail=detail, by=by
        )
    return member


def _keep_baseline(member: Member, *, before: datetime.date, by=None) -> None:
    """Before a member's first recorded change, the declaration then current applied to every month
    (the site kept no history): it is recorded from the month of joining, so that months before the
    new one keep being computed on it."""
    joined = month_start(member.joined_on)
    if member.monthly_income is None or before <= joined or member.income_changes.exists():
        return
    IncomeChange.objects.create(
        member=member, monthly_income=member.monthly_income, effective_month=joined, recorded_by=by
    )


def _withdraw(member: Member, *, by=None) -> Member:
    if member.monthly_income is None:
        return member
    if member.income_changes.exists():
        raise DuesError(
            "已有月收入变更记录，不能改为未申报，请填写新的月收入", code="income_history", field="monthly_income"
        )
    with transaction.atomic():
        old = member.monthly_income
        member.monthly_income = None
        member.save(update_fields=["monthly_income", "updated_at"])
        MemberEvent.objects.create(
            member=member,
            kind=MemberEvent.Kind.UPDATED,
            occurred_on=timezone.localdate(),
            detail=f"申报月收入：{_label(old)} → 未申报",
            by=by,
        )
    return member
