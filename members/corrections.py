"""What follows a change of the roster dated in the past: history recorded late (docs/rules/history.md).

A death, a leaving or a transfer takes effect on its date however late it is recorded. What the
site froze or computed since for the old situation is corrected when it is recorded, and the
member's history says which records were corrected (one ``MemberEvent`` line), never silently:

- the dues rows of later months (here: ``dues_correct``);
- the expected lists of the meetings since (``activities.corrections.expected_lists_correct``);
- the health checks of later periods (``health.corrections.checks_withdraw``).

Apps to the right of members register their correction in ``CORRECTIONS`` from their
``AppConfig.ready()`` (members may not import them). ``member_leave`` and ``member_transfer``
(members/services.py) call ``roster_change_correct`` inside their transaction.

When is a day "after"? ``left_on`` is the member's last day on the roster (the rosters of
health, dues and compliance count them on it); a transfer's ``occurred_on`` is their first day
in the new branch.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from branches.models import Branch

from .models import DuesPayment, Member, MemberEvent


@dataclass(frozen=True)
class RosterChange:
    """A member's leaving or transfer as recorded: what the corrections need to know."""

    member: Member
    kind: str  # MemberEvent.Kind.LEFT or TRANSFERRED
    on: datetime.date  # left_on (the last day on the roster) or the transfer's first day in the new branch
    from_branch: Branch
    to_branch: Branch | None  # the new branch of a transfer; None for a leaving
    reason: str  # what the history and the cancelled rows say: "死亡", "转出"…, or "转接" for a transfer
    by: Any = None

    @property
    def is_leaving(self) -> bool:
        return self.kind == MemberEvent.Kind.LEFT

    @property
    def first_day_after(self) -> datetime.date:
        """The first day on which the old situation no longer holds."""
        return self.on + datetime.timedelta(days=1) if self.is_leaving else self.on


# Each takes the change and returns one line for the member's history ("" when nothing changed).
CORRECTIONS: list[Callable[[RosterChange], str]] = []


def roster_change_correct(*, change: RosterChange) -> MemberEvent | None:
    """Correct every record made since ``change.on`` for the old situation; one history line says
    what was corrected (none when nothing was). Called inside the recording service's transaction."""
    lines = [line for line in [dues_correct(change), *(c(change) for c in CORRECTIONS)] if line]
    if not lines:
        return None
    return MemberEvent.objects.create(
        member=change.member,
        kind=MemberEvent.Kind.UPDATED,
        occurred_on=change.on,
        from_branch=change.from_branch,
        to_branch=change.to_branch,
        detail=f"{change.reason}（{change.on:%Y-%m-%d}）后的记录更正：" + "；".join(lines),
        by=change.by,
    )


def dues_correct(change: RosterChange) -> str:
    """Unpaid dues rows of the months after the change: cancelled on a leaving (``cancel_reason`` the
    reason: "死亡", "转出"…), handed to the new branch on a transfer (the new branch collects them).
    Rows with any payment stay as they are. Saved row by row, so django-auditlog logs each."""
    rows = DuesPayment.objects.select_for_update().filter(member=change.member, paid=0, cancelled_at=None)
    if change.is_leaving:
        rows = list(rows.filter(month__gt=change.on))  # months starting after the last day
        now = timezone.now()
        for row in rows:
            row.cancelled_at, row.cancel_reason = now, change.reason
            row.save(update_fields=["cancelled_at", "cancel_reason", "updated_at"])
        return f"注销{len(rows)}个月未缴党费（{_months(rows)}）" if rows else ""
    rows = list(rows.filter(month__gte=change.on).exclude(branch=change.to_branch))  # months starting on or after
    for row in rows:
        row.branch = change.to_branch
        row.save(update_fields=["branch", "updated_at"])
    return f"{len(rows)}个月未缴党费转由{change.to_branch.name}收缴（{_months(rows)}）" if rows else ""


def _months(rows) -> str:
    return "、".join(f"{row.month:%Y-%m}" for row in sorted(rows, key=lambda r: r.month))
