"""The roster at the end of each month of a year: members and full members per branch and group.

Compliance asks, for each window (a month, quarter or year), who was on a branch's roster in
that window. "The roster of a window" is the roster on the window's last day:

- a member is on the roster on day ``d`` from their admission (``joined_on <= d``) to the day
  they leave (death, transfer out of the system, expulsion…), which is their last day on it
  (``left_on >= d``, or still on the roster with no ``left_on``): the definition of
  docs/rules/history.md, which the health checks and dues use too;
- they are on the roster of the branch they belonged to on ``d``: a transfer (``MemberEvent``
  组织关系转接) takes effect on its ``occurred_on``, so on ``d`` the member belongs to the
  ``from_branch`` of their earliest transfer after ``d``, or to today's branch when there is none;
- they count as full (正式) on ``d`` if they are a full member today and were confirmed
  (``confirmed_on``) on or before ``d`` (no date: full throughout);
- their 党小组 is today's, for the time they are in today's branch (a group change inside a
  branch leaves no dated history).

Every window's last day is a month's last day, so one table per year answers every window.
Two queries, whatever the subtree's size: the members who did not change branch since January,
grouped by their dates; the transfers touching the subtree, with their members.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Case, Count, DateField, F, Q, Value, When

from branches.models import Branch
from core.periods import month_end
from members.models import Member, MemberEvent

Months = list[int]  # index 1-12: the count at the end of that month (index 0 and 13 unused)


def _months() -> Months:
    return [0] * 14


@dataclass
class MonthRosters:
    """Members on the roster at the end of each month of ``year``, by branch and by 党小组."""

    year: int
    members: dict[int, Months] = field(default_factory=lambda: defaultdict(_months))
    full: dict[int, Months] = field(default_factory=lambda: defaultdict(_months))
    groups: dict[int, Months] = field(default_factory=lambda: defaultdict(_months))

    def at(self, branch_id: int, month: int) -> tuple[int, int]:
        """(members, full members) of the branch's own roster at the end of ``month``."""
        members, full = self.members.get(branch_id), self.full.get(branch_id)
        return (members[month] if members else 0, full[month] if full else 0)

    def group_at(self, group_id: int, month: int) -> int:
        group = self.groups.get(group_id)
        return group[month] if group else 0


def _span(rosters: dict[int, Months], key: int | None, first: int, last: int, n: int) -> None:
    """Add ``n`` to ``key``'s months ``first``..``last`` (a difference table, summed in ``_close``)."""
    if key is None or first > last:
        return
    months = rosters[key]
    months[first] += n
    months[last + 1] -= n


def _close(rosters: dict[int, Months]) -> None:
    for months in rosters.values():
        for m in range(1, 13):
            months[m] += months[m - 1]


def _month_of(day: datetime.date | None, year: int, none: int) -> int:
    """The month of ``day`` within ``year`` (``none`` when there is no day); before the year 1, after it 13."""
    if day is None:
        return none
    if day.year != year:
        return 1 if day.year < year else 13
    return day.month


def _last_month(until: datetime.date | None, year: int) -> int:
    """The last month of ``year`` at whose end a member leaving on ``until`` is still on the roster."""
    if until is None:
        return 12
    return until.month - (until != month_end(until))


def month_rosters(root: Branch, year: int) -> MonthRosters:
    """The roster of every branch and group of ``root``'s subtree at the end of each month of ``year``."""
    ends = [None] + [month_end(datetime.date(year, m, 1)) for m in range(1, 13)]
    first_end, last_end = ends[1], ends[12]
    result = MonthRosters(year)
    moved = MemberEvent.objects.filter(kind=MemberEvent.Kind.TRANSFERRED, occurred_on__gt=first_end).filter(
        Q(from_branch__path__startswith=root.path) | Q(to_branch__path__startswith=root.path)
    )
    _add_settled(result, root, first_end, last_end, moved)
    _add_moved(result, moved, ends)
    for table in (result.members, result.full, result.groups):
        _close(table)
    return result


def _add_settled(result: MonthRosters, root: Branch, first_end, last_end, moved) -> None:
    """Members in today's branch since before January's end, grouped by the dates that matter."""
    before = Q(joined_on__lte=first_end)
    rows = (
        Member.objects.filter(branch__path__startswith=root.path, joined_on__lte=last_end)
        .filter(Q(is_active=True, left_on__isnull=True) | Q(left_on__gte=first_end))
        .exclude(pk__in=moved.values("member_id"))
        .annotate(
            since=Case(When(before, then=Value(None)), default=F("joined_on"), output_field=DateField()),
            until=Case(When(left_on__gte=last_end, then=Value(None)), default=F("left_on"), output_field=DateField()),
            full_from=Case(
                When(Q(confirmed_on__isnull=True) | Q(confirmed_on__lte=first_end), then=Value(None)),
                default=F("confirmed_on"),
                output_field=DateField(),
            ),
        )
        .values_list("branch_id", "group_id", "status", "since", "until", "full_from")
        .annotate(n=Count("pk"))
        .order_by()
    )
    year = result.year
    for branch_id, group_id, status, since, until, full_from, n in rows:
        first = _month_of(since, year, 1)
        last = _last_month(until, year)
        _span(result.members, branch_id, first, last, n)
        _span(result.groups, group_id, first, last, n)
        if status == Member.Status.FULL:
            _span(result.full, branch_id, max(first, _month_of(full_from, year, 1)), last, n)


def _add_moved(result: MonthRosters, moved, ends: list) -> None:
    """Members with a transfer touching the subtree after January's end, month by month."""
    rows = moved.order_by("member_id", "occurred_on", "pk").values_list(
        "member_id",
        "occurred_on",
        "from_branch_id",
        "member__branch_id",
        "member__group_id",
        "member__status",
        "member__joined_on",
        "member__left_on",
        "member__is_active",
        "member__confirmed_on",
    )
    by_member: dict[int, list] = defaultdict(list)
    for row in rows:
        by_member[row[0]].append(row)
    for transfers in by_member.values():
        _, _, _, branch_id, group_id, status, joined_on, left_on, is_active, confirmed_on = transfers[0]
        for m in range(1, 13):
            day = ends[m]
            if joined_on > day or (left_on is None and not is_active) or (left_on is not None and left_on < day):
                continue
            home = next((t[2] for t in transfers if t[1] > day), branch_id)
            _span(result.members, home, m, m, 1)
            if home == branch_id:
                _span(result.groups, group_id, m, m, 1)
            if status == Member.Status.FULL and (confirmed_on is None or confirmed_on <= day):
                _span(result.full, home, m, m, 1)
