"""Read queries of the activity pages that span several subtrees at once (a user's grants).

``activities.selectors`` answers for one branch or one member; the pages need the same
answers over every subtree a user manages or may read. Each function runs a constant number
of queries whatever the size of the subtrees.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from branches import access
from branches.models import Branch
from branches.summaries import child_prefix, is_large, kept
from members.models import Member, Position

from .compliance import MET, MONTH, QUARTER, ComplianceReport, Line, Period, Tally, compliance_report
from .expected import node_members_q
from .lapse import lapse_warnings, with_last_dates
from .models import Activity, LeaveRequest

PAGE_SIZE = 30
WORKBENCH_LIMIT = 10  # rows of each section of the workbench; all of them on the section's own page


def local_tz() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def month_bounds(year: int, month: int) -> tuple[datetime.datetime, datetime.datetime]:
    """The aware instants ``[first day 00:00, next month's first day 00:00)`` in the site's zone."""
    tz = local_tz()
    start = datetime.datetime(year, month, 1, tzinfo=tz)
    end = datetime.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    return start, end


def managed_roots(user) -> list[Branch]:
    """The highest branches where ``user`` holds MANAGE (one query)."""
    if not access.manages_any(user):
        return []
    return list(access.top_branches(user, access.MANAGE))


# --- the secretary's workbench ------------------------------------------------------------


@dataclass
class MissingLine:
    branch: Branch
    line: Line


@dataclass
class ChildCount:
    """A child of a large managed subtree and how many of a section's rows lie in its subtree."""

    branch: Branch
    count: int


@dataclass
class Workbench:
    roots: list[Branch]
    upcoming: list[Activity]
    to_log: list[Activity]
    leave_requests: list[LeaveRequest]
    missing: list[MissingLine] = field(default_factory=list)
    period: Period | None = None
    lapsed: list[Member] = field(default_factory=list)  # the 党章 art. 9 warning (activities.lapse)
    lapsed_more: bool = False
    counts: dict[str, int] = field(default_factory=dict)  # section -> its rows in all (lapsed: at least)
    # A large subtree (branches.summaries): each section per child instead of rows, kept a few minutes.
    by_child: dict[str, list[ChildCount]] = field(default_factory=dict)
    computed_at: datetime.datetime | None = None

    @property
    def totals(self) -> dict[str, int]:
        """Section -> its rows and those summed per child."""
        return {s: self.counts.get(s, 0) + sum(c.count for c in self.by_child.get(s, [])) for s in SECTIONS}


SECTIONS = ("to_log", "missing", "leave", "lapsed", "upcoming")


def _managed(user, branch: Branch | None = None, large: list[Branch] = ()) -> QuerySet[Activity]:
    activities = Activity.objects.manageable_by(user).planned().select_related("branch")
    activities = activities.in_subtree(branch) if branch is not None else activities
    return _outside(activities, large, "branch__path")


def _outside(rows: QuerySet, roots: list[Branch], field_name: str) -> QuerySet:
    """``rows`` not under any of ``roots`` (the large ones, summarized per child instead)."""
    for root in roots:
        rows = rows.exclude(**{f"{field_name}__startswith": root.path})
    return rows


# In the order they end: the first to log is the one that ended first. Not by ``starts_at``: its
# index leads PostgreSQL through every held activity of a city before the planned ones (50 ms, not 5).
def _to_log(user, branch: Branch | None, now: datetime.datetime, large: list[Branch] = ()) -> QuerySet[Activity]:
    return _managed(user, branch, large).filter(ends_at__lt=now).order_by("ends_at", "pk")


def _upcoming(user, branch: Branch | None, now: datetime.datetime, large: list[Branch] = ()) -> QuerySet[Activity]:
    return _managed(user, branch, large).filter(ends_at__gte=now).order_by("ends_at", "pk")


def _leave(user, branch: Branch | None = None, large: list[Branch] = ()) -> QuerySet[LeaveRequest]:
    leaves = LeaveRequest.objects.filter(status=LeaveRequest.Status.PENDING).filter(
        access.perm_scope_q(user, access.MANAGE, "activity__branch__path")
    )
    if branch is not None:
        leaves = leaves.filter(activity__branch__path__startswith=branch.path)
    return (
        _outside(leaves, large, "activity__branch__path")
        .select_related("activity", "activity__branch", "member")
        .order_by("activity__ends_at", "requested_at", "pk")
    )


def _missing_lines(root: Branch, period: Period, today: datetime.date) -> list[MissingLine]:
    """The month's and the quarter's required meetings not (yet) held in ``root``'s subtree."""
    report = compliance_report(branch=root, period=period, today=today)
    return [
        MissingLine(unit.branch, line)
        for unit in report.branches
        for line in unit.lines
        if line.status != MET and line.window.kind in (MONTH, QUARTER)
    ]


def _per_child(root: Branch, children: list[Branch], paths) -> list[ChildCount]:
    """How many of ``paths`` (rows of ``root``'s subtree) lie under each of ``children``."""
    end = child_prefix(root.path)
    counts = Counter(path[:end] for path in paths if len(path) >= end)
    return [ChildCount(child, counts[child.path]) for child in children if counts[child.path]]


def child_figures(user, root: Branch, now: datetime.datetime, today: datetime.date) -> dict[str, list[ChildCount]]:
    """Each section of the workbench per child of ``root`` (kept for a large root): six queries, the
    compliance report's five and one each for the others."""
    children = child_branches(root)
    period = Period.containing(MONTH, today)
    paths = {
        "to_log": _to_log(user, root, now).values_list("branch__path", flat=True),
        "missing": [m.branch.path for m in _missing_lines(root, period, today)],
        "leave": _leave(user, root).values_list("activity__branch__path", flat=True),
        "lapsed": lapse_warnings(branch=root, today=today).values_list("branch__path", flat=True),
        "upcoming": _upcoming(user, root, now).values_list("branch__path", flat=True),
    }
    return {section: _per_child(root, children, rows) for section, rows in paths.items()}


def _first(rows: QuerySet, counts: dict[str, int], section: str) -> list:
    """The first ``WORKBENCH_LIMIT`` of ``rows``; ``counts[section]`` how many in all (counted only
    when there are more: one query, or two)."""
    first = list(rows[: WORKBENCH_LIMIT + 1])
    counts[section] = rows.count() if len(first) > WORKBENCH_LIMIT else len(first)
    return first[:WORKBENCH_LIMIT]


def _roots(user, branch: Branch | None) -> tuple[list[Branch], list[Branch]]:
    """The managed roots (or ``branch``) and those of them that are large (one query each)."""
    roots = [branch] if branch is not None else managed_roots(user)
    return roots, [root for root in roots if is_large(root)]


def workbench(
    user,
    *,
    branch: Branch | None = None,
    now: datetime.datetime | None = None,
    today: datetime.date | None = None,
    dates: bool = True,
) -> Workbench:
    """What a secretary should do next, over every subtree they manage (or ``branch``'s alone).
    ``dates``: the art. 9 warning's rows with when each member last took part and paid (the
    workbench shows them; the first page, ``reports.home``, does not).

    Each section: the first ``WORKBENCH_LIMIT`` rows and how many in all. Four queries (and a count
    for each section with more rows), plus for each managed root its size, the compliance report's
    five and the art. 9 warning's one. A large root (``branches.summaries``, a city) is summarized
    per child in every section, each child a drill-down (``branch``): its size only, when its
    figures are kept.
    """
    now = now or timezone.now()
    today = today or timezone.localdate()
    roots, large = _roots(user, branch)
    counts: dict[str, int] = {}
    wb = Workbench(
        roots,
        _first(_upcoming(user, branch, now, large), counts, "upcoming"),
        _first(_to_log(user, branch, now, large), counts, "to_log"),
        _first(_leave(user, branch, large), counts, "leave"),
        period=Period.containing(MONTH, today),
        counts=counts,
    )
    missing: list[MissingLine] = []
    for root in roots:
        if root in large:
            # The same for whoever manages the root (their grant covers its subtree): one kept copy.
            figures = kept("workbench", root, [today], lambda r=root: child_figures(user, r, now, today), large=True)
            for section, rows in figures.value.items():
                wb.by_child.setdefault(section, []).extend(rows)
            wb.computed_at = min(filter(None, [wb.computed_at, figures.computed_at]), default=None)
        else:
            lapsed = lapse_warnings(branch=root, today=today)
            wb.lapsed += (with_last_dates(lapsed) if dates else lapsed)[: WORKBENCH_LIMIT + 1]
            missing += _missing_lines(root, wb.period, today)
    wb.missing, wb.lapsed_more = missing[:WORKBENCH_LIMIT], len(wb.lapsed) > WORKBENCH_LIMIT
    wb.counts["missing"], wb.counts["lapsed"] = len(missing), len(wb.lapsed)
    wb.lapsed = wb.lapsed[:WORKBENCH_LIMIT]
    return wb


def workbench_section(
    user,
    section: str,
    *,
    branch: Branch | None = None,
    number: int = 1,
    now: datetime.datetime | None = None,
    today: datetime.date | None = None,
) -> Page:
    """One section of the workbench in full, a page at a time, over the managed subtrees that are not
    large (a large one is summarized per child on the workbench, each child a drill-down): activities
    to log or coming, leave to decide (one query), the missing meetings, the art. 9 warning."""
    now = now or timezone.now()
    today = today or timezone.localdate()
    roots, large = _roots(user, branch)
    if section == "to_log":
        return page_of(_to_log(user, branch, now, large), number)
    if section == "upcoming":
        return page_of(_upcoming(user, branch, now, large), number)
    if section == "leave":
        return page_of(_leave(user, branch, large), number)
    roots = [root for root in roots if root not in large]
    if section == "missing":
        period = Period.containing(MONTH, today)
        return page_of([line for root in roots for line in _missing_lines(root, period, today)], number)
    return page_of([m for root in roots for m in with_last_dates(lapse_warnings(branch=root, today=today))], number)


# --- the subtree's list -------------------------------------------------------------------


def activity_list(
    user,
    *,
    branch: Branch | None = None,
    month: tuple[int, int] | None = None,
    kind: str = "",
    status: str = "",
) -> QuerySet[Activity]:
    """Activities ``user`` may read, newest first, narrowed by the filters given."""
    activities = Activity.objects.visible_to(user).select_related("branch")
    if branch is not None:
        activities = activities.in_subtree(branch)
    if month is not None:
        activities = activities.between(*month_bounds(*month))
    if kind:
        activities = activities.filter(kind=kind)
    if status:
        activities = activities.filter(status=status)
    return activities.order_by("-starts_at", "-pk")


@dataclass
class Page:
    items: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_of(queryset, number: int, size: int = PAGE_SIZE) -> Page:
    """One page in one query: ``size + 1`` rows tell whether a next page exists (no count)."""
    number = max(1, number)
    offset = (number - 1) * size
    rows = list(queryset[offset : offset + size + 1])
    return Page(rows[:size], number, len(rows) > size)


# --- people an activity's forms offer -----------------------------------------------------


_SUB_UNITS = {Branch.Kind.GROUP, Branch.Kind.HOUSEHOLD}


def _unit_members_q(branch: Branch) -> Q:
    """The node's members; for a group or household also those of its home branch above it."""
    q = node_members_q(branch)
    if branch.kind in _SUB_UNITS:
        q |= Q(branch__path__in=branch.ancestor_paths(), branch__kind__in=Branch.MEMBER_HOME_KINDS)
    return q


def host_candidates(branch: Branch) -> QuerySet[Member]:
    """Members who may host or record an activity of ``branch``.

    At a 党委 the committee's office holders (its subtree may hold thousands of members);
    elsewhere the node's members (and at a group, its home branch's).
    """
    members = Member.objects.active().order_by("name_pinyin", "name", "pk")
    if branch.kind == Branch.Kind.COMMITTEE:
        holders = Position.objects.filter(branch=branch, ended_on__isnull=True).values("member_id")
        return members.filter(pk__in=holders)
    return members.filter(_unit_members_q(branch))


def find_members(activity: Activity, user, text: str) -> list[Member]:
    """Active members of the activity's node visible to ``user`` whose name or phone is ``text`` (≤ 2)."""
    text = text.strip()
    if not text:
        return []
    return list(
        Member.objects.active()
        .filter(_unit_members_q(activity.branch), access.branch_scope_q(user, "branch__path"))
        .filter(Q(name=text) | Q(phone=text))
        .order_by("pk")[:2]
    )


# --- compliance ---------------------------------------------------------------------------


def child_branches(branch: Branch) -> list[Branch]:
    """The current children of ``branch`` (one query), for the roll-up rows."""
    return list(Branch.objects.filter(path__startswith=branch.path, depth=branch.depth + 1).current().order_by("path"))


@dataclass
class ComplianceSummary:
    """What the compliance page shows of a subtree without its units: the totals, per kind, per child."""

    total: Tally
    rollup: dict[str, Tally]
    children: list[tuple[Branch, Tally]]
    units: int  # organizations with a requirement in the period


def compliance_summary(report: ComplianceReport) -> ComplianceSummary:
    """``report`` reduced to its totals: over the subtree, per kind and per child of its root (one query)."""
    children = [(child, report.total(child)) for child in child_branches(report.root)]
    return ComplianceSummary(report.total(), report.rollup(), children, len(report.branches))


# --- the member's page --------------------------------------------------------------------


def open_activities_for(member: Member, *, now: datetime.datetime | None = None) -> QuerySet[Activity]:
    """Open activities (志愿服务, 学习) still to come at the member's own organizations and those above."""
    now = now or timezone.now()
    nodes = Q(branch__path__in=member.branch.ancestor_paths())
    for node_id in (member.group_id, member.household_id):
        if node_id:
            nodes |= Q(branch_id=node_id)
    return (
        Activity.objects.planned()
        .filter(nodes, kind__in=Activity.OPEN_KINDS, ends_at__gte=now)
        .select_related("branch")
        .order_by("starts_at", "pk")
    )
