"""Periodic reports (one snapshot per branch and period), reminders to secretaries, background jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from branches.models import Branch


class SnapshotJSONField(models.JSONField):
    """A JSON column inserted row by row in a bulk insert.

    On PostgreSQL Django 5.2 bulk-inserts through ``UNNEST`` of one array per column, and
    psycopg escapes every JSON document into the array literal with a regular expression:
    for a city's snapshots that took longer than computing them. A field with its own
    placeholder opts out of ``UNNEST`` (Django's own rule), so each document travels as a
    plain ``jsonb`` parameter.
    """

    def get_placeholder(self, value, compiler, connection):
        return "%s"


class Report(models.Model):
    """A branch's figures for one period, rolled up over its whole subtree.

    ``period`` is "2026-10" (month), "2026Q3" (quarter) or "2026" (year). The key figures
    are columns (for lists, charts and sorting); the full breakdown is in ``data``.
    Recomputing upserts the same row, so the history keeps one row per period.
    """

    class PeriodKind(models.TextChoices):
        MONTH = "month", "月报"
        QUARTER = "quarter", "季报"
        YEAR = "year", "年报"

    branch = models.ForeignKey(Branch, verbose_name="党组织", on_delete=models.CASCADE, related_name="reports")
    period = models.CharField("期间", max_length=7)
    period_kind = models.CharField("报表类型", max_length=10, choices=PeriodKind.choices)
    members = models.PositiveIntegerField("在册党员", default=0)
    members_full = models.PositiveIntegerField("正式党员", default=0)
    members_probationary = models.PositiveIntegerField("预备党员", default=0)
    units = models.PositiveIntegerField("须开会组织数", default=0)
    units_compliant = models.PositiveIntegerField("无缺项组织数", default=0)
    meetings_required = models.PositiveIntegerField("应开会议", default=0)
    meetings_held = models.PositiveIntegerField("已开会议", default=0)
    meetings_missing = models.PositiveIntegerField("缺项", default=0)
    attendance_expected = models.PositiveIntegerField("应到人次", default=0)
    attendance_present = models.PositiveIntegerField("实到人次", default=0)
    attendance_leave = models.PositiveIntegerField("请假人次", default=0)
    attendance_rate = models.DecimalField("出勤率（%）", max_digits=5, decimal_places=2, null=True, blank=True)
    dues_due = models.DecimalField("党费应缴", max_digits=14, decimal_places=2, default=0)
    dues_paid = models.DecimalField("党费实缴", max_digits=14, decimal_places=2, default=0)
    dues_rate = models.DecimalField("党费收缴率（%）", max_digits=6, decimal_places=2, null=True, blank=True)
    health_checks = models.PositiveIntegerField("体检人数", default=0)
    data = SnapshotJSONField("明细", default=dict)
    computed_at = models.DateTimeField("计算时间")

    class Meta:
        verbose_name = "报表"
        verbose_name_plural = "报表"
        ordering = ["branch__path", "-period"]
        constraints = [models.UniqueConstraint(fields=["branch", "period"], name="report_one_per_branch_period")]
        indexes = [models.Index(fields=["period", "branch"])]

    def __str__(self) -> str:
        return f"{self.branch} {self.period}"


class Reminder(models.Model):
    """A day's reminder to a secretary of one kind of thing due; unique per (user, day, kind)."""

    class Kind(models.TextChoices):
        MISSING_MEETINGS = "missing_meetings", "待开会议"
        UNLOGGED_ACTIVITIES = "unlogged_activities", "待登记活动"
        PENDING_LEAVE = "pending_leave", "待审批请假"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提醒对象", on_delete=models.CASCADE, related_name="reminders"
    )
    day = models.DateField("日期")
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    count = models.PositiveIntegerField("件数")
    text = models.TextField("内容")
    created_at = models.DateTimeField("生成时间", auto_now_add=True)
    emailed_at = models.DateTimeField("邮件发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "工作提醒"
        verbose_name_plural = "工作提醒"
        ordering = ["-day", "kind"]
        constraints = [models.UniqueConstraint(fields=["user", "day", "kind"], name="reminder_once_per_user_day_kind")]

    def __str__(self) -> str:
        return f"{self.user} {self.day} {self.get_kind_display()}"


def job_file_path(instance: Job, filename: str) -> str:
    return f"reports/jobs/{instance.pk}/{filename}"


class Job(models.Model):
    """Long work run in the background (a whole city's recomputation, a large export), with its progress."""

    class Kind(models.TextChoices):
        REPORTS = "reports", "重新计算报表"
        HEALTH = "health", "重新计算政治体检"
        EXPORT_REPORTS = "export_reports", "导出报表"
        EXPORT_HEALTH = "export_health", "导出政治体检"

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    FINISHED = frozenset({Status.DONE, Status.FAILED})

    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    branch = models.ForeignKey(Branch, verbose_name="党组织", on_delete=models.CASCADE, related_name="+")
    params = models.JSONField("参数", default=dict)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField("已完成", default=0)
    progress_total = models.PositiveIntegerField("总量", default=0)
    step = models.CharField("当前步骤", max_length=100, blank=True)
    result_file = models.FileField("结果文件", upload_to=job_file_path, max_length=200, blank=True)
    result = models.JSONField("结果", default=dict, blank=True)
    error = models.TextField("错误", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发起人", on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField("发起时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["created_by", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.branch} {self.params.get('period', '')}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)
