"""What a month's due is computed from: the income in force, the branch's farmers' rate, a reduction.

``DuesBasis`` loads, for a set of members and a range of months, everything the rules of
``members.dues.rules`` need beyond the member's own row, in three queries whatever the number of
members and months, and answers ``due(member, month)`` from memory:

- the declared income in force in the month: the latest ``IncomeChange`` whose effective month is
  not after it (关于中国共产党党费收缴、使用和管理的规定 art. 10: a new income applies from the
  month it is paid); a month before any recorded change takes ``Member.monthly_income``, the
  current declaration (the site kept no income history before ``IncomeChange``);
- the farmers' monthly due (art. 6: 0.20 to 1.00 yuan, set by the branch): the latest
  ``FarmerDuesRate`` effective in the month of the member's own branch, else of the nearest
  ancestor that set one, else ``settings.DUES_FARMER_DEFAULT``;
- a hardship reduction or waiver covering the month (art. 7): the month's due is the reduced
  amount (never more than the computed due).

Used by the month's generation, recording, the recalculation of unpaid rows, the import and the
pages that show what a month would be due, so that the rule is written once.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from branches.models import Branch

from .models import DuesReduction, FarmerDuesRate, IncomeChange
from .rules import dues_amount, farmer_default

STEP = Branch.steplen


@dataclass(frozen=True)
class Payer:
    """The member's own facts a due depends on (a model instance or a ``values()`` row will do)."""

    pk: int
    occupation: str
    monthly_income: Decimal | None
    branch_path: str

    @classmethod
    def of(cls, member) -> Payer:
        return cls(member.pk, member.occupation, member.monthly_income, member.branch.path)

    @classmethod
    def from_values(cls, row: dict) -> Payer:
        return cls(row["pk"], row["occupation"], row["monthly_income"], row["branch__path"])


def _ancestors(path: str) -> list[str]:
    """``path`` and the paths above it, deepest first."""
    return [path[:end] for end in range(len(path), 0, -STEP)]


class DuesBasis:
    """Income changes, reductions and farmers' rates of ``payers`` for months ``first``..``last``."""

    def __init__(self, payers: Iterable[Payer], *, first: datetime.date, last: datetime.date):
        self.payers = {p.pk: p for p in payers}
        ids = list(self.payers)
        self.incomes: dict[int, list[tuple[datetime.date, Decimal]]] = defaultdict(list)
        self.reductions: dict[int, list[DuesReduction]] = defaultdict(list)
        self.rates: dict[str, list[tuple[datetime.date, Decimal]]] = defaultdict(list)
        if not ids:
            return
        changes = IncomeChange.objects.filter(member_id__in=ids, effective_month__lte=last).order_by(
            "member_id", "effective_month", "recorded_at", "pk"
        )
        for member_id, month, income in changes.values_list("member_id", "effective_month", "monthly_income"):
            self.incomes[member_id].append((month, income))
        reductions = DuesReduction.objects.filter(member_id__in=ids, starts_on__lte=last).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=first)
        )
        for reduction in reductions.order_by("member_id", "starts_on", "pk"):
            self.reductions[reduction.member_id].append(reduction)
        paths = {a for p in self.payers.values() for a in _ancestors(p.branch_path)}
        rates = FarmerDuesRate.objects.filter(effective_from__lte=last, branch__path__in=sorted(paths))
        for path, since, amount in rates.order_by("effective_from", "set_at", "pk").values_list(
            "branch__path", "effective_from", "amount"
        ):
            self.rates[path].append((since, amount))

    def income(self, payer: Payer, month: datetime.date) -> Decimal | None:
        in_force = [income for since, income in self.incomes.get(payer.pk, ()) if since <= month]
        return in_force[-1] if in_force else payer.monthly_income

    def farmer_rate(self, path: str, month: datetime.date) -> Decimal:
        source = self.farmer_rate_source(path, month)
        if source is None:
            return farmer_default()
        return [amount for since, amount in self.rates[source] if since <= month][-1]

    def farmer_rate_source(self, path: str, month: datetime.date) -> str | None:
        """The path of the nearest branch at or above ``path`` with a rate in force in ``month``."""
        for ancestor in _ancestors(path):
            if any(since <= month for since, _amount in self.rates.get(ancestor, ())):
                return ancestor
        return None

    def reduction(self, member_id: int, month: datetime.date) -> DuesReduction | None:
        covering = [
            r
            for r in self.reductions.get(member_id, ())
            if r.starts_on <= month and (r.ends_on is None or r.ends_on >= month)
        ]
        return covering[-1] if covering else None

    def due(self, member_id: int, month: datetime.date) -> Decimal | None:
        """The month's due of the member; ``None`` when the income must be declared first."""
        payer = self.payers[member_id]
        due = dues_amount(
            occupation=payer.occupation,
            monthly_income=self.income(payer, month),
            farmer_rate=self.farmer_rate(payer.branch_path, month),
        )
        reduction = self.reduction(member_id, month)
        if reduction is None:
            return due
        return reduction.amount if due is None else min(due, reduction.amount)


def basis_for(members, *, first: datetime.date, last: datetime.date | None = None) -> DuesBasis:
    """The basis of model instances (with their branch loaded) for months ``first``..``last``."""
    return DuesBasis([Payer.of(m) for m in members], first=first, last=last or first)
