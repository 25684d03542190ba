"""Hardship reductions and waivers of dues (党费减免), approved by the higher committee.

关于中国共产党党费收缴、使用和管理的规定 art. 7: a member for whom paying is truly difficult may pay
less or nothing, once the branch has studied it and the higher Party committee has approved it. The
branch records the reduction with that approval (``approving_org`` and ``approved_on`` required);
from its first month the member's due is the reduced amount (0: waived), and the month's unpaid
rows already generated follow it (``payments.dues_recalculate_unpaid``). Each reduction and its end
is written to the member's history.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.periods import add_months, month_start

from ..models import Member, MemberEvent
from .models import DuesReduction
from .payments import dues_recalculate_unpaid
from .rules import DuesError, check_amount, month_label

TEXT_LIMIT = 100  # approving_org and document_number columns


def _check_months(member: Member, starts_on: datetime.date, ends_on: datetime.date | None) -> None:
    if starts_on < month_start(member.joined_on):
        raise DuesError("减免起始月份早于入党日期", code="before_joined", field="starts_on")
    if ends_on is not None and ends_on < starts_on:
        raise DuesError("减免截止月份不能早于起始月份", code="ends_before_start", field="ends_on")


def _check_approval(*, reason: str, approving_org: str, approved_on: datetime.date | None, document_number: str):
    if not reason:
        raise DuesError("请填写减免理由", code="reason_required", field="reason")
    if not approving_org:
        raise DuesError("请填写批准减免的上一级党委", code="approval_required", field="approving_org")
    if len(approving_org) > TEXT_LIMIT:
        raise DuesError(f"批准组织最多{TEXT_LIMIT}个字", code="too_long", field="approving_org")
    if len(document_number) > TEXT_LIMIT:
        raise DuesError(f"文号最多{TEXT_LIMIT}个字", code="too_long", field="document_number")
    if approved_on is None:
        raise DuesError("请填写上一级党委的批准日期", code="approval_required", field="approved_on")
    if approved_on > timezone.localdate():
        raise DuesError("批准日期不能晚于今天", code="future_date", field="approved_on")


def _overlapping(member: Member, starts_on: datetime.date, ends_on: datetime.date | None, exclude=None):
    rows = DuesReduction.objects.filter(member=member).exclude(ends_on__lt=starts_on)
    if ends_on is not None:
        rows = rows.filter(starts_on__lte=ends_on)
    if exclude is not None:
        rows = rows.exclude(pk=exclude.pk)
    return rows.order_by("starts_on").first()


def _span(starts_on: datetime.date, ends_on: datetime.date | None) -> str:
    return f"{month_label(starts_on)}起" if ends_on is None else f"{month_label(starts_on)}至{month_label(ends_on)}"


def dues_reduction_create(
    *,
    member: Member,
    starts_on: datetime.date,
    amount: Decimal,
    reason: str,
    approving_org: str,
    approved_on: datetime.date | None,
    ends_on: datetime.date | None = None,
    document_number: str = "",
    by=None,
) -> DuesReduction:
    """Record a reduction (``amount`` the reduced monthly due, 0 waived) from ``starts_on``'s month
    to ``ends_on``'s (open when None), approved by ``approving_org`` on ``approved_on``."""
    starts_on = month_start(starts_on)
    ends_on = month_start(ends_on) if ends_on is not None else None
    amount = check_amount(amount, field="amount", label="减免后月应缴")
    reason, approving_org, document_number = reason.strip(), approving_org.strip(), document_number.strip()
    if not member.is_active:
        raise DuesError(f"{member.name}已离册", code="inactive")
    _check_months(member, starts_on, ends_on)
    _check_approval(
        reason=reason, approving_org=approving_org, approved_on=approved_on, document_number=document_number
    )
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).first()  # one writer of a member's reductions
        clash = _overlapping(member, starts_on, ends_on)
        if clash is not None:
            raise DuesError(
                f"与已记录的减免（{_span(clash.starts_on, clash.ends_on)}）时间重叠", code="overlap", field="starts_on"
            )
        reduction = DuesReduction.objects.create(
            member=member,
            starts_on=starts_on,
            ends_on=ends_on,
            amount=amount,
            reason=reason,
            approving_org=approving_org,
            approved_on=approved_on,
            document_number=document_number,
            recorded_by=by,
        )
        changed = dues_recalculate_unpaid(member=member, from_month=starts_on, by=by)
        what = "免交党费" if amount == 0 else f"每月减为{amount}元"
        MemberEvent.objects.create(
            member=member,
            kind=MemberEvent.Kind.UPDATED,
            occurred_on=timezone.localdate(),
            detail=f"党费减免：{_span(starts_on, ends_on)}{what}（{approving_org} {approved_on:%Y-%m-%d} 批准）"
            + _recalculated(changed),
            by=by,
        )
    return reduction


def dues_reduction_end(*, reduction: DuesReduction, last_month: datetime.date, by=None) -> DuesReduction:
    """End ``reduction`` with ``last_month`` (its last reduced month); later unpaid rows are due in full again."""
    last_month = month_start(last_month)
    if last_month < reduction.starts_on:
        raise DuesError("截止月份不能早于减免起始月份", code="ends_before_start", field="ends_on")
    if reduction.ends_on is not None and last_month >= reduction.ends_on:
        raise DuesError(
            f"该减免已于{month_label(reduction.ends_on)}截止，只能提前结束", code="not_earlier", field="ends_on"
        )
    member = reduction.member
    with transaction.atomic():
        reduction.ends_on = last_month
        reduction.save(update_fields=["ends_on"])
        changed = dues_recalculate_unpaid(member=member, from_month=add_months(last_month, 1), by=by)
        MemberEvent.objects.create(
            member=member,
            kind=MemberEvent.Kind.UPDATED,
            occurred_on=timezone.localdate(),
            detail=f"党费减免结束：{_span(reduction.starts_on, last_month)}" + _recalculated(changed),
            by=by,
        )
    return reduction


def _recalculated(changed: list) -> str:
    return f"；重算未缴月份{len(changed)}个" if changed else ""
