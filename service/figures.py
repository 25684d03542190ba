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
from .models import Registration, ServiceFigures, ServiceRequest

COMPLETED = (ServiceRequest.Status.DONE, ServiceRequest.Status.RATED)


def _pct(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


class Outcome:
    """办结率 and 满意度 of requests received, as counted (``Loop``) or as stored (``Kept``): one rule for both."""

    received: int
    completed: int
    rating_sum: int
    rated: int

    @property
    def rate(self) -> Decimal | None:
        return _pct(self.completed, self.received)

    @property
    def satisfaction(self) -> Decimal | None:
        return (Decimal(self.rating_sum) / self.rated).quantize(Decimal("0.01")) if self.rated else None


@dataclass
class Loop(Outcome):
    """Requests received in the period and how they went."""

    received: int = 0
    completed: int = 0  # of those received, done or rated now (a reopened one is not, until done again)
    hours: list = field(default_factory=list)  # hours from receipt to completion, for the median
    rating_sum: int = 0
    rated: int = 0

    @property
    def median_hours(self) -> Decimal | None:
        return Decimal(str(round(statistics.median(self.hours), 1))) if self.hours else None

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
    code: str = ""  # a child summed over its subtree (a large subtree's page): its code, for the drill-down

    @property
    def rate(self) -> Decimal | None:
        return _pct(self.registered, self.employed)


@dataclass
class Kept(Outcome):
    """A Loop as stored (service.models.ServiceFigures): its median kept, not its hours."""

    received: int = 0
    completed: int = 0
    median_hours: Decimal | None = None
    rating_sum: int = 0
    rated: int = 0


@dataclass
class Figures:
    period: Period
    communities: list  # (branch, registrations, Loop or Kept)
    units: list[Unit]
    months: list  # (label, Loop or Kept)
    total: Loop | Kept
    registered: int
    employed: int
    computed_at: datetime.datetime | None = None  # stored figures: when the reports' computation made them
    units_per_child: bool = False  # a large subtree: each child's units summed (Unit.code), not every unit

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


# ---------------------------------------------------------------------------- stored with the reports


def _month_label(day) -> str:
    return f"{day.year}-{day.month:02d}"


def node_figures(*, root: Branch, period: Period, nodes: list[tuple[int, str]], today=None) -> dict[int, dict]:
    """Each node's (branch id, path) stored figures (``ServiceFigures``' fields): its own, as a community and as a
    unit, and its subtree's with the subtree's months; the same facts as ``figures`` (three queries), each one
    added to every node above it in Python (the medians from the subtree's own hours)."""
    found = facts(root=root, period=period, today=today)
    by_path = {path: pk for pk, path in nodes}
    path_of = {pk: path for pk, path in nodes}
    step, top = Branch.steplen, len(root.path)
    labels = [_month_label(m) for m in period.months]
    own = {pk: Loop() for pk in path_of}
    sub = {pk: Loop() for pk in path_of}
    months = {pk: {label: Loop() for label in labels} for pk in path_of}
    keys = ("own_registrations", "own_employed", "own_registered", "employed", "registered")
    counts = {pk: dict.fromkeys(keys, 0) for pk in path_of}

    def above(path: str):
        for end in range(len(path), top - 1, -step):
            pk = by_path.get(path[:end])
            if pk is not None:
                yield pk

    for community_id, path, status, created_at, completed_at, rating in found.requests:
        loop, label = _loop(status, created_at, completed_at, rating), _month_label(timezone.localtime(created_at))
        if community_id in own:
            own[community_id].add(loop)
        for pk in above(path):
            sub[pk].add(loop)
            months[pk].setdefault(label, Loop()).add(loop)
    for community_id, n in found.registrations.items():
        if community_id in counts:
            counts[community_id]["own_registrations"] = n
    for pk, _name, path, employed, registered in found.units:
        if pk in counts:
            counts[pk]["own_employed"], counts[pk]["own_registered"] = employed, registered
        for up in above(path):
            counts[up]["employed"] += employed
            counts[up]["registered"] += registered
    return {pk: _row(own[pk], sub[pk], months[pk], counts[pk], labels) for pk in path_of}


def _row(own: Loop, sub: Loop, months: dict, counts: dict, labels: list[str]) -> dict:
    return {
        **counts,
        "own_received": own.received,
        "own_completed": own.completed,
        "own_median_hours": own.median_hours,
        "own_rating_sum": own.rating_sum,
        "own_rated": own.rated,
        "received": sub.received,
        "completed": sub.completed,
        "median_hours": sub.median_hours,
        "rating_sum": sub.rating_sum,
        "rated": sub.rated,
        "months": [[label, months[label].received, months[label].completed, months[label].rating_sum,
                    months[label].rated] for label in labels],
    }  # fmt: skip


STORED_FIELDS = [
    "own_registrations", "own_received", "own_completed", "own_median_hours", "own_rating_sum", "own_rated",
    "own_employed", "own_registered", "received", "completed", "median_hours", "rating_sum", "rated", "employed",
    "registered", "months", "computed_at",
]  # fmt: skip


def figures_store(*, root: Branch, period: Period, nodes: list[tuple[int, str]], today=None, now=None) -> int:
    """Write the stored figures of ``nodes`` (``root``'s subtree) for ``period``: three reads and one bulk upsert
    on (branch, period), called by the reports' computation with its nodes. Returns the rows written."""
    now = now or timezone.now()
    rows = [
        ServiceFigures(branch_id=pk, period=period.label, computed_at=now, **values)
        for pk, values in node_figures(root=root, period=period, nodes=nodes, today=today).items()
    ]
    ServiceFigures.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["branch", "period"], update_fields=STORED_FIELDS, batch_size=500
    )
    return len(rows)


