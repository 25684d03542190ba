"""Report services: computing a subtree's snapshots, and the daily reminders to secretaries.

A report covers its branch's whole subtree (a town's covers its villages). Computing the
reports of a subtree reads its facts once (a handful of GROUP BY queries, see
``selectors.subtree_facts``), rolls them up the tree in Python, bottom up, and writes every
node's snapshot with one bulk upsert on (branch, period): recomputing is harmless and each
period keeps its own row.
"""

from __future__ import annotations

import datetime
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from activities.compliance import LINE_KINDS, MISSING, PENDING, compliance_report
from activities.models import Activity, LeaveRequest
from branches.models import Branch, minimal_paths, paths_q
from core.errors import DomainError
from core.periods import MONTH, YEAR, Period
from health.models import HealthCheck
from members.models import Member, Position
from service.figures import figures_store

from . import selectors, structure
from .models import Reminder, Report

logger = logging.getLogger(__name__)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
UPSERT_BATCH = 1000

# The columns a recomputation rewrites.
REPORT_FIELDS = [
    "period_kind",
    "members",
    "members_full",
    "members_probationary",
    "units",
    "units_compliant",
    "meetings_required",
    "meetings_held",
    "meetings_missing",
    "attendance_expected",
    "attendance_present",
    "attendance_leave",
    "attendance_rate",
    "dues_due",
    "dues_paid",
    "dues_rate",
    "health_checks",
    "structure_warnings",
    "data",
    "computed_at",
]
# Kinds whose attendance has an expected list (the rate is present ÷ (expected − leave) over them).
EXPECTED_KINDS = [k for k in Activity.Kind.values if k not in Activity.OPEN_KINDS]


class ReportError(DomainError):
    pass


