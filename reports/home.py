"""The first page of each role: what to do now (issue 15, "First pages"; docs/rules/home.md).

``home_role`` says which page a user lands on; ``member_home``, ``secretary_home`` and
``orgdept_home`` read what it shows. Each reuses the selectors of the pages it links to (the
activity card, the workbench, the compliance report, the structure warnings…) and runs a
constant number of queries whatever the size of the subtree: each section is a count, at most
``SECTION_ROWS`` rows and the link to the full list, a link only to a page the user may open.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from activities import page_selectors, selectors
from activities.compliance import KIND_LABELS, compliance_report
from activities.models import Activity, Attendance
from activities.probation import probation_decisions_awaiting_approval
from activities.study import member_study_hours
from branches import access
from branches.models import AuditBulkEvent, Branch
from branches.summaries import kept
from core.periods import MONTH, YEAR, Period, add_months, month_start
from health import selectors as health_selectors
from health.models import HealthCheck
from members.models import DuesPayment, Member

from .structure import structure_warnings

SECTION_ROWS = 5  # a first page on a phone: the first five of each section, the rest one tap away
CENT = Decimal("0.01")
PROBATION_DAYS = 30  # members whose probation ends within this many days (or ended unconfirmed)
IMPORT_DAYS = 30  # the imports counted in the organization department's "recent imports"
IMPORT_KINDS = (AuditBulkEvent.Kind.IMPORT_MEMBERS, AuditBulkEvent.Kind.IMPORT_DUES)
# A root of these kinds has no branches below it: its manager is a secretary, not a department.
LEAF_KINDS = (Branch.Kind.BRANCH, Branch.Kind.GROUP, Branch.Kind.HOUSEHOLD)

MEMBER, SECRETARY, ORGDEPT = "member", "secretary", "orgdept"


@dataclass
class Section:
    """One block of a first page: how many, the first rows, the page with all of them."""

    rows: list
    count: int
    url: str = ""
    capped: bool = False  # ``count`` is a lower bound (the source stops at its own limit)

    @classmethod
    def of(cls, items: list, url: str = "", *, limit: int | None = None, count: int | None = None) -> Section:
        """The first ``SECTION_ROWS`` of ``items``; ``limit``: the source's own cap (its count is then ``limit``+)."""
        total = len(items) if count is None else count
        return cls(items[:SECTION_ROWS], total, url, capped=limit is not None and len(items) >= limit)

    @property
    def more(self) -> bool:
        return self.count > len(self.rows)


def _url(name: str, *args, **query) -> str:
    url = reverse(name, args=args)
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{url}?{urlencode(query)}" if query else url


# --------------------------------------------------------------------------- who lands where


def home_role(user, *, member: bool) -> str:
    """``orgdept``: holds ``review_health`` somewhere, or reads a subtree with branches below it
    (manages a 党委 or 党总支, or inspects one); ``secretary``: manages 党支部 only; ``member``: no
    grant and a member record; "" otherwise. One query (the grants), plus the roots for staff
    without ``review_health``."""
    if not access.is_staff_user(user):
        return MEMBER if member else ""
    if access.has_perm_anywhere(user, access.REVIEW):
        return ORGDEPT
    if any(root.kind not in LEAF_KINDS for root in access.top_branches(user)):
        return ORGDEPT
    return SECRETARY if access.manages_any(user) else ORGDEPT


# --------------------------------------------------------------------------- the member


@dataclass
class AttendanceRate:
    year: int
    expected: int
    present: int
    leave: int

    @property
    def rate(self) -> Decimal | None:
        """实到 ÷ (应到 − 请假), as the health check counts it; None before any meeting counted."""
        base = self.expected - self.leave
        return (Decimal(self.present * 100) / base).quantize(Decimal("1")) if base > 0 else None


@dataclass
class MyDues:
    month: datetime.date
    due: Decimal | None  # this month's row; None when not generated yet
    paid: Decimal | None
    arrears: Decimal  # unpaid amount of the earlier months
    months_in_arrears: int

    @property
    def paid_this_month(self) -> bool:
        return self.due is not None and self.paid is not None and self.paid >= self.due