def _kept(row: ServiceFigures, prefix: str = "") -> Kept:
    return Kept(
        *(getattr(row, prefix + name) for name in ("received", "completed", "median_hours", "rating_sum", "rated"))
    )


def stored(*, root: Branch, period: Period, per_child: bool = False) -> Figures | None:
    """The figures of an ended ``period`` as the reports' computation stored them (one query), or None when
    ``root``'s have not been computed (or the period runs: its figures change until it ends). ``per_child`` (a
    large subtree, e.g. a city: branches.summaries.is_large): the units summed per child of ``root``, each a
    drill-down, with ``root``'s own members apart, instead of its 1,500 units."""
    if timezone.now() < period.bounds()[1]:
        return None
    units_q = Q(branch__depth=root.depth + 1, employed__gt=0) if per_child else Q(own_employed__gt=0)
    shown = Q(branch=root) | Q(own_received__gt=0) | Q(own_registrations__gt=0) | units_q
    rows = list(
        ServiceFigures.objects.filter(shown, branch__path__startswith=root.path, period=period.label)
        .select_related("branch")
        .order_by("branch__path")
    )
    top = next((row for row in rows if row.branch_id == root.pk), None)
    if top is None:
        return None
    communities = [
        (r.branch, r.own_registrations, _kept(r, "own_")) for r in rows if r.own_received or r.own_registrations
    ]
    if per_child:
        units = [Unit(root.pk, root.name, top.own_employed, top.own_registered)] if top.own_employed else []
        units += [
            Unit(r.branch_id, r.branch.name, r.employed, r.registered, r.branch.code)
            for r in rows
            if r.branch.depth == root.depth + 1 and r.employed
        ]
    else:
        units = [Unit(r.branch_id, r.branch.name, r.own_employed, r.own_registered) for r in rows if r.own_employed]
    months = [
        (label, Kept(received, completed, None, rating_sum, rated))
        for label, received, completed, rating_sum, rated in top.months
    ]
    figures = Figures(period, communities, units, months, _kept(top), top.registered, top.employed, top.computed_at)
    figures.units_per_child = per_child
    return figures


def stored_section(*, branch: Branch, period: str) -> tuple[ServiceFigures | None, list[ServiceFigures]]:
    """The reports dashboard's 为民服务 section: ``branch``'s stored figures of ``period`` and its children's
    (one query); (None, []) when not computed."""
    rows = list(
        ServiceFigures.objects.filter(
            branch__path__startswith=branch.path, branch__depth__lte=branch.depth + 1, period=period
        )
        .select_related("branch")
        .order_by("branch__path")
    )
    own = next((row for row in rows if row.branch_id == branch.pk), None)
    return own, [row for row in rows if row.branch_id != branch.pk]
