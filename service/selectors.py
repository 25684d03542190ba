"""Reads of the service app: the hours that reach the health check, the member's and the board's lists,
the organization department's figures (docs/rules/service.md)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum

from branches.models import Branch
from core.periods import Period
from members.models import Member

from . import rules
from .models import Grid, Registration, ServiceParticipant, ServiceRequest, ServiceRequestEvent


def completed_hours(*, member_ids, period: Period) -> dict[int, Decimal]:
    """Hours credited to each member by the completions within ``period`` (``ServiceParticipant``: the completing
    member of a request held alone, each team member who took part in a team's; a request reopened and completed
    again counting both): 志愿服务 hours for the health check. One aggregate query."""
    start, end = period.bounds()
    rows = (
        ServiceParticipant.objects.filter(member_id__in=member_ids, completion__at__gte=start, completion__at__lt=end)
        .values("member_id")
        .annotate(hours=Sum("hours"))
        .order_by()
    )
    return {row["member_id"]: row["hours"] for row in rows if row["hours"]}


# ---------------------------------------------------------------------------- the member's lists


def pool_for(registration: Registration, *, limit: int = 50) -> list[ServiceRequest]:
    """Open requests the registered member may claim: their grid's, or the community's without a grid."""
    rows = ServiceRequest.objects.filter(community_id=registration.community_id, status__in=ServiceRequest.OPEN)
    if registration.grid_id is not None:
        rows = rows.filter(grid_id=registration.grid_id)
    return list(rows.select_related("grid").order_by("created_at", "pk")[:limit])


def requests_of(member: Member, *, limit: int = 30) -> list[ServiceRequest]:
    """The member's requests: dispatched to them, in hand, or completed by them, latest first."""
    return list(
        ServiceRequest.objects.filter(assignee=member)
        .select_related("grid", "community", "team")
        .order_by("-created_at", "-pk")[:limit]
    )


# ---------------------------------------------------------------------------- the secretary's board


BOARD_STATUSES = (
    ServiceRequest.Status.NEW,
    ServiceRequest.Status.DISPATCHED,
    ServiceRequest.Status.IN_PROGRESS,
    ServiceRequest.Status.DONE,
    ServiceRequest.Status.RATED,
    ServiceRequest.Status.REOPENED,
    ServiceRequest.Status.CLOSED,
)


@dataclass
class Board:
    counts: dict  # (grid id, status) -> n
    grids: list[Grid]
    rows: list[ServiceRequest]  # the filtered requests, with ``overdue`` set
    totals: dict  # status -> n


def board(*, community: Branch, grid_id: int | None, status: str | None, now, limit: int = 100) -> Board:
    """Requests of ``community`` by status and grid (one grouped query) and the filtered list (one query),
    each flagged ``overdue`` when a dispatch passed its deadline. Three queries whatever the numbers."""
    grids = list(Grid.objects.filter(community=community))
    counts, totals = {}, dict.fromkeys(BOARD_STATUSES, 0)
    grouped = (
        ServiceRequest.objects.filter(community=community)
        .values("grid_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in grouped:
        counts[(row["grid_id"], row["status"])] = row["n"]
        totals[row["status"]] = totals.get(row["status"], 0) + row["n"]
    rows = ServiceRequest.objects.filter(community=community).select_related("grid", "assignee", "team")
    if grid_id:
        rows = rows.filter(grid_id=grid_id)
    if status:
        rows = rows.filter(status=status)
    rows = list(rows.order_by("-created_at", "-pk")[:limit])
    for row in rows:
        row.overdue = row.status == ServiceRequest.Status.DISPATCHED and row.dispatch_deadline <= now
    return Board(counts, grids, rows, totals)


def registered_members(*, community: Branch, today) -> list[Registration]:
    """Open registrations at ``community`` of members on the roster, with member, branch, grid and post (one
    query), each with ``current`` (renewed in time). A member who left is no longer listed."""
    rows = list(
        Registration.objects.filter(community=community, ended_on=None, member__is_active=True)
        .select_related("member__branch", "grid", "post")
        .order_by("grid__name", "post__name", "member__name_pinyin")
    )
    for row in rows:
        row.current = rules.registration_current(row.confirmed_on, today)
    return rows


def registrations_of_members(*, branch: Branch, period: Period) -> list[Registration]:
    """Where the members of ``branch``'s subtree reported, with their requests done and hours in ``period``
    (two queries): what the home branch's secretary sees."""
    rows = list(
        Registration.objects.filter(member__branch__path__startswith=branch.path, ended_on=None)
        .select_related("member", "community", "grid")
        .order_by("member__name_pinyin")
    )
    start, end = period.bounds()
    done = (
        ServiceRequestEvent.objects.filter(kind=ServiceRequestEvent.Kind.COMPLETED, at__gte=start, at__lt=end)
        .filter(member_id__in=[row.member_id for row in rows])
        .values("member_id")
        .annotate(n=Count("pk"), hours=Sum("hours"))
        .order_by()
    )
    by_member = {row["member_id"]: row for row in done}
    for row in rows:
        found = by_member.get(row.member_id, {})
        row.done_count, row.done_hours = found.get("n", 0), found.get("hours") or 0
    return rows
