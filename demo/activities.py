"""A year of activities, attendance and leave for a fresh seed, written in bulk.

``demo.year`` adds it to a fresh seed (any scale). The year is planned in memory by
``demo.activity_plan`` (which activities, who is expected, who came: read its docstring for what
a year looks like); this module writes it without a query per row: activities, attendance, leave
requests and resolutions go in with ``bulk_create``, then set-based UPDATEs date the activities
and the decided leave requests (attendance and resolutions keep the moment of the seed as their
记录时间, as rows imported from paper sheets would).
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from activities.models import Activity, Attendance, LeaveRequest, Resolution

from .activity_plan import DEPARTMENT, ActivityYear, K, PlannedActivity, S, full_on, plan_activity_year
from .seeding import bulk_create_all

BATCH_SIZE = 2000
DAY = datetime.timedelta(days=1)
METHODS = [Attendance.Method.QR] * 6 + [Attendance.Method.MANUAL, Attendance.Method.SECRETARY]
RESOLUTIONS = ["通过本季度支部工作总结和下季度工作计划", "同意开展“党员联系户”走访活动", "通过党费收缴使用情况报告",
               "同意推荐优秀党员参加上级表彰评选", "通过网格环境整治实施方案"]  # fmt: skip
LEAVE_REASONS = ["外出务工", "身体不适，住院治疗", "家中有事", "单位值班", "外地探亲", "照顾生病家人"]
REFUSAL = "会议重要，请尽量安排时间参加"


@dataclass
class _Writer:
    """Writes the planned year with ``bulk_create``: the activities first (for their keys), then the rest."""

    year: ActivityYear
    counts: Counter = field(default_factory=Counter)
    leave: list = field(default_factory=list)

    def activities(self) -> None:
        user = self.year.manager
        rows = []
        for a in self.year.activities:
            held, by = a.status == Activity.Status.HELD, user(a.home)
            rows.append(
                Activity(
                    branch_id=a.branch.pk, kind=a.kind, title=a.title, starts_at=a.starts_at, ends_at=a.ends_at,
                    place=a.place, host_id=a.host.pk if a.host else None,
                    recorder_id=a.recorder.pk if a.recorder else None, agenda=self._agenda(a), minutes=a.minutes,
                    status=a.status, held_at=a.ends_at if held else None, held_by_id=by if held else None,
                    cancelled_at=a.starts_at - datetime.timedelta(days=1) if a.cancel_reason else None,
                    cancelled_by_id=by if a.cancel_reason else None, cancel_reason=a.cancel_reason,
                    created_by_id=by, updated_by_id=by,
                )
            )  # fmt: skip
        if not rows:
            return
        written = Activity.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        for planned, row in zip(self.year.activities, written, strict=True):
            if row.pk is None:
                raise RuntimeError("数据库未返回批量插入的主键")
            planned.pk = row.pk
            self.counts[planned.status] += 1
        # auto_now_add wrote the present moment: planned a week ahead (never after now), updated when held.
        planned_on = Least(F("starts_at") - datetime.timedelta(days=7), Value(self.year.now))
        pks = [a.pk for a in self.year.activities]
        mine = Activity.objects.filter(pk__range=(min(pks), max(pks)))
        mine.update(created_at=planned_on, updated_at=Coalesce(F("held_at"), F("cancelled_at"), planned_on))

    @staticmethod
    def _agenda(a: PlannedActivity) -> str:
        if a.kind == K.VOLUNTEER:
            return "1. 集合分组；2. 开展服务；3. 登记服务时长"
        return "1. 学习上级文件精神；2. 通报近期工作；3. 讨论议定事项"

    def attendances(self) -> None:
        self.counts["attendance"] = bulk_create_all(Attendance, self._attendance_rows())
        self.counts["leave_requests"] = bulk_create_all(LeaveRequest, self.leave)
        if self.leave:  # requested_at was stamped now: a decided request was made the day before its decision
            pks = [a.pk for a in self.year.activities]
            mine = LeaveRequest.objects.filter(activity__pk__range=(min(pks), max(pks)), decided_at__isnull=False)
            mine.update(requested_at=F("decided_at") - DAY)

    def _attendance_rows(self):
        """Every attendance row, in the order of the plan; leave requests are collected on the way."""
        for a in self.year.activities:
            if a.status == Activity.Status.CANCELLED:
                continue
            if a.kind in Activity.OPEN_KINDS:
                yield from self._open_rows(a)
            else:
                yield from self._listed_rows(a)

    def _row(self, a: PlannedActivity, member, status: str, expected: bool, hours: Decimal | None = None) -> Attendance:
        year = self.year
        method, checked, by = "", None, year.manager(a.home)
        if status == S.PRESENT:
            method = year.rng.choice(METHODS)
            checked = a.starts_at - datetime.timedelta(minutes=year.rng.randint(-20, 25))
            by = year.user_of.get(member) if method == Attendance.Method.QR else by
        return Attendance(
            activity_id=a.pk, member_id=member.pk, status=status, expected=expected, full_member=full_on(member, a.day),
            method=method, checked_in_at=checked, hours=hours, recorded_by_id=by,
        )  # fmt: skip

    def _leave(self, a: PlannedActivity, member, status: str) -> None:
        rng, year = self.year.rng, self.year
        decided, by = None, None  # pending: asked at the moment of the seed
        if status != LeaveRequest.Status.PENDING:
            decided, by = a.starts_at - datetime.timedelta(hours=rng.randint(2, 48)), year.manager(a.home)
        self.leave.append(
            LeaveRequest(
                activity_id=a.pk, member_id=member.pk, reason=rng.choice(LEAVE_REASONS), status=status,
                requested_by_id=year.user_of.get(member), decided_by_id=by, decided_at=decided,
                decision_comment=REFUSAL if status == LeaveRequest.Status.REFUSED else "",
            )
        )  # fmt: skip

    def _listed_rows(self, a: PlannedActivity):
        rng, held = self.year.rng, a.status == Activity.Status.HELD
        upcoming = a.status == Activity.Status.PLANNED and a.ends_at > self.year.now
        for member, status in zip(a.expected, a.statuses, strict=True):
            if upcoming:
                if rng.random() < 0.03 or (member is self.year.demo_member and a.home is self.year.demo_home):
                    self._leave(a, member, LeaveRequest.Status.PENDING)
                continue
            if status == S.LEAVE:
                self._leave(a, member, LeaveRequest.Status.APPROVED)
            elif status == S.ABSENT and held and rng.random() < 0.15:
                self._leave(a, member, LeaveRequest.Status.REFUSED)
            if held or status != S.ABSENT:  # before holding, only check-ins and approved leave have rows
                yield self._row(a, member, status, True)

    def _open_rows(self, a: PlannedActivity):
        held = a.status == Activity.Status.HELD
        for member, hours in zip(a.expected, a.hours, strict=True):
            if not held:
                yield self._row(a, member, S.EXPECTED, False)  # signed up
            elif hours is None:
                yield self._row(a, member, S.ABSENT, False)
            else:
                yield self._row(a, member, S.PRESENT, False, hours)

    def resolutions(self) -> None:
        rng, rows = self.year.rng, []
        for a in self.year.activities:
            if a.kind != K.BRANCH_ASSEMBLY or a.status != Activity.Status.HELD:
                continue
            pairs = zip(a.expected, a.statuses, strict=True)
            voters = sum(1 for m, s in pairs if s == S.PRESENT and full_on(m, a.day))
            for text in rng.sample(RESOLUTIONS, rng.randint(1, 2)):
                against, abstain = min(voters, rng.choice([0, 0, 0, 1])), 0
                if voters - against > 2:
                    abstain = rng.choice([0, 0, 1, 2])
                by = self.year.manager(a.home)
                votes = {"votes_for": voters - against - abstain, "votes_against": against, "votes_abstain": abstain}
                rows.append(Resolution(activity_id=a.pk, text=text, created_by_id=by, **votes))
        self.counts["resolutions"] = bulk_create_all(Resolution, rows)


def _analyze() -> None:
    with connection.cursor() as cursor:
        for model in (Activity, Attendance, LeaveRequest, Resolution):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def seed_activity_year(*, result, rng: random.Random, now: datetime.datetime | None = None) -> str:
    """A year of activities, attendance and leave for a fresh seed (``demo.seeding.SeedResult``)."""
    now = now or timezone.now()
    plan = result.plan
    user_ids = dict(
        get_user_model().objects.filter(username__in=[*plan.accounts, DEPARTMENT]).values_list("username", "pk")
    )
    year = plan_activity_year(plan=plan, rng=rng, now=now, user_ids=user_ids)
    writer = _Writer(year)
    with transaction.atomic():
        writer.activities()
        writer.attendances()
        writer.resolutions()
    _analyze()
    c = writer.counts
    return (
        f"活动 {year.months[0]:%Y-%m} 起：{len(year.activities):,} 项（已召开 {c['held']:,}，"
        f"计划中 {c['planned']:,}，已取消 {c['cancelled']:,}），出勤记录 {c['attendance']:,} 条，"
        f"请假申请 {c['leave_requests']:,} 条，决议 {c['resolutions']:,} 项"
    )
