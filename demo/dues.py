"""A year of 党费 for the demo and city seeds: declared incomes, then one row per member and month.

``demo.year`` adds it to a fresh seed; it reads the written plan (no query per member) and writes
with ``bulk_create``, as the dues import does (so the rows' 记录时间 is the moment of the seed):

- incomes: 在职, 流动 and 失联 members declare an after-tax income, 离退休 a pension, so that
  every due follows the design's brackets (``members.dues.rules.dues_amount``); farmers, students
  and 其他 pay the flat 0.20 yuan. One UPDATE per distinct income (rounded to 100 yuan).
- the twelve months ending with today's month, for every month a member was on the roster.
  Most pay within the month; some pay a quarter at once, some late, a few stop paying
  (arrears), 失联 members never pay. Nothing is paid after today.
- each rule of docs/rules/dues.md once: the first branch with farmers sets their amount to 0.50
  yuan from the first month (``FarmerDuesRate``); a retired member's last three months are waived
  with the town committee's approval (``DuesReduction``); two employed members pay more than their
  due, 50 yuan and 1,000 yuan (the large payment, flagged as going to the Centre).

Deterministic for a given generator: same seed, same rows.
"""

from __future__ import annotations

import calendar
import datetime
import random
from collections import Counter, defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from branches.models import Branch
from members.dues.rules import dues_amount, month_end
from members.models import DuesPayment, DuesReduction, FarmerDuesRate, Member

from .seeding import bulk_create_all

BATCH_SIZE = 2000
OCC = Member.Occupation

FARMER_RATE = Decimal("0.50")
VOLUNTARY = (Decimal("50.00"), Decimal("1000.00"))  # the second is a large payment (DUES_LARGE_VOLUNTARY)
WAIVED_MONTHS = 3

# How a member pays (weights for ordinary members; 失联 members never pay).
ON_TIME, QUARTERLY, LATE, STOPPED, PARTIAL = "on_time", "quarterly", "late", "stopped", "partial"
PAYER_WEIGHTS = {ON_TIME: 80, QUARTERLY: 8, LATE: 7, STOPPED: 3, PARTIAL: 2}


