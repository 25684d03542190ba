"""Reads for the health checks: the facts of a whole subtree in a handful of GROUP BY queries,
the rubric in force, the review pages' lists and the warnings."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from activities.models import Activity, Attendance
from activities.selectors import on_approved_leave
from branches import access
from branches.models import Branch
from core.periods import Period
from members.dues.rules import payment_deadline
from members.models import Commendation, DuesPayment, Member, MemberEvent, Sanction
from members.rules import add_years
from service.selectors import completed_hours

from . import rubric as rules
from .models import HealthCheck, HealthCheckEvent, Rubric

# ---------------------------------------------------------------------------- the facts of a subtree


@dataclass
class FactsRow:
    branch_id: int
    branch_path: str
    facts: rules.MemberFacts


def _on_roster(period: Period):
    """Members on the roster at any day of ``period`` (joined by its last day, not left before it)."""
    return Member.objects.filter(joined_on__lte=period.last_day).filter(
        Q(is_active=True) | Q(left_on__gte=period.start)
    )


@dataclass
class Roster:
    """The members scored for a period in a subtree, each with the branch their check belongs to."""

    ids: QuerySet  # their ids, for the aggregate queries' ``member_id IN (...)``
    rows: list[dict]  # pk, branch_id, branch__path (the period's), joined_on, left_on, is_active


def roster(*, period: Period, branch: Branch | None) -> Roster:
    """Members scored for ``period`` in ``branch``'s subtree (the whole site: None).

    On the roster at any day of the period, and in the subtree at the end of their time in it
    (the period's last day, or their leaving day if earlier): a check belongs to the branch the
    member was in then (``period_branches``), not to today's (docs/rules/history.md). Two queries.
    """
    scored = _on_roster(period)
    if branch is not None:
        moved_out = MemberEvent.objects.filter(
            kind=MemberEvent.Kind.TRANSFERRED, occurred_on__gt=period.start, from_branch__path__startswith=branch.path
        )
        scored = scored.filter(Q(branch__path__startswith=branch.path) | Q(pk__in=moved_out.values("member_id")))
    rows = list(scored.order_by().values("pk", "branch_id", "branch__path", "joined_on", "left_on", "is_active"))
    then = period_branches(period=period, rows=rows, ids=scored.order_by().values("pk"))
    elsewhere = []
    for row in rows:
        row["branch_id"], row["branch__path"] = then.get(row["pk"], (row["branch_id"], row["branch__path"]))
        if branch is not None and not row["branch__path"].startswith(branch.path):
            elsewhere.append(row["pk"])
    if elsewhere:  # in the subtree today or once, but not at the end of the period: a handful
        excluded = set(elsewhere)
        rows = [row for row in rows if row["pk"] not in excluded]
        scored = scored.exclude(pk__in=elsewhere)
    return Roster(ids=scored.order_by().values("pk"), rows=rows)


def period_branches(*, period: Period, rows: list[dict], ids) -> dict[int, tuple[int, str]]:
    """The branch (id, path) of each member of ``rows`` who moved since, at the end of their time in
    ``period``: the branch left by their first transfer dated after that day. One query.

    A transfer dated D puts the member in the new branch from D on: one dated on the period's
    last day gives the period to the new branch, one dated the day after leaves it to the old.
    """
    ends = {}
    for row in rows:
        left_on = None if row["is_active"] else row["left_on"]
        ends[row["pk"]] = min(period.last_day, left_on) if left_on else period.last_day
    transfers = (
        MemberEvent.objects.filter(kind=MemberEvent.Kind.TRANSFERRED, occurred_on__gt=period.start, member_id__in=ids)
        .exclude(from_branch=None)
        .order_by("member_id", "occurred_on", "at", "pk")
        .values_list("member_id", "occurred_on", "from_branch_id", "from_branch__path")
    )
    result: dict[int, tuple[int, str]] = {}
    for member_id, occurred_on, branch_id, path in transfers:
        if member_id not in result and occurred_on > ends[member_id]:
            result[member_id] = (branch_id, path)
    return result


def member_facts(*, period: Period, branch: Branch | None, scored: Roster | None = None) -> dict[int, FactsRow]:
    """Every scored member's facts for ``period``: a few aggregate queries, whatever the subtree's size."""
    scored = scored or roster(period=period, branch=branch)
    result: dict[int, FactsRow] = {}
    for m in scored.rows:
        facts = rules.MemberFacts(
            months_on_roster=period.months_between(m["joined_on"], None if m["is_active"] else m["left_on"]),
            period_months=len(period.months),
        )
        result[m["pk"]] = FactsRow(m["branch_id"], m["branch__path"], facts)
    ids = Subquery(scored.ids)
    _add_attendance(result, ids, period)
    _add_dues(result, ids, period)
    _add_records(result, ids, period)
    for member_id, hours in completed_hours(member_ids=ids, period=period).items():  # 为民服务 hours (issue 16)
        result[member_id].facts.volunteer_hours += hours
    return result


def _add_attendance(result: dict[int, FactsRow], ids, period: Period) -> None:
    """Expected, present and on approved leave by member and activity kind; volunteer hours."""
    start, end = period.bounds()
    present = Q(status=Attendance.Status.PRESENT)
    leave = on_approved_leave()
    rows = (
        Attendance.objects.filter(member_id__in=ids, activity__status=Activity.Status.HELD)
        .filter(activity__starts_at__gte=start, activity__starts_at__lt=end)
        .values("member_id", "activity__kind")
        .annotate(
            n_expected=Count("pk", filter=Q(expected=True)),
            n_present=Count("pk", filter=Q(expected=True) & present),
            n_leave=Count("pk", filter=Q(expected=True) & leave),
            hours=Sum("hours", filter=present),
        )
        .order_by()
    )
    for row in rows:
        facts = result[row["member_id"]].facts
        kind = row["activity__kind"]
        facts.attendance[kind] = rules.Tally(row["n_expected"], row["n_present"], row["n_leave"])
        if kind == Activity.Kind.VOLUNTEER and row["hours"]:
            facts.volunteer_hours += Decimal(row["hours"])


def _add_dues(result: dict[int, FactsRow], ids, period: Period) -> None:
    """Months due, and months paid in full within the allowed delay (members.dues.rules.payment_deadline:
    the end of the month ``DUES_MAX_DELAY_MONTHS`` later; 关于中国共产党党费收缴、使用和管理的规定
    art. 12). Cancelled rows count for nothing. One aggregate query."""
    on_time = Q(pk__in=[])
    for first in period.months:
        on_time |= Q(month=first, paid_on__lte=payment_deadline(first))
    due = Q(due__gt=0)
    rows = (
        DuesPayment.objects.filter(member_id__in=ids, month__gte=period.start, month__lte=period.last_day)
        .filter(cancelled_at__isnull=True)
        .values("member_id")
        .annotate(
            months_due=Count("pk", filter=due),
            months_paid=Count("pk", filter=due & Q(paid__gte=F("due")) & on_time),
        )
        .order_by()
    )
    for row in rows:
        facts = result[row["member_id"]].facts
        facts.dues_months_due, facts.dues_months_paid = row["months_due"], row["months_paid"]


def _add_records(result: dict[int, FactsRow], ids, period: Period) -> None:
    """Commendations by level and sanctions by kind dated within the period."""
    commendations = (
        Commendation.objects.filter(member_id__in=ids, awarded_on__gte=period.start, awarded_on__lte=period.last_day)
        .values("member_id", "level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in commendations:
        result[row["member_id"]].facts.commendations[row["level"]] = row["n"]
    sanctions = (
        Sanction.objects.filter(member_id__in=ids, imposed_on__gte=period.start, imposed_on__lte=period.last_day)
        .values("member_id", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in sanctions:
        result[row["member_id"]].facts.sanctions[row["kind"]] = row["n"]


# ---------------------------------------------------------------------------- rubrics and existing checks


def rubric_resolver(*, paths, year: int) -> Callable[[str], tuple[Rubric | None, dict]]:
    """A function giving, for a branch path, the rubric in force in ``year`` and its config.

    The deepest covering branch's rubric wins, the latest ``year`` not after ``year`` among
    that branch's; with none, the default rubric. One query (rubrics are few).
    """
    del paths  # every rubric up to ``year`` is read: there are a handful per organization department
    rubrics = list(Rubric.objects.filter(year__lte=year).select_related("branch"))
    cache: dict[str, tuple[Rubric | None, dict]] = {}

    def resolve(path: str) -> tuple[Rubric | None, dict]:
        if path not in cache:
            covering = [r for r in rubrics if r.branch is None or path.startswith(r.branch.path)]
            best = max(covering, key=lambda r: (len(r.branch.path) if r.branch else -1, r.year), default=None)
            cache[path] = (best, best.config if best else rules.default_rubric())
        return cache[path]

    return resolve


def existing_checks(*, period: Period, scored: Roster) -> dict[int, dict]:
    """The period's checks of the scored members, by member id, locked until the transaction ends."""
    rows = (
        HealthCheck.objects.select_for_update()
        .filter(period=period.label, member_id__in=Subquery(scored.ids))
        .order_by()  # read into a dict: the default ordering's joins and sort would be wasted
        .values(
            "pk",
            "member_id",
            "status",
            "adjustment",
            "branch_id",
            "rubric_id",
            "snapshot_id",
            "items",
            "bonus",
            "deduction",
            "vetoed",
            "subtotal",
            "total",
            "grade",
        )
    )
    return {row["member_id"]: row for row in rows}


def check_ids(*, period: str, member_ids: list[int], computed_at, chunk: int = 2000) -> dict[int, int]:
    """Member id → check id of those of ``member_ids``' checks for ``period`` stamped ``computed_at``
    (by the unique (member, period) index, ``chunk`` members a query)."""
    ids = {}
    for start in range(0, len(member_ids), chunk):
        checks = HealthCheck.objects.filter(
            period=period, member_id__in=member_ids[start : start + chunk], computed_at=computed_at
        )
        ids.update(checks.order_by().values_list("member_id", "pk"))
    return ids


# ---------------------------------------------------------------------------- which year's checks


def yearly_checks_period(root: Branch, day: datetime.date) -> str:
    """The year whose checks the pages and reports show for ``root``'s subtree on ``day``: ``day``'s
    year once any check of it exists in the subtree, the year before until then (one query).

    The one rule (docs/rules/reports.md, rule 4) of the organization department's first page
    (``day`` today) and of a month's report (``day`` its last day): the beat computes a year's checks
    the night after it ends, so in January a new year has none and its predecessor's are the ones
    in force; a year whose checks were computed early (a branch's 重新计算, the demo's year) shows them.
    """
    this_year = str(day.year)
    started = HealthCheck.objects.filter(branch__path__startswith=root.path, period=this_year).exists()
    return this_year if started else str(day.year - 1)


# ---------------------------------------------------------------------------- review pages


def checks_of_branch(*, branch: Branch, period: str):
    """A branch's checks for a period, with the member, for the secretary's page."""
    return (
        HealthCheck.objects.filter(branch=branch, period=period)
        .select_related("member")
        .order_by("member__name_pinyin", "member__name", "pk")
    )


@dataclass
class BranchReview:
    branch: Branch
    counts: dict[str, int]  # by status

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def status(self) -> str:
        """The branch's overall state: the least advanced status any of its checks is in."""
        for status in HealthCheck.Status.values:
            if self.counts.get(status):
                return status
        return HealthCheck.Status.DRAFT

    @property
    def status_label(self) -> str:
        return HealthCheck.Status(self.status).label


def branches_for_review(*, root: Branch, period: str) -> list[BranchReview]:
    """Every branch of ``root``'s subtree with checks for ``period`` and how many are in each status."""
    rows = (
        HealthCheck.objects.filter(branch__path__startswith=root.path, period=period, withdrawn_at=None)
        .values("branch_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[int, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["branch_id"], {})[row["status"]] = row["n"]
    branches = Branch.objects.filter(pk__in=list(counts)).order_by("path")
    return [BranchReview(b, counts[b.pk]) for b in branches]


@dataclass(frozen=True)
class ReturnedChecks:
    """A branch's checks of one period that the department returned and the branch has not resubmitted."""

    branch_id: int
    branch_name: str
    branch_code: str
    period: str
    count: int
    comment: str  # the latest return's comment (a return always has one: health_checks_return)
    returned_at: datetime.datetime | None


def returned_checks(user, *, limit: int = 10) -> list[ReturnedChecks]:
    """Checks returned to the branches ``user`` manages (``manage_branch``), per branch and period, with
    the latest return's comment and time; at most ``limit`` + 1 rows (the caller shows ``limit`` and
    knows there are more). One query: a row per branch and period (its first returned check), the
    count, the comment and the time correlated subqueries of that row.

    Not a ``GROUP BY``: grouped with the count, the subqueries were grouped too and PostgreSQL ran them
    for every check of the group (a city's 党支部 of 97 returned checks: 9,409 loops, 180 ms; now 2).
    """
    returned = HealthCheck.objects.filter(status=HealthCheck.Status.RETURNED, withdrawn_at=None)
    group = returned.filter(branch_id=OuterRef("branch_id"), period=OuterRef("period"))
    latest = HealthCheckEvent.objects.filter(
        kind=HealthCheckEvent.Kind.RETURNED,
        health_check__branch_id=OuterRef("branch_id"),
        health_check__period=OuterRef("period"),
    ).order_by("-at", "-pk")
    rows = (
        returned.filter(access.perm_scope_q(user, access.MANAGE, "branch__path"))
        .exclude(Exists(group.filter(pk__lt=OuterRef("pk"))))
        .annotate(
            n=Subquery(group.order_by().values("branch_id").annotate(n=Count("pk")).values("n")),
            comment=Subquery(latest.values("comment")[:1]),
            returned_at=Subquery(latest.values("at")[:1]),
        )
        .values("branch_id", "branch__name", "branch__code", "period", "n", "comment", "returned_at")
        .order_by("-returned_at", "branch__path", "-period")[: limit + 1]
    )
    return [
        ReturnedChecks(
            r["branch_id"],
            r["branch__name"],
            r["branch__code"],
            r["period"],
            r["n"],
            r["comment"] or "",
            r["returned_at"],
        )
        for r in rows
    ]


def published_checks_of(member: Member):
    """A member's own published checks, latest period first."""
    return HealthCheck.objects.filter(member=member, status=HealthCheck.Status.PUBLISHED).order_by("-period")


# ---------------------------------------------------------------------------- warnings


def probation_ending(*, branch: Branch, today: datetime.date | None = None, within_days: int = 30):
    """预备党员 whose probation ends within ``within_days`` days (or has ended unconfirmed).

    The ``probation_ends`` of each is ``Member.probation_ends_on`` (admission + 1 year + any
    extension). One query: the admission dates that could end by then, the extension applied after.
    """
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=within_days)
    latest_joined = add_years(horizon, -1)
    candidates = (
        Member.objects.in_subtree(branch)
        .active()
        .filter(status=Member.Status.PROBATIONARY, joined_on__lte=latest_joined)
        .select_related("branch")
        .order_by("joined_on", "name_pinyin", "name")
    )
    members = [m for m in candidates if m.probation_ends_on <= horizon]
    for member in members:
        member.probation_ends = member.probation_ends_on
        member.days_left = (member.probation_ends - today).days
    members.sort(key=lambda m: (m.probation_ends, m.name_pinyin, m.name))
    return members
