"""Reads for the reports: the facts of a whole subtree in a handful of GROUP BY queries, and the pages' lists.

Facts are gathered per branch (the branch a member, a dues row or a health check belongs to)
as flat counters with tuple keys, e.g. ``("members", "full", "farmer", "normal") -> 12``; the service
rolls them up the tree. Every function here runs a constant number of queries whatever the
subtree's size.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, Sum

from activities.compliance import MET, MISSING, PENDING, compliance_report
from activities.models import Activity, Attendance
from activities.selectors import on_approved_leave
from activities.study import study_shortfalls
from branches.models import Branch
from core.periods import MONTH, YEAR, Period
from health.models import HealthCheck
from health.selectors import yearly_checks_period
from members.models import DuesPayment, Member, Position

from .models import Reminder, Report

# Kinds of organization that get a report of their own; a 党小组's meetings count in its 党支部's.
REPORTED_KINDS = (Branch.Kind.COMMITTEE, Branch.Kind.GENERAL_BRANCH, Branch.Kind.BRANCH)
# Nodes a report counts as organizations (党组织); 党小组 and 党员中心户 are counted apart (issue 14).
ORGANIZATION_KINDS = REPORTED_KINDS
Facts = Counter  # tuple key -> int or Decimal


@dataclass(frozen=True)
class Node:
    pk: int
    path: str
    kind: str
    open_at_end: bool = True  # not dissolved by the period's last day


def health_period_of(period: Period, root: Branch) -> str:
    """The health-check period a report of ``root``'s subtree shows: a year's or a quarter's own checks;
    for a month, the yearly checks in force at its end (``health.selectors.yearly_checks_period``: its
    year's once any exist in the subtree, the year before until then; one query), never the quarter
    under way, which has none yet."""
    if period.kind != MONTH:
        return period.label
    return yearly_checks_period(root, period.last_day)


def subtree_nodes(root: Branch, period: Period) -> list[Node]:
    """Every organization of the subtree that existed at some day of ``period`` (one query)."""
    rows = (
        Branch.objects.filter(path__startswith=root.path)
        .filter(Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=period.start))
        .filter(Q(established_on__isnull=True) | Q(established_on__lte=period.last_day))
        .values_list("pk", "path", "kind", "dissolved_on")
        .order_by("path")
    )
    return [Node(pk, path, kind, gone is None or gone > period.last_day) for pk, path, kind, gone in rows]


def existing_report_branches(root: Branch, period: Period) -> set[int]:
    return set(
        Report.objects.filter(branch__path__startswith=root.path, period=period.label).values_list(
            "branch_id", flat=True
        )
    )


# ---------------------------------------------------------------------------- facts by branch


def member_facts(root: Branch, period: Period, facts: dict[int, Facts]) -> None:
    """On the roster at the period's end by status, occupation and situation; joined and left during it."""
    end_roster = Q(is_active=True) | Q(left_on__gte=period.last_day)  # left_on: their last day on it
    rows = (
        Member.objects.filter(branch__path__startswith=root.path, joined_on__lte=period.last_day)
        .filter(Q(is_active=True) | Q(left_on__gte=period.start))
        .values("branch_id", "status", "occupation", "situation")
        .annotate(
            n=Count("pk", filter=end_roster),
            joined=Count("pk", filter=Q(joined_on__gte=period.start)),
            left=Count("pk", filter=~end_roster),
        )
        .order_by()
    )
    for r in rows:
        f = facts[r["branch_id"]]
        f[("members", r["status"], r["occupation"], r["situation"])] += r["n"]
        f[("joined",)] += r["joined"]
        f[("left",)] += r["left"]


def committee_facts(root: Branch, period: Period, facts: dict[int, Facts]) -> None:
    """Members holding a committee position (``Position.COMMITTEE_TITLES``) on the period's last day,
    by branch: what the structure warnings ask of a 党支部 (reports.structure)."""
    last_day = period.last_day
    rows = (
        Position.objects.filter(branch__path__startswith=root.path, title__in=Position.COMMITTEE_TITLES)
        .filter(Q(started_on__lte=last_day), Q(ended_on__isnull=True) | Q(ended_on__gte=last_day))
        .values_list("branch_id")
        .annotate(n=Count("member_id", distinct=True))
        .order_by()
    )
    for branch_id, n in rows:
        facts[branch_id][("committee",)] += n


def _within(root: Branch, lookup: str, whole: bool) -> Q:
    """Rows of ``root``'s subtree through ``lookup`` (a branch path); nothing to filter when the
    subtree is the whole site (``whole``), which spares the largest reads a join with the branches."""
    return Q() if whole else Q(**{f"{lookup}__startswith": root.path})


def attendance_facts(root: Branch, period: Period, facts: dict[int, Facts], whole: bool = False) -> None:
    """Held activities of the period by the member's branch and the kind: expected, present, leave, hours."""
    start, end = period.bounds()
    present = Q(status=Attendance.Status.PRESENT)
    expected = Q(expected=True)
    rows = (
        Attendance.objects.filter(
            _within(root, "member__branch__path", whole),
            activity__status=Activity.Status.HELD,
            activity__starts_at__gte=start,
            activity__starts_at__lt=end,
        )
        .values("member__branch_id", "activity__kind")
        .annotate(
            n_expected=Count("pk", filter=expected),
            n_present=Count("pk", filter=expected & present),
            n_leave=Count("pk", filter=expected & on_approved_leave()),
            n_turnout=Count("pk", filter=present),
            n_hours=Sum("hours", filter=present),
        )
        .order_by()
    )
    for r in rows:
        f, kind = facts[r["member__branch_id"]], r["activity__kind"]
        for key in ("expected", "present", "leave", "turnout"):
            f[("att", kind, key)] += r[f"n_{key}"]
        if r["n_hours"]:
            f[("hours",)] += Decimal(r["n_hours"])


def dues_facts(root: Branch, period: Period, facts: dict[int, Facts], whole: bool = False) -> None:
    """Dues of the period's months by the branch that collected them: due, paid, months paid in full."""
    short = Q(paid__lt=F("due"))
    rows = (
        DuesPayment.objects.filter(
            _within(root, "branch__path", whole), month__gte=period.start, month__lte=period.last_day
        )
        .values("branch_id")
        .annotate(
            n_due=Sum("due"),
            n_paid=Sum("paid"),
            n_months=Count("pk"),
            n_short=Count("pk", filter=short),
            n_members_short=Count("member_id", filter=short, distinct=True),
        )
        .order_by()
    )
    for r in rows:
        f = facts[r["branch_id"]]
        f[("dues", "due")] += Decimal(r["n_due"] or 0)
        f[("dues", "paid")] += Decimal(r["n_paid"] or 0)
        f[("dues", "months")] += r["n_months"]
        f[("dues", "months_short")] += r["n_short"]
        f[("dues", "members_short")] += r["n_members_short"]


def health_facts(root: Branch, health_period: str, facts: dict[int, Facts]) -> None:
    """Health checks of the report's health period (``health_period_of``) by branch, grade and status."""
    rows = (
        HealthCheck.objects.filter(branch__path__startswith=root.path, period=health_period)
        .values("branch_id", "grade", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for r in rows:
        f = facts[r["branch_id"]]
        f[("health", "grade", r["grade"])] += r["n"]
        f[("health", "status", r["status"])] += r["n"]


_MEET_COLUMNS = ("required", "held", "lines", "met", "missing", "pending")
_STATUS_COLUMN = {MET: 3, MISSING: 4, PENDING: 5}


def compliance_facts(root: Branch, period: Period, facts: dict[int, Facts], today: datetime.date) -> None:
    """Required meetings per unit and kind: required, held (capped per window), lines met/missing/pending.

    A city has some 28,000 lines: they are summed per unit and kind in plain lists first, and
    only the sums go into the branch's counter.
    """
    report = compliance_report(branch=root, period=period, today=today)
    for unit in report.branches:
        by_kind: dict[str, list[int]] = {}
        for line in unit.lines:
            sums = by_kind.get(line.kind)
            if sums is None:
                sums = by_kind[line.kind] = [0, 0, 0, 0, 0, 0]
            sums[0] += line.required
            sums[1] += line.held if line.held < line.required else line.required
            sums[2] += 1
            sums[_STATUS_COLUMN[line.status]] += 1
        f = facts[unit.branch.pk]
        f[("units",)] += 1
        f[("units_ok",)] += int(all(sums[4] == 0 for sums in by_kind.values()))
        for kind, sums in by_kind.items():
            for column, value in zip(_MEET_COLUMNS, sums, strict=True):
                if value or column in ("required", "held", "lines"):
                    f[("meet", kind, column)] += value


def study_facts(root: Branch, period: Period, facts: dict[int, Facts], whole: bool = False) -> None:
    """A year's 学时 (activities.study): members on the roster at the year's end, and those short of theirs."""
    for branch_id, (members, short) in study_shortfalls(root, period.year, whole=whole).items():
        f = facts[branch_id]
        f[("study", "members")] += members
        f[("study", "short")] += short


def subtree_facts(
    root: Branch,
    period: Period,
    today: datetime.date,
    step=None,
    whole: bool = False,
    health_period: str | None = None,
) -> dict[int, Facts]:
    """Every fact of the subtree by branch id: eleven queries (compliance takes five), fourteen for a
    year (compliance reads the secretaries' lectures too, and the year's 学时 take two); a month's
    one more when ``health_period`` is not given (which year's checks: ``health_period_of``).

    ``whole``: ``root``'s tree is the only one, so its subtree is every row of the site.
    """
    if health_period is None:
        health_period = health_period_of(period, root)
    facts: dict[int, Facts] = defaultdict(Counter)
    readers = [
        ("读取党员", lambda: (member_facts(root, period, facts), committee_facts(root, period, facts))),
        ("读取出勤", lambda: attendance_facts(root, period, facts, whole)),
        ("读取党费", lambda: dues_facts(root, period, facts, whole)),
        ("读取政治体检", lambda: health_facts(root, health_period, facts)),
        ("核对会议落实", lambda: compliance_facts(root, period, facts, today)),
    ]
    if period.kind == YEAR:
        readers.append(("读取学时", lambda: study_facts(root, period, facts, whole)))
    for label, read in readers:
        read()
        if step:
            step(label)
    return facts


# ---------------------------------------------------------------------------- pages


def report_of(branch: Branch, period: str) -> Report | None:
    return Report.objects.filter(branch=branch, period=period).first()


def child_reports(branch: Branch, period: str) -> list[Report]:
    """The reports of ``branch``'s direct children for ``period``, in tree order (one query)."""
    return list(
        Report.objects.filter(branch__path__startswith=branch.path, branch__depth=branch.depth + 1, period=period)
        .select_related("branch")
        .order_by("branch__path")
    )


def flagged_branches(branch: Branch, period: str, *, limit: int) -> list[Report]:
    """The reports of the 党支部 of ``branch``'s subtree with a structure warning in ``period``, in tree order."""
    return list(
        Report.objects.filter(branch__path__startswith=branch.path, period=period, structure_warnings__gt=0)
        .filter(branch__kind=Branch.Kind.BRANCH)
        .select_related("branch")
        .order_by("branch__path")[:limit]
    )


def periods_of(branch: Branch, limit: int = 24) -> list[str]:
    """The periods ``branch`` has reports for, latest first."""
    return list(Report.objects.filter(branch=branch).order_by("-period").values_list("period", flat=True)[:limit])


def reports_in_subtree(branch: Branch, period: str):
    return Report.objects.filter(branch__path__startswith=branch.path, period=period).select_related("branch")


def reminders_of(user, limit: int = 60):
    return Reminder.objects.filter(user=user).order_by("-day", "kind")[:limit]