def seed_months(today: datetime.date, count: int = 12) -> list[datetime.date]:
    """First days of the ``count`` months ending with ``today``'s month, oldest first."""
    index = today.year * 12 + today.month - 1
    return [datetime.date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


def _income(member, rng: random.Random) -> Decimal | None:
    """A declared monthly income rounded to 100 yuan, or None where the flat due applies."""
    if member.occupation == OCC.RETIRED:
        value = rng.triangular(1800, 9000, 3500)
    elif member.occupation == OCC.EMPLOYED:
        value = min(30000.0, rng.lognormvariate(8.45, 0.45))  # median about 4,700 yuan
    else:
        return None
    return Decimal(int(value / 100) * 100)


def _on_roster(member, month: datetime.date) -> bool:
    if member.joined_on > month_end(month):
        return False
    return member.left_on is None or member.left_on >= month


def _day(rng: random.Random, month: datetime.date, first: int = 1, last: int | None = None) -> datetime.date:
    last = min(last or 31, calendar.monthrange(month.year, month.month)[1])
    return month.replace(day=rng.randint(first, max(first, last)))


def _payment(
    payer: str, month: datetime.date, due: Decimal, stop: datetime.date, rng: random.Random
) -> tuple[Decimal, datetime.date | None]:
    """(paid, paid_on) for one month by a payer of that kind; paid_on may lie after today (dropped later)."""
    if payer == STOPPED and month >= stop:
        return Decimal(0), None
    if payer == QUARTERLY:
        quarter_first = month.replace(month=(month.month - 1) // 3 * 3 + 1)
        return due, _day(rng, quarter_first, 1, 10)
    if payer == LATE:
        lag = rng.choice([0, 1, 1, 2])
        index = month.year * 12 + month.month - 1 + lag
        return due, _day(rng, datetime.date(index // 12, index % 12 + 1, 1), 1, 28)
    if payer == PARTIAL and rng.random() < 0.3:
        return (due / 2).quantize(Decimal("0.01")), _day(rng, month, 5, 28)
    return due, _day(rng, month, 1, 28)


def _rows_for(member, due: Decimal, months, now: datetime.datetime, rng: random.Random) -> list[DuesPayment]:
    """The member's rows, for every month on the roster, paid or not."""
    if member.situation == Member.Situation.LOST_CONTACT:
        payer, stop = STOPPED, months[0]
    else:
        payer = rng.choices(list(PAYER_WEIGHTS), weights=list(PAYER_WEIGHTS.values()))[0]
        stop = rng.choice(months[len(months) // 3 :])
    today = now.date()
    rows = []
    for month in months:
        if not _on_roster(member, month):
            continue
        paid, paid_on = _payment(payer, month, due, stop, rng)
        if paid_on is not None and (paid_on > today or (member.left_on and paid_on > member.left_on)):
            paid, paid_on = Decimal(0), None
        rows.append(
            DuesPayment(
                member_id=member.pk, branch_id=member.branch.pk, month=month, due=due, paid=paid, paid_on=paid_on
            )
        )
    return rows


def _write_incomes(incomes: dict[int, Decimal]) -> None:
    """One UPDATE per distinct income (ids in chunks), instead of one per member."""
    by_value: dict[Decimal, list[int]] = defaultdict(list)
    for pk, value in incomes.items():
        by_value[value].append(pk)
    for value in sorted(by_value):
        ids = by_value[value]
        for start in range(0, len(ids), BATCH_SIZE):
            Member.objects.filter(pk__in=ids[start : start + BATCH_SIZE]).update(monthly_income=value)


class _Policies:
    """The demo's one farmers' amount, one waiver and two voluntary payments, chosen in plan order."""

    def __init__(self, members, months: list[datetime.date]):
        active = [m for m in members if m.is_active]
        farmer = next((m for m in active if m.occupation == OCC.FARMER), None)
        self.farmer_branch = farmer.branch if farmer else None
        self.waived = next((m for m in active if m.occupation == OCC.RETIRED and m.joined_on < months[0]), None)
        self.waived_from = months[-WAIVED_MONTHS]
        self.voluntary = list(VOLUNTARY)
        self.given: list[Decimal] = []

    def due(self, member, income: Decimal | None) -> Decimal:
        if self.farmer_branch is not None and member.branch is self.farmer_branch:
            return dues_amount(occupation=member.occupation, monthly_income=income, farmer_rate=FARMER_RATE)
        return dues_amount(occupation=member.occupation, monthly_income=income)

    def adjust(self, member, rows: list[DuesPayment]) -> None:
        """Waive the chosen member's last months; give the next voluntary amount to an employed payer."""
        if member is self.waived:
            for row in rows:
                if row.month >= self.waived_from:
                    row.due, row.paid, row.paid_on = Decimal(0), Decimal(0), None
            return
        paid = [row for row in rows if row.paid_on is not None and row.paid >= row.due]
        if self.voluntary and member.occupation == OCC.EMPLOYED and member.is_active and paid:
            paid[-1].voluntary = self.voluntary.pop(0)
            self.given.append(paid[-1].voluntary)

    def write(self, months: list[datetime.date]) -> None:
        if self.farmer_branch is not None:
            FarmerDuesRate.objects.create(branch_id=self.farmer_branch.pk, amount=FARMER_RATE, effective_from=months[0])
        if self.waived is not None:
            approver = self.waived.branch.parent  # the nearest 党委 above approves (art. 7)
            while approver is not None and approver.kind != Branch.Kind.COMMITTEE:
                approver = approver.parent
            DuesReduction.objects.create(
                member_id=self.waived.pk,
                starts_on=self.waived_from,
                amount=Decimal(0),
                reason="长期患病住院，生活困难",
                approving_org=(approver or self.waived.branch).name,
                approved_on=self.waived_from - datetime.timedelta(days=10),
            )

    def summary(self) -> str:
        large = sum(1 for amount in self.given if amount >= VOLUNTARY[-1])
        return (
            f"；农民党员每月{FARMER_RATE}元 {int(self.farmer_branch is not None)} 处，"
            f"减免 {int(self.waived is not None)} 人，自愿多交 {len(self.given)} 笔（其中单笔1000元以上 {large} 笔）"
        )


def seed_dues_year(*, result, rng: random.Random, now: datetime.datetime | None = None) -> str:
    """Declared incomes and twelve months of dues for every member of a fresh seed (``SeedResult``)."""
    now = timezone.localtime(now or timezone.now())
    months = seed_months(now.date())
    incomes: dict[int, Decimal] = {}
    counts: Counter = Counter()
    policies = _Policies(result.plan.members, months)

    def rows():
        for member in result.plan.members:
            income = _income(member, rng)
            if income is not None:
                incomes[member.pk] = income
            due = policies.due(member, income)
            member_rows = _rows_for(member, due, months, now, rng)
            policies.adjust(member, member_rows)
            for row in member_rows:
                counts["paid"] += row.paid >= row.due
                yield row

    with transaction.atomic():
        counts["rows"] = bulk_create_all(DuesPayment, rows())
        _write_incomes(incomes)
        policies.write(months)
    share = counts["paid"] / counts["rows"] if counts["rows"] else 0
    return (
        f"党费 {months[0]:%Y-%m} 至 {months[-1]:%Y-%m}：{counts['rows']:,} 条月度记录，"
        f"{share:.0%} 已足额缴纳；{len(incomes):,} 名党员申报了月收入" + policies.summary()
    )
