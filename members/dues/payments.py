"""党费 rows: generating a month's, recording a payment, recalculating unpaid rows.

The amounts come from ``members.dues.rules`` through ``members.dues.basis`` (the income in force
that month, the branch's farmers' rate, a hardship reduction). A row that holds a payment never
changes its due; a cancelled row (``cancelled_at``: a death or transfer recorded late) is not due
and takes no payment. Paid above the due is voluntary (自愿多交, art. 11), kept in ``voluntary``:
``paid`` never exceeds ``due``, so nothing paid in one month counts for another.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from branches.models import Branch
from core.periods import month_start

from ..models import DuesPayment, Member
from .basis import DuesBasis, Payer, basis_for
from .rules import DuesError, check_amount, month_label
from .selectors import month_roster


def _income_required(member) -> DuesError:
    return DuesError(f"{member.name}未申报月收入，无法计算应缴党费", code="income_required", field="monthly_income")


def member_due(member: Member, month: datetime.date) -> Decimal:
    """The member's due for ``month`` by today's rules (for a row not generated yet)."""
    due = basis_for([member], first=month_start(month)).due(member.pk, month_start(month))
    if due is None:
        raise _income_required(member)
    return due


def _check_payment(*, paid: Decimal, voluntary: Decimal, paid_on: datetime.date | None) -> None:
    if (paid > 0 or voluntary > 0) and paid_on is None:
        raise DuesError("请填写缴纳日期", code="paid_on_required", field="paid_on")
    if paid_on is not None and paid_on > timezone.localdate():
        raise DuesError("缴纳日期不能晚于今天", code="future_date", field="paid_on")


def split_payment(due: Decimal, paid: Decimal, voluntary: Decimal) -> tuple[Decimal, Decimal]:
    """(towards the due, voluntary): what is paid beyond the due is voluntary."""
    if paid > due:
        return due, voluntary + paid - due
    return paid, voluntary


def dues_record(
    *,
    member: Member,
    month: datetime.date,
    paid: Decimal,
    paid_on: datetime.date | None,
    voluntary: Decimal = Decimal(0),
    by=None,
) -> DuesPayment:
    """Record what ``member`` paid for ``month`` (any day of it); creates the month's row if missing.

    An existing row keeps its due; a new one gets the month's due by today's rules. ``paid``
    beyond the due is added to ``voluntary``.
    """
    month = month_start(month)
    paid = check_amount(paid, field="paid", label="实缴金额")
    voluntary = check_amount(voluntary or 0, field="voluntary", label="自愿多交金额")
    _check_payment(paid=paid, voluntary=voluntary, paid_on=paid_on)
    if month < month_start(member.joined_on):
        raise DuesError("该月份早于入党日期", code="before_joined", field="month")
    with transaction.atomic():
        row = DuesPayment.objects.select_for_update().filter(member=member, month=month).first()
        if row is None:
            row = DuesPayment(member=member, branch_id=member.branch_id, month=month, due=member_due(member, month))
        elif row.cancelled_at is not None:
            reason = f"（{row.cancel_reason}）" if row.cancel_reason else ""
            raise DuesError(f"{month_label(month)}的党费已作废{reason}，不能记录缴纳", code="cancelled", field="month")
        row.paid, row.voluntary = split_payment(row.due, paid, voluntary)
        row.paid_on = paid_on if row.paid > 0 or row.voluntary > 0 else None
        row.recorded_by = by
        row.save()
    return row


@dataclass
class GenerateResult:
    created: int = 0
    existing: int = 0
    missing_income: list[Member] = field(default_factory=list)


def dues_generate_month(*, branch: Branch, month: datetime.date, by=None) -> GenerateResult:
    """Create the month's due rows for every member on the roster of ``branch``'s subtree that month.

    Set-based: one read of the roster, three of what the dues are computed from, one bulk insert;
    rows that already exist (cancelled ones too) are kept as they are, so running it twice changes
    nothing. Members whose due cannot be computed (no declared income) are listed in the result
    and get no row.
    """
    first = month_start(month)
    roster = month_roster(branch=branch, month=first)
    members = list(roster.select_related("branch").only("pk", "name", "branch__path", "occupation", "monthly_income"))
    with transaction.atomic():
        existing = set(
            DuesPayment.objects.filter(month=first, member__in=roster.values("pk")).values_list("member_id", flat=True)
        )
        result = GenerateResult(existing=len(existing))
        todo = [m for m in members if m.pk not in existing]
        basis = DuesBasis([Payer.of(m) for m in todo], first=first, last=first)
        rows = []
        for member in todo:
            due = basis.due(member.pk, first)
            if due is None:
                result.missing_income.append(member)
                continue
            rows.append(DuesPayment(member=member, branch_id=member.branch_id, month=first, due=due, recorded_by=by))
        DuesPayment.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
        result.created = len(rows)
    return result


def unpaid_rows(member: Member, from_month: datetime.date):
    """The member's rows from ``from_month`` on that hold nothing paid and are not cancelled."""
    return DuesPayment.objects.filter(
        member=member, month__gte=from_month, cancelled_at__isnull=True, paid=0, voluntary=0
    ).order_by("month")


def dues_recalculate_unpaid(*, member: Member, from_month: datetime.date, by=None) -> list[tuple]:
    """Give the member's unpaid rows from ``from_month`` on the due of today's rules for their month.

    Rows paid in full or in part, and cancelled rows, keep theirs (art. 10: a new income applies
    from its month; what was paid stands). Each changed row is saved on its own, so that the audit
    trail keeps its before and after (a member has a handful of unpaid months). Returns
    (month, old, new) of each change.
    """
    with transaction.atomic():
        rows = list(unpaid_rows(member, from_month).select_for_update())
        if not rows:
            return []
        basis = basis_for([member], first=rows[0].month, last=rows[-1].month)
        changed = []
        for row in rows:
            due = basis.due(member.pk, row.month)
            if due is None or due == row.due:
                continue
            changed.append((row.month, row.due, due))
            row.due = due
            row.save(update_fields=["due", "updated_at"])
    return changed
