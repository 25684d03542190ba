"""Compliance with the meeting rules: which required meetings each branch held, which are missing.

Who must hold what (the design's table, with these choices), window by window:

- 支部党员大会, 党课, 主题党日, 组织生活会, 民主评议党员: every 党支部, and every 党总支 that keeps
  members directly in that window (its own members need organizational life like a branch's).
- 支委会: those same units in a window when they have a committee, i.e. at least 7 full members
  of their own on the window's roster.
- 党小组会: every 党小组 that has members on the window's roster, each on its own.
- 书记讲党课 (yearly views): every unit above: at least ``SECRETARY_LECTURES_PER_YEAR`` held 党课
  at the unit whose speaker was its 书记 on the day.
- 党委 and 党员中心户 have no requirement of their own; they appear in the roll-ups.

The roster of a window is the roster on its last day (``activities.month_rosters``): a branch
reaching 7 full members in June needs a 支委会 from June on; one that had 8 until July needed
them until July.

What counts: activities marked held whose start falls in the window, for their kind and for
each of their extra kinds (``ActivityExtraKind``: a 主题党日 that includes a 党课 counts for
both). A 党课 or 主题党日 held at a higher node (a general branch's 党课 for its whole subtree)
counts for every unit below it; the other kinds count only at the unit itself.

Rules: ``DEFAULT_RULES`` unless a ``MeetingRule`` covers the unit. A window is governed by the
rule in force when it begins: for each month of the requested period, the rule of the deepest
covering branch, the latest ``effective_from`` among its rules, whose window containing that
month begins on or after its ``effective_from`` (a quarterly rule taking effect on 1 August
applies from the fourth quarter; until then the rule before it goes on). A rule with
``min_count`` 0 lifts the requirement. So the year's lines are exactly the union of its
months' lines.

Windows: a rule finer than the requested period is checked in each of its windows inside it
(a monthly 主题党日 in a quarter: three months); a coarser one in the window containing the
period (组织生活会 in a month's report: the year). A window that is not over yet and not met
is ``pending``, not ``missing``.

Queries: five, whatever the subtree's size (branches, the month rosters' two, rules, held
counts grouped by branch, kind and month); a year adds one (the secretaries' lectures).
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import ExtractMonth, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import Branch
from core.periods import MONTH, QUARTER, YEAR, Period
from members.models import Position

from .models import Activity, ActivityExtraKind, MeetingRule
from .month_rosters import MonthRosters, month_rosters

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
# A line that is not a meeting kind: the branch secretary's own 党课 of the year.
SECRETARY_LECTURE = "secretary_lecture"
LINE_KINDS = [*REQUIRED_KINDS, SECRETARY_LECTURE]
KIND_LABELS = {**{kind: Kind(kind).label for kind in REQUIRED_KINDS}, SECRETARY_LECTURE: _("书记讲党课")}

MET, MISSING, PENDING = "met", "missing", "pending"
STATUS_LABELS = {MET: "已完成", MISSING: "缺", PENDING: "未到期"}
_RANK = {MET: 0, PENDING: 1, MISSING: 2}


def secretary_lectures_required() -> int:
    """党课 a year the branch secretary must give (0: no such line); settings ``SECRETARY_LECTURES_PER_YEAR``."""
    return settings.SECRETARY_LECTURES_PER_YEAR


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
        return str(KIND_LABELS[self.kind])


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
        tallies = {kind: Tally() for kind in LINE_KINDS}
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


# --- rules and their windows ------------------------------------------------------------


Schedule = tuple[tuple[Period, int], ...]  # (window, min_count) of one kind over the requested period


class _Rules:
    """The meeting rules of a subtree and its ancestors, and the windows each unit is checked in."""

    def __init__(self, root: Branch, period: Period):
        self.period = period
        self.by_path: dict[tuple[str, str], list[tuple[datetime.date, str, int]]] = defaultdict(list)
        rows = (
            MeetingRule.objects.filter(
                Q(branch__path__startswith=root.path) | Q(branch__path__in=root.ancestor_paths())
            )
            .filter(effective_from__lte=period.last_day)
            .order_by("-effective_from", "-pk")
            .values_list("branch__path", "kind", "effective_from", "period", "min_count")
        )
        for path, kind, effective_from, rule_period, count in rows:
            self.by_path[(path, kind)].append((effective_from, rule_period, count))
        self._memo: dict[tuple, Schedule] = {}

    def schedule(self, path: str, kind: str) -> Schedule:
        """The windows ``kind`` is checked in at ``path`` and the minimum of each (0 left out)."""
        steplen = Branch.steplen
        chain = tuple(path[:end] for end in range(len(path), 0, -steplen) if (path[:end], kind) in self.by_path)
        key = (chain, kind)
        if key not in self._memo:
            windows: dict[Period, int] = {}
            for month in self.period.months:
                rule_period, count = self._rule_at(chain, kind, month)
                windows.setdefault(Period.containing(rule_period, month), count)
            self._memo[key] = tuple((window, count) for window, count in windows.items() if count > 0)
        return self._memo[key]

    def _rule_at(self, chain: tuple[str, ...], kind: str, month: datetime.date) -> tuple[str, int]:
        """The rule governing ``month``: the first, deepest branch first and latest first, in force
        when its window containing ``month`` begins."""
        for path in chain:
            for effective_from, rule_period, count in self.by_path[(path, kind)]:
                if effective_from <= Period.containing(rule_period, month).start:
                    return rule_period, count
        return DEFAULT_RULES[kind]


# --- what was held ------------------------------------------------------------------------


def _in_scope(root: Branch, lookup: str) -> Q:
    """``root``'s subtree and its ancestors through ``lookup`` (a branch path)."""
    return Q(**{f"{lookup}__startswith": root.path}) | Q(**{f"{lookup}__in": root.ancestor_paths()})


