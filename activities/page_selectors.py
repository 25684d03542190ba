"""Read queries of the activity pages that span several subtrees at once (a user's grants).

``activities.selectors`` answers for one branch or one member; the pages need the same
answers over every subtree a user manages or may read. Each function runs a constant number
of queries whatever the size of the subtrees.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from branches import access
from branches.models import Branch
from members.models import Member, Position

from .compliance import MET, MONTH, QUARTER, Line, Period, compliance_report
from .expected import node_members_q
from .lapse import lapse_warnings
from .models import Activity, LeaveRequest

PAGE_SIZE = 30
WORKBENCH_LIMIT = 50


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
class Workbench:
    roots: list[Branch]
    upcoming: list[Activity]
    to_log: list[Activity]
    leave_requests: list[LeaveRequest]
    missing: list[MissingLine] = field(default_factory=list)
    period: Period | None = None
    lapsed: list[Member] = field(default_factory=list)  # the 党章 art. 9 warning (activities.lapse)
    lapsed_more: bool = False


def _managed(user) -> QuerySet[Activity]:
    return Activity.objects.manageable_by(user).planned().select_related("branch")


def workbench(user, *, now: datetime.datetime | None = None, today: datetime.date | None = None) -> Workbench:
    """What a secretary should do next, over every subtree they manage.

    Four queries, plus for each managed root the compliance report's five and the art. 9
    warning's one (a secretary usually manages one branch; an organization department one town).
    """
    now = now or timezone.now()
    today = today or timezone.localdate()
    roots = managed_roots(user)
    upcoming = list(_managed(user).filter(ends_at__gte=now).order_by("starts_at", "pk")[:WORKBENCH_LIMIT])
    to_log = list(_managed(user).filter(ends_at__lt=now).order_by("starts_at", "pk")[:WORKBENCH_LIMIT])
    leaves = list(
        LeaveRequest.objects.filter(status=LeaveRequest.Status.PENDING)
        .filter(access.perm_scope_q(user, access.MANAGE, "activity__branch__path"))
        .select_related("activity", "activity__branch", "member")
        .order_by("activity__starts_at", "requested_at", "pk")[:WORKBENCH_LIMIT]
    )
    period = Period.containing(MONTH, today)
    missing, lapsed = [], []
    for root in roots:
        lapsed += lapse_warnings(branch=root, today=today)[: WORKBENCH_LIMIT + 1]
        report = compliance_report(branch=root, period=period, today=today)
        for unit in report.branches:
            missing += [
                MissingLine(unit.branch, line)
                for line in unit.lines
                if line.status != MET and line.window.kind in (MONTH, QUARTER)
            ]
    more = len(lapsed) > WORKBENCH_LIMIT
    return Workbench(roots, upcoming, to_log, leaves, missing, period, lapsed[:WORKBENCH_LIMIT], more)


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
