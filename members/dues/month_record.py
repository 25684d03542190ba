"""本月全部已缴: a whole month of a branch recorded in one form, the members who did not pay ticked.

``month_sheet`` reads what the form lists (the month's roster with each member's row and due, in
pinyin order); ``dues_record_month`` writes it. Every active member on the month's roster pays the
month's due in full on the day given, except the members ticked as not paid, whose row is generated
with nothing paid (so that the arrears count it). A row already paid in full keeps its payment; a
cancelled row (a death or transfer recorded late) and a member whose due cannot be computed (no
declared income) are left out and listed. Each written row is saved on its own, so that the audit
trail keeps its before and after: the form is for one 党支部's month, at most ``MONTH_RECORD_LIMIT``
members (a 党委 records each of its branches on the branch's page).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from branches.models import Branch
from core.periods import month_start

from ..models import DuesPayment, Member
from .basis import DuesBasis, Payer
from .payments import _check_payment
from .rules import DuesError, month_label
from .selectors import month_roster

# The members one form may hold: a 党支部's month (one of more than 50 members is flagged already).
MONTH_RECORD_LIMIT = 200

PAID, OWED, CANCELLED, NO_INCOME = "paid", "owed", "cancelled", "no_income"


@dataclass
class SheetRow:
    member: Member
    row: DuesPayment | None
    due: Decimal | None  # the row's, else the month's by today's rules; None: no declared income

    @property
    def state(self) -> str:
        if self.row is not None and self.row.cancelled_at is not None:
            return CANCELLED
        if self.due is None:
            return NO_INCOME
        if self.row is not None and self.row.paid >= self.row.due:
            return PAID
        return OWED

    @property
    def choosable(self) -> bool:
        """On the form: a member the month's record would mark paid unless ticked."""
        return self.state == OWED


def month_sheet(*, branch: Branch, month: datetime.date, lock: bool = False) -> list[SheetRow]:
    """The active members on ``branch``'s roster for ``month``, each with their row and due, in
    pinyin order; ``lock``: the rows locked for the write. At most five queries: the roster, its
    rows, what the dues of members without a row are computed from (three)."""
    first = month_start(month)
    members = list(
        month_roster(branch=branch, month=first)
        .filter(is_active=True)
        .select_related("branch")
        .order_by("branch__path", "name_pinyin", "name", "pk")[: MONTH_RECORD_LIMIT + 1]
    )
    if len(members) > MONTH_RECORD_LIMIT:
        raise DuesError(
            f"本月名单超过{MONTH_RECORD_LIMIT}人，请在各党支部的党费页面分别整月登记",
            code="too_many_members",
        )
    found = DuesPayment.objects.filter(month=first, member__in=[m.pk for m in members])
    rows = {r.member_id: r for r in (found.select_for_update() if lock else found)}
    missing = [m for m in members if m.pk not in rows]
    basis = DuesBasis([Payer.of(m) for m in missing], first=first, last=first) if missing else None
    sheet = []
    for member in members:
        row = rows.get(member.pk)
        due = row.due if row is not None else basis.due(member.pk, first)
        sheet.append(SheetRow(member, row, due))
    return sheet


@dataclass
class MonthRecordResult:
    paid: list[Member] = field(default_factory=list)  # recorded as paid in full now
    unpaid: list[Member] = field(default_factory=list)  # ticked: the row generated, nothing paid
    already_paid: int = 0
    left_out: list[SheetRow] = field(default_factory=list)  # cancelled rows, no declared income


def dues_record_month(
    *, branch: Branch, month: datetime.date, paid_on: datetime.date | None, unpaid: Iterable[int], by=None
) -> MonthRecordResult:
    """Record ``month`` for ``branch``'s members: all paid in full on ``paid_on`` but those in ``unpaid``
    (member ids). The caller checks that ``by`` manages ``branch``. All or nothing."""
    first = month_start(month)
    _check_payment(
        paid=Decimal(1), voluntary=Decimal(0), paid_on=paid_on
    )  # as for one payment: a day, not later than today
    unpaid = set(unpaid)
    with transaction.atomic():
        sheet = month_sheet(branch=branch, month=first, lock=True)
        strangers = unpaid - {line.member.pk for line in sheet if line.choosable}
        if strangers:
            raise DuesError(
                f"勾选的党员不在{month_label(first)}待缴名单中，请刷新页面后重新勾选",
                code="not_on_sheet",
                field="unpaid",
            )
        result = MonthRecordResult()
        for line in sheet:
            if line.state == PAID:
                result.already_paid += 1
            elif line.state != OWED:
                result.left_out.append(line)
            elif line.member.pk in unpaid:
                if line.row is None:  # generated, so that the arrears count it
                    _new_row(line, first, by).save()
                result.unpaid.append(line.member)
            else:
                row = line.row or _new_row(line, first, by)
                row.paid, row.paid_on, row.recorded_by = row.due, paid_on, by
                row.save()
                result.paid.append(line.member)
    return result


def _new_row(line: SheetRow, month: datetime.date, by) -> DuesPayment:
    member = line.member
    return DuesPayment(member=member, branch_id=member.branch_id, month=month, due=line.due, recorded_by=by)