def _year_bounds(year: int) -> tuple[datetime.datetime, datetime.datetime, zoneinfo.ZoneInfo]:
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return datetime.datetime(year, 1, 1, tzinfo=tz), datetime.datetime(year + 1, 1, 1, tzinfo=tz), tz


def _held_counts(root: Branch, year: int) -> dict[tuple[int, str], list[int]]:
    """(branch id, kind) -> activities held in each month of ``year`` (index 1–12), for the
    subtree and the root's ancestors, counting each activity for its kind and each extra kind.
    One query (a UNION ALL of the two groupings). The month is an integer from the database,
    not a datetime to convert: a city has some 28,000 (branch, kind, month) rows a year."""
    start, end, tz = _year_bounds(year)
    own = (
        Activity.objects.held()
        .filter(_in_scope(root, "branch__path"))
        .filter(kind__in=REQUIRED_KINDS, starts_at__gte=start, starts_at__lt=end)
        .annotate(month=ExtractMonth("starts_at", tzinfo=tz))
        .values_list("branch_id", "kind", "month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    extra = (
        ActivityExtraKind.objects.filter(activity__status=Activity.Status.HELD)
        .filter(_in_scope(root, "activity__branch__path"))
        .filter(kind__in=REQUIRED_KINDS, activity__starts_at__gte=start, activity__starts_at__lt=end)
        .exclude(kind=F("activity__kind"))
        .annotate(month=ExtractMonth("activity__starts_at", tzinfo=tz))
        .values_list("activity__branch_id", "kind", "month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0] * 13)
    for branch_id, kind, month, n in own.union(extra, all=True):
        counts[(branch_id, kind)][month] += n
    return counts


def _secretary_lectures(root: Branch, year: int) -> dict[int, int]:
    """Unit id -> held 党课 of ``year`` at the unit (its kind or an extra kind) given by a member
    who was the unit's 书记 on the day. One query."""
    start, end, tz = _year_bounds(year)
    secretary = Position.objects.filter(
        branch_id=OuterRef("branch_id"),
        member_id=OuterRef("speaker_id"),
        title=Position.Title.SECRETARY,
        started_on__lte=OuterRef("day"),
    ).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=OuterRef("day")))
    lecture = Q(kind=Kind.PARTY_LECTURE) | Exists(
        ActivityExtraKind.objects.filter(activity_id=OuterRef("pk"), kind=Kind.PARTY_LECTURE)
    )
    rows = (
        Activity.objects.held()
        .filter(branch__path__startswith=root.path, starts_at__gte=start, starts_at__lt=end, speaker__isnull=False)
        .filter(lecture)
        .annotate(day=TruncDate("starts_at", tzinfo=tz))
        .filter(Exists(secretary))
        .values_list("branch_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return dict(rows)


_NONE_HELD = (0,) * 13


def _held_by_month(held, sources: list[int], kind: str) -> tuple[int, ...] | list[int]:
    """Activities of ``kind`` held at any of ``sources`` in each month (index 1–12)."""
    rows = [held[(source, kind)] for source in sources if (source, kind) in held]
    if not rows:
        return _NONE_HELD
    if len(rows) == 1:
        return rows[0]
    return [sum(months) for months in zip(*rows, strict=True)]


# --- who must hold what -------------------------------------------------------------------


def _last_month(window: Period) -> int:
    return window.first_month + len(window.months) - 1


def needs(branch: Branch, kind: str, window: Period, rosters: MonthRosters) -> bool:
    """Whether ``branch`` must hold ``kind`` in ``window``, given the roster on the window's last day."""
    month = _last_month(window)
    if branch.kind == Branch.Kind.GROUP:
        return kind == Kind.GROUP_MEETING and rosters.group_at(branch.pk, month) > 0
    if kind == Kind.GROUP_MEETING:
        return False
    members, full = rosters.at(branch.pk, month)
    if branch.kind == Branch.Kind.GENERAL_BRANCH and not members:
        return False
    if branch.kind not in (Branch.Kind.BRANCH, Branch.Kind.GENERAL_BRANCH):
        return False
    return kind != Kind.COMMITTEE_MEETING or full >= COMMITTEE_MIN_FULL_MEMBERS


def _candidate_kinds(branch: Branch) -> list[str]:
    if branch.kind == Branch.Kind.GROUP:
        return [Kind.GROUP_MEETING]
    if branch.kind in (Branch.Kind.BRANCH, Branch.Kind.GENERAL_BRANCH):
        return [k for k in REQUIRED_KINDS if k != Kind.GROUP_MEETING]
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
    rosters = month_rosters(branch, period.year)
    rules = _Rules(branch, period)
    held = _held_counts(branch, period.year)
    lectures_required = secretary_lectures_required() if period.kind == YEAR else 0
    lectures = _secretary_lectures(branch, period.year) if lectures_required else {}
    steplen = Branch.steplen
    units = []
    for node in nodes:
        if not node.path.startswith(branch.path):
            continue
        ancestors = [ids_by_path.get(node.path[:end]) for end in range(steplen, len(node.path), steplen)]
        unit = BranchCompliance(node)
        for kind in _candidate_kinds(node):
            sources = [node.pk] + ([a for a in ancestors if a] if kind in INHERITED_KINDS else [])
            by_month = _held_by_month(held, sources, kind)
            for window, min_count in rules.schedule(node.path, kind):
                if not _existed(node, window) or not needs(node, kind, window, rosters):
                    continue
                n = sum(by_month[window.first_month : window.first_month + len(window.months)])
                unit.lines.append(Line(kind, window, min_count, n, _status(n, min_count, window, today)))
        if lectures_required and node.kind != Branch.Kind.GROUP:
            _add_secretary_line(unit, period, lectures.get(node.pk, 0), lectures_required, rosters, today)
        if unit.lines:
            units.append(unit)
    return ComplianceReport(period, branch, units, today)


def _add_secretary_line(
    unit: BranchCompliance, year: Period, given: int, required: int, rosters: MonthRosters, today: datetime.date
) -> None:
    """书记讲党课: a unit that must hold a 党课 this year (the year's roster) needs its secretary to give one."""
    if _existed(unit.branch, year) and needs(unit.branch, Kind.PARTY_LECTURE, year, rosters):
        unit.lines.append(Line(SECRETARY_LECTURE, year, required, given, _status(given, required, year, today)))
