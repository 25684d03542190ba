"""Compliance with the meeting rules: which required meetings each branch held, which are missing.

Who must hold what (the design's table, with these choices):

- 支部党员大会, 党课, 主题党日, 组织生活会, 民主评议党员: every 党支部, and every 党总支 that keeps
  members directly (its own members need organizational life like a branch's).
- 支委会: those same units when they have a committee, i.e. at least 7 active full members
  of their own (current roster).
- 党小组会: every 党小组 that has active members, each on its own.
- 党委 and 党员中心户 have no requirement of their own; they appear in the roll-ups.

What counts: activities marked held whose start falls in the window. A 党课 or 主题党日 held
at a higher node (a general branch's 党课 for its whole subtree) counts for every unit below it;
the other kinds count only at the unit itself.

Rules: ``DEFAULT_RULES`` unless a ``MeetingRule`` covers the unit: the rule of the deepest
covering branch, the latest ``effective_from`` among its rules, among those in force when the
requested period begins. A rule with ``min_count`` 0 lifts the requirement.

Windows: a rule finer than the requested period is checked in each of its windows inside it
(a monthly 主题党日 in a quarter: three months); a coarser one in the window containing the
period (组织生活会 in a month's report: the year). A window that is not over yet and not met
is ``pending``, not ``missing``.

Queries: five, whatever the subtree's size (branches, two member counts, rules, held counts
grouped by branch, kind and month).
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from branches.models import Branch
from core.periods import MONTH, QUARTER, YEAR, Period
from members.models import Member

from .models import Activity, MeetingRule

Kind = Activity.Kind
# A rule's period (MeetingRule.Period) is one of core.periods' kinds: MONTH, QUARTER, YEAR.

DEFAULT_RULES: dict[str, tuple[str, int]] = {
    Kind.BRANCH_ASSEMBLY: (QUARTER, 1),
    Kind.COMMITTEE_MEETING: (MONTH, 1),
    Kind.GROUP_MEETING: (MONTH, 1),
    Kind.PARTY_LECTURE: (QUARTER, 1),
    Kind.THEME_DAY: (MONTH, 1),
    Kind.ORG_LIFE_MEETING: (YEAR, 1),
    Kind.DEMOCRATIC_REVIEW: (YEAR, 1),
}
REQUIRED_KINDS = list(DEFAULT_RULES)
UNIT_KINDS = [k for k in REQUIRED_KINDS if k not in (Kind.GROUP_MEETING, Kind.COMMITTEE_MEETING)]
# Kinds for which an activity at a higher node counts for the units below it.
INHERITED_KINDS = {Kind.PARTY_LECTURE, Kind.THEME_DAY}
COMMITTEE_MIN_FULL_MEMBERS = 7

MET, MISSING, PENDING = "met", "missing", "pending"
STATUS_LABELS = {MET: "已完成", MISSING: "缺", PENDING: "未到期"}
_RANK = {MET: 0, PENDING: 1, MISSING: 2}


# --- results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One requirement in one window: at least ``required`` held, ``held`` were."""

    kind: str
    window: Period
    required: int
    held: int
    status: str

    @property
    def kind_display(self) -> str:
        return Kind(self.kind).label


@dataclass
class Tally:
    required: int = 0
    met: int = 0
    missing: int = 0
    pending: int = 0

    def add(self, status: str) -> None:
        self.required += 1
        setattr(self, status, getattr(self, status) + 1)

    @property
    def ok(self) -> bool:
        return self.missing == 0


@dataclass
class Cell:
    """A unit's requirement of one kind over the whole requested period."""

    kind: str
    held: int
    required: int
    status: str


@dataclass
class BranchCompliance:
    branch: Branch
    lines: list[Line] = field(default_factory=list)

    @property
    def missing(self) -> list[Line]:
        return [line for line in self.lines if line.status == MISSING]

    @property
    def ok(self) -> bool:
        return not self.missing

    def cells(self) -> dict[str, Cell]:
        """Per kind: held (capped per window) over required, and the worst status."""
        cells: dict[str, Cell] = {}
        for line in self.lines:
            cell = cells.setdefault(line.kind, Cell(line.kind, 0, 0, MET))
            cell.held += min(line.held, line.required)
            cell.required += line.required
            if _RANK[line.status] > _RANK[cell.status]:
                cell.status = line.status
        return cells


@dataclass
class ComplianceReport:
    period: Period
    root: Branch
    branches: list[BranchCompliance]
    today: datetime.date

    def units_under(self, branch: Branch | None = None) -> list[BranchCompliance]:
        path = (branch or self.root).path
        return [b for b in self.branches if b.branch.path.startswith(path)]

    def for_branch(self, branch: Branch) -> BranchCompliance | None:
        return next((b for b in self.branches if b.branch.pk == branch.pk), None)

    def rollup(self, branch: Branch | None = None) -> dict[str, Tally]:
        """Per kind, over the units under ``branch`` (default: the whole subtree): lines met, missing, pending."""
        tallies = {kind: Tally() for kind in REQUIRED_KINDS}
        for unit in self.units_under(branch):
            for line in unit.lines:
                tallies[line.kind].add(line.status)
        return tallies

    def total(self, branch: Branch | None = None) -> Tally:
        total = Tally()
        for unit in self.units_under(branch):
            for line in unit.lines:
                total.add(line.status)
        return total

    def missing_units(self, branch: Branch | None = None) -> list[BranchCompliance]:
        return [b for b in self.units_under(branch) if not b.ok]


# --- the computation --------------------------------------------------------------------