def period_parse(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError as exc:
        raise ReportError(str(exc), code="invalid_period", field="period") from None


# ---------------------------------------------------------------------------- roll-up and snapshot


def rollup(nodes: list[selectors.Node], facts: dict[int, Counter]) -> dict[str, Counter]:
    """Each reported node's facts summed over its subtree, by path: one pass, bottom up.

    Facts of unreported nodes (a 党小组's meetings) go to their nearest reported ancestor.
    """
    steplen = Branch.steplen
    reported = {n.path for n in nodes if n.kind in selectors.REPORTED_KINDS}
    totals: dict[str, Counter] = {path: Counter() for path in reported}
    root_len = min((len(p) for p in reported), default=0)

    def nearest(path: str) -> str | None:
        for end in range(len(path), root_len - 1, -steplen):
            if path[:end] in reported:
                return path[:end]
        return None

    for node in nodes:
        own = facts.get(node.pk)
        target = nearest(node.path) if own else None
        if target is not None:
            totals[target].update(own)
    for path in sorted(reported, key=len, reverse=True):
        parent = nearest(path[:-steplen]) if len(path) > root_len else None
        if parent is not None:
            totals[parent].update(totals[path])
    return totals


def _flag_structure(f: Counter) -> None:
    """A 党支部's structure warnings (reports.structure) from its own facts, before the roll-up:
    the roster at the period's end and the committee on its last day. Rolled up, they count the
    flagged 党支部 of each subtree."""
    members = sum(n for key, n in f.items() if key[0] == "members")
    full = sum(n for key, n in f.items() if key[0] == "members" and key[1] == Member.Status.FULL)
    found = structure.warnings_of(members=members, full=full, committee=f[("committee",)])
    for warning in found:
        f[("warn", warning)] += 1
    f[("flagged",)] += bool(found)


def _rate(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def snapshot(f: Counter, health_period: str, yearly: bool = False) -> dict:
    """The report's columns and ``data`` from a node's rolled-up facts; a year's (``yearly``) with its 学时."""
    statuses, occupations, situations = Counter(), Counter(), Counter()
    for key, n in f.items():
        if key[0] == "members":
            statuses[key[1]] += n
            occupations[key[2]] += n
            situations[key[3]] += n
    meetings = {
        kind: {s: f[("meet", kind, s)] for s in ("required", "held", "lines", "met", "missing", "pending")}
        for kind in LINE_KINDS
    }
    attendance = {
        kind: {s: f[("att", kind, s)] for s in ("expected", "present", "leave", "turnout")}
        for kind in Activity.Kind.values
    }
    expected = sum(attendance[k]["expected"] for k in EXPECTED_KINDS)
    present = sum(attendance[k]["present"] for k in EXPECTED_KINDS)
    leave = sum(attendance[k]["leave"] for k in EXPECTED_KINDS)
    due, paid = _money(f[("dues", "due")]), _money(f[("dues", "paid")])
    grades = {g: f[("health", "grade", g)] for g in HealthCheck.Grade.values}
    data = {
        "members": {
            "by_status": {s: statuses[s] for s in Member.Status.values},
            "by_occupation": {c: occupations[c] for c in Member.Occupation.values},
            "by_situation": {c: situations[c] for c in Member.Situation.values},
            "joined": f[("joined",)],
            "left": f[("left",)],
        },
        # 党委, 党总支 and 党支部 are organizations; 党小组 and 党员中心户 are counted apart (a household
        # is linked to about ten households, not an organization: issue 14).
        "structure": {
            "organizations": {k: f[("nodes", k)] for k in selectors.ORGANIZATION_KINDS},
            "groups": f[("nodes", Branch.Kind.GROUP)],
            "households": f[("nodes", Branch.Kind.HOUSEHOLD)],
            # 党支部 flagged by each structure warning (reports.structure); for a 党支部, 0 or 1 each.
            "warnings": {w: f[("warn", w)] for w in structure.WARNINGS},
            "committee": f[("committee",)],
        },
        "units": {"total": f[("units",)], "compliant": f[("units_ok",)]},
        "meetings": meetings,
        "attendance": attendance,
        "volunteer_hours": str(Decimal(f[("hours",)] or 0).quantize(Decimal("0.1"))),
        "dues": {
            "due": str(due),
            "paid": str(paid),
            "months": f[("dues", "months")],
            "months_short": f[("dues", "months_short")],
            "members_short": f[("dues", "members_short")],
        },
        # 学时 are yearly (党员教育管理工作条例 art. 20): a month's or a quarter's report has none.
        "study": {"members": f[("study", "members")], "short": f[("study", "short")]} if yearly else None,
        "health": {
            "period": health_period,
            "grades": grades,
            "statuses": {s: f[("health", "status", s)] for s in HealthCheck.Status.values},
        },
    }
    return {
        "members": sum(statuses.values()),
        "members_full": statuses[Member.Status.FULL],
        "members_probationary": statuses[Member.Status.PROBATIONARY],
        "units": f[("units",)],
        "units_compliant": f[("units_ok",)],
        "meetings_required": sum(m["required"] for m in meetings.values()),
        "meetings_held": sum(m["held"] for m in meetings.values()),
        "meetings_missing": sum(m["missing"] for m in meetings.values()),
        "attendance_expected": expected,
        "attendance_present": present,
        "attendance_leave": leave,
        "attendance_rate": _rate(present, expected - leave),
        "dues_due": due,
        "dues_paid": paid,
        "dues_rate": _rate(paid, due),
        "health_checks": sum(grades.values()),
        "structure_warnings": f[("flagged",)],
        "data": data,
    }


# ---------------------------------------------------------------------------- computation


@dataclass
class ComputeResult:
    created: int = 0
    updated: int = 0
    roots: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated


Progress = Callable[[str, int, int], None]  # (step label, done, total)


def reports_compute(
    *, period: str, branch: Branch | None = None, today: datetime.date | None = None, progress: Progress | None = None
) -> ComputeResult:
    """Compute the reports of ``period`` for every organization of ``branch``'s subtree (None: every tree).

    Per subtree: eleven aggregate queries (twelve for a month, fourteen for a year), a roll-up in Python and one bulk upsert (in batches of
    1,000 rows), whatever the subtree's size. Running it twice leaves the same rows.
    """
    p = period_parse(period)
    today = today or timezone.localdate()
    roots = [branch] if branch is not None else list(Branch.objects.get_root_nodes())
    whole = branch is None and len(roots) == 1  # one tree: its subtree is the whole site
    result = ComputeResult()
    for root in roots:
        created, updated = _compute_subtree(root, p, today, progress, whole)
        result.created += created
        result.updated += updated
        result.roots.append(root.code)
    return result


def _compute_subtree(
    root: Branch, p, today: datetime.date, progress: Progress | None, whole: bool = False
) -> tuple[int, int]:
    steps = 7 + (p.kind == YEAR)  # the five readers (and a year's 学时), the roll-up, the write
    done = 0

    def step(label: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(label, done, steps)

    nodes = selectors.subtree_nodes(root, p)
    health_period = selectors.health_period_of(p, root)  # a month's: one query, the facts' and the snapshot's
    facts = selectors.subtree_facts(root, p, today, step=step, whole=whole, health_period=health_period)
    for node in nodes:  # every node counts itself: a report counts the organizations of its subtree
        facts[node.pk][("nodes", node.kind)] += 1
        if node.kind == Branch.Kind.BRANCH and node.open_at_end:
            _flag_structure(facts[node.pk])
    totals = rollup(nodes, facts)
    step("逐级汇总")
    now = timezone.now()
    ids = {n.path: n.pk for n in nodes}
    rows = [
        Report(
            branch_id=ids[path], period=p.label, computed_at=now, **snapshot(f, health_period, yearly=p.kind == YEAR)
        )
        for path, f in sorted(totals.items())
    ]
    for row in rows:
        row.period_kind = p.kind
    with transaction.atomic():
        existing = selectors.existing_report_branches(root, p)
        _upsert(rows)
        # 为民服务 (issue 16): each reported node's figures beside its report (three reads and one upsert).
        figures_store(root=root, period=p, today=today, now=now, nodes=[(ids[path], path) for path in totals])
    step("写入报表")
    created = sum(1 for row in rows if row.branch_id not in existing)
    return created, len(rows) - created


def _upsert(rows: list[Report]) -> None:
    """Insert or rewrite the snapshots on (branch, period), ``UPSERT_BATCH`` rows per statement.

    On PostgreSQL each batch travels as one JSON document read by ``jsonb_to_recordset``: a
    handful of parameters instead of twenty per row. Django's ``bulk_create`` spent longer
    building and converting 2,785 rows × 21 placeholders (a city four times the size) than
    PostgreSQL spent writing them. Elsewhere (SQLite): ``bulk_create`` with ``update_conflicts``.
    """
    if connection.vendor != "postgresql":
        Report.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["branch", "period"], update_fields=REPORT_FIELDS,
            batch_size=UPSERT_BATCH,
        )  # fmt: skip
        return
    fields = [Report._meta.get_field(name) for name in ["branch", "period", *REPORT_FIELDS]]
    sql = _upsert_sql(fields)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), UPSERT_BATCH):
            batch = [
                {f.column: _json_value(getattr(row, f.attname)) for f in fields}
                for row in rows[start : start + UPSERT_BATCH]
            ]
            cursor.execute(sql, [json.dumps(batch, ensure_ascii=False)])