@dataclass
class MemberHome:
    member: Member
    next_card: selectors.MemberCard | None
    attendance: AttendanceRate
    dues: MyDues
    score: HealthCheck | None
    study: object  # activities.study.StudyHours


def attendance_rate(member: Member, year: int) -> AttendanceRate:
    """The member's 应到, 实到 and 请假 at held activities of ``year`` (one query)."""
    start, end = Period(YEAR, year).bounds()
    counts = Attendance.objects.filter(
        member=member,
        expected=True,
        activity__status=Activity.Status.HELD,
        activity__starts_at__gte=start,
        activity__starts_at__lt=end,
    ).aggregate(
        expected=Count("pk"),
        present=Count("pk", filter=Q(status=Attendance.Status.PRESENT)),
        leave=Count("pk", filter=selectors.on_approved_leave()),
    )
    return AttendanceRate(year, counts["expected"], counts["present"], counts["leave"])


def my_dues(member: Member, today: datetime.date) -> MyDues:
    """This month's due and paid, and the arrears of the months before it (one query).

    Arrears as the dues pages count them (``members.dues.selectors``): a row not cancelled whose
    paid is below its due, for its difference.
    """
    this_month = month_start(today)
    live = DuesPayment.objects.filter(member=member, cancelled_at__isnull=True)
    short = Q(month__lt=this_month, paid__lt=F("due"))
    money = Coalesce(Sum(F("due") - F("paid"), filter=short), Value(Decimal(0)))
    row = live.aggregate(
        due_now=Sum("due", filter=Q(month=this_month)),
        paid_now=Sum("paid", filter=Q(month=this_month)),
        owed=money,
        months=Count("pk", filter=short),
    )
    return MyDues(this_month, _money(row["due_now"]), _money(row["paid_now"]), _money(row["owed"]), row["months"])


def _money(value) -> Decimal | None:
    """A sum as yuan and fen (SQLite sums decimals as floats: 0.2 comes back 0.200000000000000)."""
    return None if value is None else Decimal(str(value)).quantize(CENT)


def member_home(member: Member, *, now: datetime.datetime | None = None) -> MemberHome:
    """Five queries: the next activity with the member's own state, the year's attendance, the
    dues, the latest published score, the year's 学时."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    upcoming = selectors.member_upcoming(member, now=now).first()
    return MemberHome(
        member=member,
        next_card=selectors.member_card(upcoming, now=now) if upcoming else None,
        attendance=attendance_rate(member, today.year),
        dues=my_dues(member, today),
        score=health_selectors.published_checks_of(member).first(),
        study=member_study_hours(member=member, year=today.year),
    )


# --------------------------------------------------------------------------- the secretary


def returned_checks(user) -> Section:
    """Health checks returned to the branches ``user`` manages, per branch and period, each with
    the latest return's comment (``health.selectors.returned_checks``: one grouped query)."""
    groups = health_selectors.returned_checks(user, limit=SECTION_ROWS)
    return Section(groups[:SECTION_ROWS], min(len(groups), SECTION_ROWS), capped=len(groups) > SECTION_ROWS)


@dataclass
class SecretaryHome:
    roots: list[Branch]
    leave: Section
    to_log: Section
    upcoming: Section
    missing: Section
    period: Period | None
    returned: Section
    lapsed: Section
    probation_ending: Section
    probation_awaiting: Section
    create_url: str = ""