def _resolve_rules(root: Branch, start: datetime.date) -> dict[tuple[str, str], tuple[str, int]]:
    """(branch path, kind) -> (period, min_count) of the latest rule in force on ``start``."""
    rows = (
        MeetingRule.objects.filter(Q(branch__path__startswith=root.path) | Q(branch__path__in=root.ancestor_paths()))
        .filter(effective_from__lte=start)
        .order_by("effective_from", "pk")
        .values_list("branch__path", "kind", "period", "min_count")
    )
    return {(path, kind): (period, count) for path, kind, period, count in rows}


def _rule_for(path: str, kind: str, rules, steplen: int) -> tuple[str, int]:
    for end in range(len(path), 0, -steplen):
        rule = rules.get((path[:end], kind))
        if rule is not None:
            return rule
    return DEFAULT_RULES[kind]


def _held_counts(root: Branch, year: int) -> dict[tuple[int, str], list[int]]:
    """(branch id, kind) -> activities held in each month of ``year`` (index 1–12), for the
    subtree and the root's ancestors. The month is an integer from the database, not a
    datetime to convert: a city has some 28,000 (branch, kind, month) rows a year."""
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    start = datetime.datetime(year, 1, 1, tzinfo=tz)
    end = datetime.datetime(year + 1, 1, 1, tzinfo=tz)
    rows = (
        Activity.objects.held()
        .filter(Q(branch__path__startswith=root.path) | Q(branch__path__in=root.ancestor_paths()))
        .filter(kind__in=REQUIRED_KINDS, starts_at__gte=start, starts_at__lt=end)
        .annotate(month=ExtractMonth("starts_at", tzinfo=tz))
        .values_list("branch_id", "kind", "month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0] * 13)
    for branch_id, kind, month, n in rows:
        counts[(branch_id, kind)][month] = n
    return counts


_NONE_HELD = (0,) * 13


def _held_by_month(held, sources: list[int], kind: str) -> tuple[int, ...] | list[int]:
    """Activities of ``kind`` held at any of ``sources`` in each month (index 1–12)."""
    rows = [held[(source, kind)] for source in sources if (source, kind) in held]
    if not rows:
        return _NONE_HELD
    if len(rows) == 1:
        return rows[0]
    return [sum(months) for months in zip(*rows, strict=True)]


def _member_counts(root: Branch) -> tuple[dict[int, tuple[int, int]], dict[int, int]]:
    members = Member.objects.active().filter(branch__path__startswith=root.path)
    by_branch = {
        row["branch_id"]: (row["n"], row["full"])
        for row in members.values("branch_id")
        .annotate(n=Count("pk"), full=Count("pk", filter=Q(status=Member.Status.FULL)))
        .order_by()
    }
    by_group = {
        row["group_id"]: row["n"]
        for row in members.filter(group__isnull=False).values("group_id").annotate(n=Count("pk")).order_by()
    }
    return by_branch, by_group


def required_kinds(branch: Branch, direct: tuple[int, int], group_members: int) -> list[str]:
    """The kinds ``branch`` must hold itself, given (active, full) own members and group members."""
    if branch.kind == Branch.Kind.GROUP:
        return [Kind.GROUP_MEETING] if group_members else []
    if branch.kind == Branch.Kind.BRANCH or (branch.kind == Branch.Kind.GENERAL_BRANCH and direct[0]):
        kinds = list(UNIT_KINDS)
        if direct[1] >= COMMITTEE_MIN_FULL_MEMBERS:
            kinds.insert(1, Kind.COMMITTEE_MEETING)
        return kinds
    return []


def _existed(branch: Branch, window: Period) -> bool:
    if branch.established_on and branch.established_on > window.last_day:
        return False
    return not (branch.dissolved_on and branch.dissolved_on < window.start)


def _status(held: int, required: int, window: Period, today: datetime.date) -> str:
    if held >= required:
        return MET
    return MISSING if window.last_day < today else PENDING


def compliance_report(*, branch: Branch, period: Period | str, today: datetime.date | None = None) -> ComplianceReport:
    """For every unit in ``branch``'s subtree: the required meetings of ``period``, held or missing."""
    period = Period.parse(period) if isinstance(period, str) else period
    today = today or timezone.localdate()
    year_start = datetime.date(period.year, 1, 1)
    nodes = list(
        Branch.objects.filter(Q(path__startswith=branch.path) | Q(path__in=branch.ancestor_paths()))
        .filter(Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=year_start))
        .order_by("path")
    )
    ids_by_path = {node.path: node.pk for node in nodes}
    by_branch, by_group = _member_counts(branch)
    rules = _resolve_rules(branch, period.start)
    held = _held_counts(branch, period.year)
    steplen = Branch.steplen
    units = []
    for node in nodes:
        if not node.path.startswith(branch.path):
            continue
        kinds = required_kinds(node, by_branch.get(node.pk, (0, 0)), by_group.get(node.pk, 0))
        if not kinds:
            continue
        ancestors = [ids_by_path.get(node.path[:end]) for end in range(steplen, len(node.path), steplen)]
        unit = BranchCompliance(node)
        for kind in kinds:
            rule_period, min_count = _rule_for(node.path, kind, rules, steplen)
            if min_count <= 0:
                continue
            sources = [node.pk] + ([a for a in ancestors if a] if kind in INHERITED_KINDS else [])
            by_month = _held_by_month(held, sources, kind)
            for window in period.windows(rule_period):
                if not _existed(node, window):
                    continue
                n = sum(by_month[window.first_month : window.first_month + len(window.months)])
                unit.lines.append(Line(kind, window, min_count, n, _status(n, min_count, window, today)))
        if unit.lines:
            units.append(unit)
    return ComplianceReport(period, branch, units, today)