def _json_value(value):
    """A column's value as ``jsonb_to_recordset`` reads it back: Decimal as text (exact), datetime in ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def _upsert_sql(fields: list) -> str:
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    types = ", ".join(f"{qn(f.column)} {f.db_type(connection)}" for f in fields)  # a foreign key: its target's type
    updates = ", ".join(
        f"{qn(c)} = EXCLUDED.{qn(c)}" for c in (Report._meta.get_field(n).column for n in REPORT_FIELDS)
    )
    return (
        f"INSERT INTO {qn(Report._meta.db_table)} ({columns}) "
        f"SELECT {columns} FROM jsonb_to_recordset(%s::jsonb) AS r({types}) "
        f"ON CONFLICT ({qn('branch_id')}, {qn('period')}) DO UPDATE SET {updates}"
    )


# ---------------------------------------------------------------------------- reminders


@dataclass
class ReminderResult:
    created: int = 0
    emailed: int = 0
    recipients: int = 0


def _secretaries() -> dict[int, list[Branch]]:
    """Users who are a current 书记 of some organization, with those organizations (one query)."""
    positions = (
        Position.objects.filter(
            title=Position.Title.SECRETARY, ended_on__isnull=True, member__user__isnull=False, member__is_active=True
        )
        .select_related("branch", "member")
        .order_by("branch__path")
    )
    by_user: dict[int, list[Branch]] = defaultdict(list)
    for position in positions:
        by_user[position.member.user_id].append(position.branch)
    return by_user


def _counts_by_path(rows) -> Counter:
    counts: Counter = Counter()
    for path, n in rows:
        counts[path] += n
    return counts


def _subtree_totals(counts: Counter) -> Counter:
    """Each path's count summed over its subtree: every count added to each of its prefixes."""
    steplen = Branch.steplen
    totals: Counter = Counter()
    for path, n in counts.items():
        for end in range(steplen, len(path) + 1, steplen):
            totals[path[:end]] += n
    return totals


