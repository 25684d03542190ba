"""Periodic reports (one snapshot per branch and period), reminders to secretaries, background jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from branches.files import JOBS_DIR, private_storage, random_name
from branches.models import Branch


class Report(models.Model):
    """A branch's figures for one period, rolled up over its whole subtree.

    ``period`` is "2026-10" (month), "2026Q3" (quarter) or "2026" (year). The key figures
    are columns (for lists, charts and sorting); the full breakdown is in ``data``.
    Recomputing upserts the same row, so the history keeps one row per period.
    """

    class PeriodKind(models.TextChoices):
        MONTH = "month", _("月报")
        QUARTER = "quarter", _("季报")
        YEAR = "year", _("年报")

    branch = models.ForeignKey(Branch, verbose_name=_("党组织"), on_delete=models.CASCADE, related_name="reports")
    period = models.CharField(_("期间"), max_length=7)
    period_kind = models.CharField(_("报表类型"), max_length=10, choices=PeriodKind.choices)
    members = models.PositiveIntegerField(_("在册党员"), default=0)
    members_full = models.PositiveIntegerField(_("正式党员"), default=0)
    members_probationary = models.PositiveIntegerField(_("预备党员"), default=0)
    units = models.PositiveIntegerField(_("须开会组织数"), default=0)
    units_compliant = models.PositiveIntegerField(_("无缺项组织数"), default=0)
    meetings_required = models.PositiveIntegerField(_("应开会议"), default=0)
    meetings_held = models.PositiveIntegerField(_("已开会议"), default=0)
    meetings_missing = models.PositiveIntegerField(_("缺项"), default=0)
    attendance_expected = models.PositiveIntegerField(_("应到人次"), default=0)
    attendance_present = models.PositiveIntegerField(_("实到人次"), default=0)
    attendance_leave = models.PositiveIntegerField(_("请假人次"), default=0)
    attendance_rate = models.DecimalField(_("出勤率（%）"), max_digits=5, decimal_places=2, null=True, blank=True)
    dues_due = models.DecimalField(_("党费应缴"), max_digits=14, decimal_places=2, default=0)
    dues_paid = models.DecimalField(_("党费实缴"), max_digits=14, decimal_places=2, default=0)
    dues_rate = models.DecimalField(_("党费收缴率（%）"), max_digits=6, decimal_places=2, null=True, blank=True)
    health_checks = models.PositiveIntegerField(_("体检人数"), default=0)
    # 党支部 of the subtree with a structure warning (reports.structure): the dashboard lists them.
    structure_warnings = models.PositiveIntegerField(_("组织设置提醒"), default=0)
    data = models.JSONField(_("明细"), default=dict)
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("报表")
        verbose_name_plural = _("报表")
        ordering = ["branch__path", "-period"]
        constraints = [models.UniqueConstraint(fields=["branch", "period"], name="report_one_per_branch_period")]
        indexes = [models.Index(fields=["period", "branch"])]

    def __str__(self) -> str:
        return f"{self.branch} {self.period}"


class Reminder(models.Model):
    """A day's reminder to a secretary of one kind of thing due; unique per (user, day, kind)."""

    class Kind(models.TextChoices):
        MISSING_MEETINGS = "missing_meetings", _("待开会议")
        UNLOGGED_ACTIVITIES = "unlogged_activities", _("待登记活动")
        PENDING_LEAVE = "pending_leave", _("待审批请假")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提醒对象"), on_delete=models.CASCADE, related_name="reminders"
    )
    day = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    count = models.PositiveIntegerField(_("件数"))
    text = models.TextField(_("内容"))
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("工作提醒")
        verbose_name_plural = _("工作提醒")
        ordering = ["-day", "kind"]
        constraints = [models.UniqueConstraint(fields=["user", "day", "kind"], name="reminder_once_per_user_day_kind")]

    def __str__(self) -> str:
        return f"{self.user} {self.day} {self.get_kind_display()}"


def job_file_path(instance: Job, filename: str) -> str:
    """A random name in the private storage: not the job's id, not the file's name (kept apart)."""
    return random_name(JOBS_DIR, "xlsx")


class Job(models.Model):
    """Long work run in the background (a whole city's recomputation, a large export), with its progress."""

    class Kind(models.TextChoices):
        REPORTS = "reports", _("重新计算报表")
        HEALTH = "health", _("重新计算政治体检")
        EXPORT_REPORTS = "export_reports", _("导出报表")
        EXPORT_HEALTH = "export_health", _("导出政治体检")
        EXPORT_MEMBERS = "export_members", _("导出花名册")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("进行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    FINISHED = frozenset({Status.DONE, Status.FAILED})

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    branch = models.ForeignKey(Branch, verbose_name=_("党组织"), on_delete=models.CASCADE, related_name="+")
    params = models.JSONField(_("参数"), default=dict)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(_("已完成"), default=0)
    progress_total = models.PositiveIntegerField(_("总量"), default=0)
    step = models.CharField(_("当前步骤"), max_length=100, blank=True)
    result_file = models.FileField(
        _("结果文件"), upload_to=job_file_path, storage=private_storage, max_length=200, blank=True
    )
    result = models.JSONField(_("结果"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
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
