"""The organization department's figures of 报到 and the request loop over a subtree (docs/rules/service.md):
per community (requests received, completed, 办结率, median time to completion, satisfaction), per unit
(报到率: members reported and current / employed members on the unit's roster), per month, and the
subtree's total. A fixed number of queries, whatever the subtree's size."""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.utils import timezone

from branches.models import Branch
from core.periods import Period, month_index
from members.models import Member

from . import rules
from .models import Registration, ServiceRequest

COMPLETED = (ServiceRequest.Status.DONE, ServiceRequest.Status.RATED)


def _pct(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Loop:
    """Requests received in the period and how they went."""

    received: int = 0
    completed: int = 0  # of those received, done or rated now (a reopened one is not, until done again)
    hours: list = field(default_factory=list)  # hours from receipt to completion, for the median
    rating_sum: int = 0
    rated: int = 0

    @property
    def rate(self) -> Decimal | None:
        return _pct(self.completed, self.received)

    @property
    def median_hours(self) -> Decimal | None:
        return Decimal(str(round(statistics.median(self.hours), 1))) if self.hours else None

    @property
    def satisfaction(self) -> Decimal | None:
        return (Decimal(self.rating_sum) / self.rated).quantize(Decimal("0.01")) if self.rated else None

    def add(self, other: Loop) -> None:
        self.received += other.received
        self.completed += other.completed
        self.hours += other.hours
        self.rating_sum += other.rating_sum
        self.rated += other.rated


@dataclass
class Unit:
    branch_id: int
    name: str
    employed: int
    registered: int

    @property
    def rate(self) -> Decimal | None:
        return _pct(self.registered, self.employed)


@dataclass
class Figures:
    period: Period
    communities: list  # (branch, registrations, Loop)
    units: list[Unit]
    months: list  # (label, Loop)
    total: Loop
    registered: int
    employed: int

    @property
    def rate(self) -> Decimal | None:
        return _pct(self.registered, self.employed)


def as_of(period: Period, today) -> datetime.date:
    """The day a period's 报到率 is read on: its last day, or today while it runs."""
    return min(today, period.last_day)


def current_q(day: datetime.date, prefix: str = "") -> Q:
    """Registrations current on ``day``: made by then, not ended by then (``ended_on`` is the first day out),
    confirmed within ``SERVICE_RENEWAL_MONTHS`` (the last confirmation: a lapse before it is not kept), the member
    on the roster."""
    return Q(
        **{
            f"{prefix}registered_on__lte": day,
            f"{prefix}confirmed_on__gte": rules.current_since(day),
            f"{prefix}member__is_active": True,
        }
    ) & (Q(**{f"{prefix}ended_on": None}) | Q(**{f"{prefix}ended_on__gt": day}))


@dataclass
class Facts:
    """What the figures are made of, read in three queries: each request's community path, times and rating;
    the current registrations per community; each unit's employed members and how many of them are current."""

    requests: list  # (community id, community path, status, created_at, completed_at, rating)
    registrations: dict  # community id -> n
    units: list  # (branch id, name, path, employed, registered)


def facts(*, root: Branch, period: Period, today=None) -> Facts:
    today = today or timezone.localdate()
    start, end = period.bounds()
    requests = list(
        ServiceRequest.objects.filter(community__path__startswith=root.path, created_at__gte=start, created_at__lt=end)
        .values_list("community_id", "community__path", "status", "created_at", "completed_at", "rating")
        .order_by()
    )
    current = current_q(as_of(period, today))
    regs = dict(
        Registration.objects.filter(current, community__path__startswith=root.path)
        .values_list("community_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    units = [
        (r["branch_id"], r["branch__name"], r["branch__path"], r["n"], r["registered"])
        for r in Member.objects.filter(
            branch__path__startswith=root.path, is_active=True, occupation=Member.Occupation.EMPLOYED
        )
        .values("branch_id", "branch__name", "branch__path")
        .annotate(
            n=Count("pk"),
            registered=Count("pk", filter=Q(pk__in=Registration.objects.filter(current).values("member_id"))),
        )
        .order_by("branch__path")
    ]
    return Facts(requests, regs, units)


def _loop(status, created_at, completed_at, rating) -> Loop:
    loop = Loop(received=1)
    if status in COMPLETED and completed_at:
        loop.completed = 1
        loop.hours.append((completed_at - created_at).total_seconds() / 3600)
    if rating:
        loop.rating_sum, loop.rated = rating, 1
    return loop


def figures(*, root: Branch, period: Period, today=None) -> Figures:
    """The figures of ``root``'s subtree for ``period``, computed now. Four queries."""
    found = facts(root=root, period=period, today=today)
    by_community: dict[int, Loop] = {}
    by_month: dict[int, Loop] = {month_index(m): Loop() for m in period.months}
    total = Loop()
    for community_id, _path, status, created_at, completed_at, rating in found.requests:
        loop = _loop(status, created_at, completed_at, rating)
        by_community.setdefault(community_id, Loop()).add(loop)
        by_month.setdefault(month_index(timezone.localtime(created_at).date()), Loop()).add(loop)
        total.add(loop)
    regs = found.registrations
    ids = set(by_community) | set(regs)
    communities = [(b, regs.get(b.pk, 0), by_community.get(b.pk, Loop())) for b in Branch.objects.filter(pk__in=ids)]
    units = [Unit(pk, name, employed, registered) for pk, name, _path, employed, registered in found.units]
    months = [(f"{m.year}-{m.month:02d}", by_month[month_index(m)]) for m in period.months]
    registered = sum(u.registered for u in units)
    employed = sum(u.employed for u in units)
    return Figures(period, communities, units, months, total, registered, employed)