def secretary_home(user, *, today: datetime.date | None = None) -> SecretaryHome:
    """The workbench (``activities.page_selectors.workbench``: leave, meetings to log, plan and
    missing, the art. 9 warning), the returned health checks, probation ending and awaiting
    approval. The workbench's queries, one for the returned checks, two per managed root."""
    today = today or timezone.localdate()
    wb = page_selectors.workbench(user, today=today, dates=False)
    workbench_url = reverse("activities:workbench")
    ending, awaiting = [], []
    for root in wb.roots:
        ending += health_selectors.probation_ending(branch=root, today=today, within_days=PROBATION_DAYS)
        awaiting += probation_decisions_awaiting_approval(root)
    first = wb.roots[0] if wb.roots else None
    return SecretaryHome(
        roots=wb.roots,
        leave=Section.of(wb.leave_requests, workbench_url, count=wb.counts["leave"]),
        to_log=Section.of(wb.to_log, workbench_url, count=wb.counts["to_log"]),
        upcoming=Section.of(wb.upcoming, workbench_url, count=wb.counts["upcoming"]),
        missing=Section.of(
            wb.missing,
            _url("activities:compliance", branch=first.code if first else ""),
            count=wb.counts["missing"],
        ),
        period=wb.period,
        returned=returned_checks(user),
        lapsed=Section(wb.lapsed[:SECTION_ROWS], wb.counts["lapsed"], workbench_url, capped=wb.lapsed_more),
        probation_ending=Section.of(ending, _url("health:branch", first.code) if first else ""),
        probation_awaiting=Section.of(awaiting, _url("branches:detail", first.code) if first else ""),
        create_url=_url("activities:create", branch=first.code if len(wb.roots) == 1 else ""),
    )


# --------------------------------------------------------------------------- the organization department


@dataclass
class MissingUnit:
    branch: Branch
    kinds: list[str]  # the meetings missing, in words


@dataclass
class Progress:
    """One 党支部's health checks of the period, by how far they have gone."""

    branch: Branch
    total: int
    editable: int  # draft or returned: not submitted yet
    returned: int
    locked: int  # submitted, approved or published

    @property
    def state(self) -> str:
        if not self.total:
            return "none"
        return "done" if not self.editable else "open"


@dataclass
class OrgdeptHome:
    roots: list[Branch]
    month: Period
    missing: Section
    missing_lines: int
    health_period: str
    progress: Section
    progress_counts: dict[str, int] = field(default_factory=dict)  # state -> 党支部
    structure: Section | None = None
    structure_rows: list = field(default_factory=list)  # (label, 党支部 with it)
    imports: Section | None = None
    can_review_health: bool = False