def _due_facts(branches: list[Branch], today: datetime.date) -> dict[str, Counter]:
    """Pending meeting lines, unlogged activities and waiting leave requests, by branch path.

    Per distinct top branch of the secretaries: the month's compliance (five queries); then one
    GROUP BY query each for the activities and the leave requests.
    """
    tops = minimal_paths(b.path for b in branches)
    by_path = {b.path: b for b in branches}
    month = Period.containing(MONTH, today)
    missing: Counter = Counter()
    for path in tops:
        report = compliance_report(branch=by_path[path], period=month, today=today)
        for unit in report.branches:
            missing[unit.branch.path] += sum(1 for line in unit.lines if line.status in (MISSING, PENDING))
    now = timezone.now()
    unlogged = _counts_by_path(
        Activity.objects.planned()
        .filter(paths_q(tops, "branch__path"), ends_at__lt=now)
        .values_list("branch__path")
        .annotate(n=Count("pk"))
        .order_by()
    )
    waiting = _counts_by_path(
        LeaveRequest.objects.filter(paths_q(tops, "activity__branch__path"), status=LeaveRequest.Status.PENDING)
        .values_list("activity__branch__path")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {
        Reminder.Kind.MISSING_MEETINGS: missing,
        Reminder.Kind.UNLOGGED_ACTIVITIES: unlogged,
        Reminder.Kind.PENDING_LEAVE: waiting,
    }


REMINDER_TEXT = {
    Reminder.Kind.MISSING_MEETINGS: "{scope}本月（含本季度、本年度）尚有 {n} 项规定的组织生活未开展，请及时安排。",
    Reminder.Kind.UNLOGGED_ACTIVITIES: "{scope}有 {n} 次已结束的活动尚未登记召开情况，请及时登记出勤和会议记录。",
    Reminder.Kind.PENDING_LEAVE: "{scope}有 {n} 条请假申请待审批。",
}


def reminders_create(*, today: datetime.date | None = None) -> ReminderResult:
    """Store today's reminders of every current 书记 (one row per user and kind), then e-mail them.

    Idempotent: a reminder already stored for (user, day, kind) is kept as it is, and an
    e-mail goes out only for reminders not yet e-mailed.
    """
    today = today or timezone.localdate()
    secretaries = _secretaries()
    result = ReminderResult(recipients=len(secretaries))
    if not secretaries:
        return result
    counts = _due_facts([b for branches in secretaries.values() for b in branches], today)
    totals = {kind: _subtree_totals(by_path) for kind, by_path in counts.items()}
    rows = []
    for user_id, branches in secretaries.items():
        names = "、".join(b.name for b in branches)
        tops = minimal_paths(b.path for b in branches)
        for kind, by_path in totals.items():
            n = sum(by_path[path] for path in tops)
            if n:
                text = REMINDER_TEXT[kind].format(scope=names, n=n)
                rows.append(Reminder(user_id=user_id, day=today, kind=kind, count=n, text=text))
    with transaction.atomic():
        before = Reminder.objects.filter(day=today).count()
        Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        result.created = Reminder.objects.filter(day=today).count() - before
    result.emailed = reminders_email(day=today)
    return result


def reminders_email(*, day: datetime.date) -> int:
    """E-mail the day's reminders not yet e-mailed, one message per user; returns messages sent."""
    pending = list(
        Reminder.objects.filter(day=day, emailed_at__isnull=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("user_id", "kind")
    )
    by_user: dict[int, list[Reminder]] = defaultdict(list)
    for reminder in pending:
        by_user[reminder.user_id].append(reminder)
    sent = 0
    for reminders in by_user.values():
        user = reminders[0].user
        body = "\n".join(f"· {r.text}" for r in reminders)
        message = (
            f"{user.get_full_name() or user.username}同志：\n\n{body}\n\n—— 党建工作平台（系统自动发送，请勿回复）"
        )
        try:
            mail.send_mail(
                f"【党建工作平台】{day:%Y年%m月%d日}工作提醒", message, settings.DEFAULT_FROM_EMAIL, [user.email]
            )
        except OSError as exc:  # SMTP down: the rows stay un-e-mailed and the next run tries again
            logger.warning("reminder e-mail to %s failed: %s", user.email, exc)
            continue
        Reminder.objects.filter(pk__in=[r.pk for r in reminders]).update(emailed_at=timezone.now())
        sent += 1
    return sent
