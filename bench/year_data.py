"""A year of records for every seeded member, written set-based: activities, attendance, dues, records.

``year_generate(year=2025)`` fills an already seeded tree (``demo.seeding.seed_build``)
with what a year of organizational life leaves behind, deterministically (no random state:
pseudo-random choices are arithmetic on the ids):

- activities, held, planned in Python and bulk-inserted (a few tens of thousands): per
  党支部 a 主题党日 a month (one month in eleven skipped), a 支部党员大会 and a 党课 a quarter,
  a 组织生活会 and a 民主评议 in December, four 志愿服务 activities, and a 支委会 a month where
  the branch has a committee (seven or more full members); per 党小组 a 党小组会 a month;
- attendance with one ``INSERT … SELECT`` per kind of expected list (the branch's active
  members, the group's, the committee's, the volunteers), 85% present, 6% on leave;
- dues with one ``INSERT … SELECT`` per month (the due by the design's brackets from a
  declared income the generator sets; 90% paid in full by the 10th, 5% in part, 5% not);
- commendations and sanctions for a few members.

The SQL is plain enough for PostgreSQL and SQLite alike. Ends with ``ANALYZE``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from activities.models import Activity, Attendance
from branches.models import Branch
from members.models import Commendation, DuesPayment, Member, Position, Sanction

K = Activity.Kind
COMMITTEE_MIN_FULL = 7
BATCH = 5000


@dataclass
class YearCounts:
    activities: int = 0
    attendance: int = 0
    dues: int = 0
    records: int = 0

    @property
    def rows(self) -> int:
        return self.activities + self.attendance + self.dues + self.records


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=timezone.get_current_timezone())


def _activity(branch_id: int, kind: str, day: datetime.date) -> Activity:
    start = _at(day, 9)
    return Activity(
        branch_id=branch_id,
        kind=kind,
        title=f"{K(kind).label} {day:%Y-%m}",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        status=Activity.Status.HELD,
        held_at=start + datetime.timedelta(hours=2),
    )


def _branch_activities(branch_id: int, year: int, committee: bool) -> list[Activity]:
    rows = []
    for month in range(1, 13):
        if (branch_id + month) % 11:
            rows.append(_activity(branch_id, K.THEME_DAY, datetime.date(year, month, 10)))
        if committee:
            rows.append(_activity(branch_id, K.COMMITTEE_MEETING, datetime.date(year, month, 5)))
        if month % 3 == 0:
            rows.append(_activity(branch_id, K.BRANCH_ASSEMBLY, datetime.date(year, month, 20)))
            rows.append(_activity(branch_id, K.VOLUNTEER, datetime.date(year, month, 12)))
        if month % 3 == 2:
            rows.append(_activity(branch_id, K.PARTY_LECTURE, datetime.date(year, month, 25)))
    rows.append(_activity(branch_id, K.ORG_LIFE_MEETING, datetime.date(year, 12, 15)))
    rows.append(_activity(branch_id, K.DEMOCRATIC_REVIEW, datetime.date(year, 12, 16)))
    return rows


def _plan_activities(year: int) -> list[Activity]:
    active = Q(members__is_active=True)
    homes = (
        Branch.objects.filter(kind__in=Branch.MEMBER_HOME_KINDS)
        .annotate(full=Count("members", filter=active & Q(members__status=Member.Status.FULL)))
        .filter(full__gt=0)
        .values_list("pk", "full")
    )
    groups = (
        Branch.objects.filter(kind=Branch.Kind.GROUP)
        .annotate(n=Count("group_members", filter=Q(group_members__is_active=True)))
        .filter(n__gt=0)
        .values_list("pk", flat=True)
    )
    rows = []
    for branch_id, full in homes:
        rows += _branch_activities(branch_id, year, full >= COMMITTEE_MIN_FULL)
    for group_id in groups:
        rows += [_activity(group_id, K.GROUP_MEETING, datetime.date(year, m, 15)) for m in range(1, 13)]
    return rows


def adapt(params: list) -> list:
    """Raw-SQL parameters as the backend stores them (aware datetimes in UTC on SQLite)."""
    ops = connection.ops
    out = []
    for value in params:
        if isinstance(value, datetime.datetime):
            value = ops.adapt_datetimefield_value(value)
        elif isinstance(value, datetime.date):
            value = ops.adapt_datefield_value(value)
        out.append(value)
    return out


_STATUS = "CASE WHEN (a.id * 31 + m.id * 17) %% 100 < 85 THEN 'present' WHEN (a.id * 31 + m.id * 17) %% 100 < 91 THEN 'leave' ELSE 'absent' END"  # noqa: E501
_FULL = "CASE WHEN m.status = 'full' THEN %s ELSE %s END"


def _attendance_sql(join: str, kinds: list[str], *, extra: str = "", distinct: bool = False) -> str:
    att, act, mem = Attendance._meta.db_table, Activity._meta.db_table, Member._meta.db_table
    placeholders = ", ".join(["%s"] * len(kinds))
    return (
        f"INSERT INTO {att} (activity_id, member_id, status, expected, full_member, method, nonce, note, "
        f"home_delivered, created_at, updated_at) "
        f"SELECT {'DISTINCT' if distinct else ''} a.id, m.id, {_STATUS}, %s, {_FULL}, '', '', '', FALSE, %s, %s "
        f"FROM {act} a {join.format(mem=mem)} "
        f"WHERE a.kind IN ({placeholders}) AND a.starts_at >= %s AND a.starts_at < %s "
        f"AND m.is_active = %s AND m.joined_on < %s {extra}"
    )


def _write_attendance(year: int, now: datetime.datetime) -> None:
    start, end = _at(datetime.date(year, 1, 1), 0), _at(datetime.date(year + 1, 1, 1), 0)
    year_start = datetime.date(year, 1, 1)
    common = [True, True, False, now, now]
    window = [start, end, True, year_start]
    everyone = [K.BRANCH_ASSEMBLY, K.PARTY_LECTURE, K.THEME_DAY, K.ORG_LIFE_MEETING, K.DEMOCRATIC_REVIEW]
    managing = sorted(Position.MANAGING_TITLES)
    position = Position._meta.db_table
    titles = ", ".join(["%s"] * len(managing))
    with connection.cursor() as cursor:
        cursor.execute(
            _attendance_sql("JOIN {mem} m ON m.branch_id = a.branch_id", everyone), adapt(common + everyone + window)
        )
        cursor.execute(
            _attendance_sql("JOIN {mem} m ON m.group_id = a.branch_id", [K.GROUP_MEETING]),
            adapt(common + [K.GROUP_MEETING] + window),
        )
        committee_join = (
            f"JOIN {position} p ON p.branch_id = a.branch_id AND p.ended_on IS NULL AND p.title IN ({titles}) "
            "JOIN {mem} m ON m.id = p.member_id"
        )
        cursor.execute(
            _attendance_sql(committee_join, [K.COMMITTEE_MEETING], distinct=True),
            adapt(common + managing + [K.COMMITTEE_MEETING] + window),
        )
    _write_volunteers(start, end, year_start, now)


def _write_volunteers(start, end, year_start, now) -> None:
    """About one member in eight of the branch at each 志愿服务 activity, present, 2 to 4 hours."""
    att, act, mem = Attendance._meta.db_table, Activity._meta.db_table, Member._meta.db_table
    sql = (
        f"INSERT INTO {att} (activity_id, member_id, status, expected, full_member, method, nonce, note, hours, "
        f"home_delivered, created_at, updated_at) "
        f"SELECT a.id, m.id, 'present', %s, {_FULL}, '', '', '', 2.0 + ((a.id + m.id) %% 5) * 0.5, FALSE, %s, %s "
        f"FROM {act} a JOIN {mem} m ON m.branch_id = a.branch_id "
        f"WHERE a.kind = %s AND a.starts_at >= %s AND a.starts_at < %s AND m.is_active = %s AND m.joined_on < %s "
        f"AND (a.id + m.id) %% 8 = 0"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, adapt([False, True, False, now, now, K.VOLUNTEER, start, end, True, year_start]))


_DUE = (
    "CASE WHEN occupation IN ('farmer', 'student', 'unemployed') OR monthly_income IS NULL "
    "OR monthly_income = 0 THEN 0.20 "
    "WHEN occupation = 'retired' THEN ROUND(monthly_income * CASE WHEN monthly_income <= 5000 THEN 0.005 "
    "ELSE 0.01 END, 2) "
    "ELSE ROUND(monthly_income * CASE WHEN monthly_income <= 3000 THEN 0.005 WHEN monthly_income <= 5000 THEN 0.01 "
    "WHEN monthly_income <= 10000 THEN 0.015 ELSE 0.02 END, 2) END"
)


def _write_dues(year: int, now: datetime.datetime) -> None:
    mem, dues = Member._meta.db_table, DuesPayment._meta.db_table
    with connection.cursor() as cursor:
        # A declared income for those whose due depends on it (the seed declares none).
        cursor.execute(
            f"UPDATE {mem} SET monthly_income = 1500 + (id * 37) %% 12000 WHERE occupation IN (%s, %s)",
            ["employed", "retired"],
        )
        for month in range(1, 13):
            first = datetime.date(year, month, 1)
            last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
            sql = (
                f"INSERT INTO {dues} (member_id, branch_id, month, due, paid, voluntary, cancel_reason, paid_on, updated_at) "
                "SELECT d.id, d.branch_id, %s, d.due, "
                "CASE WHEN (d.id * 7 + %s) %% 100 < 90 THEN d.due WHEN (d.id * 7 + %s) %% 100 < 95 "
                "THEN ROUND(d.due / 2, 2) ELSE 0 END, 0, '', "
                "CASE WHEN (d.id * 7 + %s) %% 100 < 95 THEN %s ELSE NULL END, %s "
                f"FROM (SELECT id, branch_id, {_DUE} AS due FROM {mem} "
                "WHERE joined_on <= %s AND (is_active = %s OR left_on >= %s)) d"
            )
            paid_on = first.replace(day=10)
            cursor.execute(sql, adapt([first, month, month, month, paid_on, now, last, True, first]))


def _write_records(year: int) -> None:
    members = Member.objects.filter(is_active=True, joined_on__lt=datetime.date(year, 1, 1)).values_list(
        "pk", flat=True
    )
    commendations, sanctions = [], []
    for pk in members.iterator(chunk_size=BATCH):
        if pk % 40 == 0:
            level = ("branch", "town", "county")[pk % 3]
            commendations.append(
                Commendation(member_id=pk, level=level, title="优秀共产党员", awarded_on=datetime.date(year, 7, 1))
            )
        if pk % 97 == 0:
            kind = Sanction.Kind.WARNING if pk % 5 == 0 else Sanction.Kind.CRITICISM
            sanctions.append(Sanction(member_id=pk, kind=kind, imposed_on=datetime.date(year, 5, 1)))
    Commendation.objects.bulk_create(commendations, batch_size=BATCH)
    Sanction.objects.bulk_create(sanctions, batch_size=BATCH)


def year_generate(*, year: int) -> YearCounts:
    """Write a year of activities, attendance, dues and records for the seeded tree; returns the counts."""
    now = timezone.now()
    with transaction.atomic():
        Activity.objects.bulk_create(_plan_activities(year), batch_size=BATCH)
        _write_attendance(year, now)
        _write_dues(year, now)
        _write_records(year)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    year_first, year_last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    return YearCounts(
        activities=Activity.objects.filter(starts_at__year=year).count(),
        attendance=Attendance.objects.filter(activity__starts_at__year=year).count(),
        dues=DuesPayment.objects.filter(month__range=(year_first, year_last)).count(),
        records=Commendation.objects.count() + Sanction.objects.count(),
    )