def _count(status_q: Q, period: str):
    checks = (
        HealthCheck.objects.filter(status_q, branch_id=OuterRef("pk"), period=period, withdrawn_at=None)
        .order_by()
        .values("branch_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(checks, output_field=IntegerField()), Value(0))


def health_progress(root: Branch, period: str) -> list[Progress]:
    """Every current 党支部 of ``root``'s subtree with its checks of ``period`` by state, those
    without any included: one query (a correlated count per state)."""
    Status = HealthCheck.Status
    branches = (
        Branch.objects.filter(path__startswith=root.path, kind=Branch.Kind.BRANCH, dissolved_on__isnull=True)
        .annotate(
            n_total=_count(Q(), period),
            n_editable=_count(Q(status__in=HealthCheck.EDITABLE), period),
            n_returned=_count(Q(status=Status.RETURNED), period),
        )
        .order_by("path")
    )
    return [Progress(b, b.n_total, b.n_editable, b.n_returned, b.n_total - b.n_editable) for b in branches]


def recent_imports(user) -> Section:
    """Roster and dues imports of the last ``IMPORT_DAYS`` days in the user's subtrees, the latest
    first (one query: past ``SECTION_ROWS`` the count says "5+")."""
    since = timezone.now() - datetime.timedelta(days=IMPORT_DAYS)
    events = AuditBulkEvent.objects.filter(kind__in=IMPORT_KINDS, at__gte=since).filter(
        access.branch_scope_q(user, "branch__path")
    )
    rows = list(events.select_related("actor", "branch").order_by("-at", "-pk")[: SECTION_ROWS + 1])
    url = reverse("members:import") if access.manages_any(user) else ""
    return Section(rows[:SECTION_ROWS], min(len(rows), SECTION_ROWS), url, capped=len(rows) > SECTION_ROWS)


@dataclass
class _RootFigures:
    """One root's figures on the department's first page: the first rows of each list and the counts."""

    missing: list[tuple[Branch, list[str]]]  # the first units and the kinds they miss (codes: kept in no language)
    missing_units: int
    lines: int
    progress: list[Progress]
    open_branches: int
    counts: dict[str, int]
    warnings: object  # reports.structure.StructureWarnings


def _root_figures(root: Branch, month: Period, health_period: str, today: datetime.date) -> _RootFigures:
    """Last month's missing meetings, the checks' progress and the structure warnings of ``root``'s
    subtree: the compliance report's five queries, one for the checks, two for the warnings."""
    units = compliance_report(branch=root, period=month, today=today).missing_units()
    progress = health_progress(root, health_period)
    waiting = [row for row in progress if row.state != "done"]
    return _RootFigures(
        missing=[(u.branch, [line.kind for line in u.missing]) for u in units[:SECTION_ROWS]],
        missing_units=len(units),
        lines=sum(len(u.missing) for u in units),
        progress=waiting[:SECTION_ROWS],
        open_branches=len(waiting),
        counts=dict(Counter(row.state for row in progress)),
        warnings=structure_warnings(root, limit=SECTION_ROWS),
    )


def orgdept_home(user, *, today: datetime.date | None = None) -> OrgdeptHome:
    """Over the user's highest branches: last month's missing meetings (the compliance report),
    the health checks' progress of every 党支部, the structure warnings, recent imports. Per root its
    size and the compliance report's five queries, one for the health checks, two for the warnings;
    over a large root (a city: ``branches.summaries``) its size alone while they are kept."""
    today = today or timezone.localdate()
    roots = list(access.top_branches(user))
    month = Period.containing(MONTH, add_months(month_start(today), -1))  # the last complete month
    missing, lines, progress, warnings, flagged, warning_counts = [], 0, [], [], 0, {}
    counts: dict[str, int] = {"none": 0, "open": 0, "done": 0}
    # The year's checks once any exist, last year's before: the reports' rule (docs/rules/reports.md, 4).
    health_period = health_selectors.yearly_checks_period(roots[0], today) if roots else str(today.year)
    missing_units, open_branches = 0, 0
    for root in roots:
        # A city: its figures kept a few minutes (branches.summaries), whoever of its department asks.
        figures = kept("orgdept_home", root, [month.label, health_period, today], partial(
            _root_figures, root, month, health_period, today))  # fmt: skip
        fig = figures.value
        missing += [MissingUnit(branch, [str(KIND_LABELS[kind]) for kind in kinds]) for branch, kinds in fig.missing]
        missing_units += fig.missing_units
        lines += fig.lines
        progress += fig.progress
        open_branches += fig.open_branches
        for state, n in fig.counts.items():
            counts[state] += n
        warnings += fig.warnings.branches
        flagged += fig.warnings.total
        for _warning, label, n in fig.warnings.rows():
            warning_counts[label] = warning_counts.get(label, 0) + n
    first = roots[0] if roots else None
    code = first.code if first else ""
    can_review = first is not None and access.has_any(user, (access.REVIEW, access.MANAGE), first)
    health_url = _url("health:review", code, period=health_period) if can_review else reverse("health:index")
    compliance_url = _url("activities:compliance", kind=MONTH, year=month.year, index=month.index, branch=code)
    return OrgdeptHome(
        roots=roots,
        month=month,
        missing=Section.of(missing, compliance_url, count=missing_units),
        missing_lines=lines,
        health_period=health_period,
        progress=Section.of(progress, health_url, count=open_branches),
        progress_counts=counts,
        structure=Section(warnings[:SECTION_ROWS], flagged, _url("reports:dashboard", code) if first else ""),
        structure_rows=list(warning_counts.items()),
        imports=recent_imports(user),
        can_review_health=can_review,
    )
