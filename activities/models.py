"""Activities (三会一课 and other organizational life), attendance, leave and meeting rules.

The expected list (应到) of an activity follows from its kind and branch (see
``activities.services.expected_members``) until the activity is held; holding it freezes the
list into ``Attendance`` rows with ``expected=True``, so later roster changes do not rewrite
history.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from branches import access
from branches.files import ACTIVITIES_DIR, private_storage, random_name
from branches.models import Branch
from members.models import Member

CHECKIN_LEAD = datetime.timedelta(minutes=30)


class ActivityQuerySet(models.QuerySet):
    def in_subtree(self, branch: Branch) -> ActivityQuerySet:
        """Activities of ``branch`` and of every branch below it."""
        return self.filter(branch__path__startswith=branch.path)

    def visible_to(self, user) -> ActivityQuerySet:
        """Activities of the subtrees ``user`` may read (a plain member reads through their own pages)."""
        return self.filter(access.branch_scope_q(user, "branch__path"))

    def manageable_by(self, user) -> ActivityQuerySet:
        return self.filter(access.perm_scope_q(user, access.MANAGE, "branch__path"))

    def held(self) -> ActivityQuerySet:
        return self.filter(status=Activity.Status.HELD)

    def planned(self) -> ActivityQuerySet:
        return self.filter(status=Activity.Status.PLANNED)

    def between(self, start: datetime.datetime, end: datetime.datetime) -> ActivityQuerySet:
        """Activities starting in ``[start, end)``."""
        return self.filter(starts_at__gte=start, starts_at__lt=end)


class Activity(models.Model):
    class Kind(models.TextChoices):
        BRANCH_ASSEMBLY = "branch_assembly", _("支部党员大会")
        COMMITTEE_MEETING = "committee_meeting", _("支委会")
        GROUP_MEETING = "group_meeting", _("党小组会")
        PARTY_LECTURE = "party_lecture", _("党课")
        THEME_DAY = "theme_day", _("主题党日")
        ORG_LIFE_MEETING = "org_life_meeting", _("组织生活会")
        DEMOCRATIC_REVIEW = "democratic_review", _("民主评议党员")
        VOLUNTEER = "volunteer", _("志愿服务")
        STUDY = "study", _("学习")

    # 三会一课: the four kinds counted by the health-check's attendance item.
    THREE_MEETINGS_ONE_LECTURE = {
        Kind.BRANCH_ASSEMBLY,
        Kind.COMMITTEE_MEETING,
        Kind.GROUP_MEETING,
        Kind.PARTY_LECTURE,
    }
    # Kinds whose expected list is every active member of the branch's subtree.
    ALL_MEMBERS_KINDS = {
        Kind.BRANCH_ASSEMBLY,
        Kind.PARTY_LECTURE,
        Kind.THEME_DAY,
        Kind.ORG_LIFE_MEETING,
        Kind.DEMOCRATIC_REVIEW,
    }
    # Kinds without an expected list: members sign up or are added; attendance carries hours.
    OPEN_KINDS = {Kind.VOLUNTEER, Kind.STUDY}

    class Status(models.TextChoices):
        PLANNED = "planned", _("计划中")
        HELD = "held", _("已召开")
        CANCELLED = "cancelled", _("已取消")

    branch = models.ForeignKey(Branch, verbose_name=_("党组织"), on_delete=models.PROTECT, related_name="activities")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("主题"), max_length=200)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    place = models.CharField(_("地点"), max_length=200, blank=True)
    host = models.ForeignKey(
        Member, verbose_name=_("主持人"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorder = models.ForeignKey(
        Member, verbose_name=_("记录人"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    speaker = models.ForeignKey(
        Member, verbose_name=_("主讲人"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # 学时 credited to each member present (党员教育管理工作条例 art. 20): a 党课 or a study session.
    study_hours = models.DecimalField(_("学时"), max_digits=4, decimal_places=1, null=True, blank=True)
    agenda = models.TextField(_("议程"), blank=True)
    minutes = models.TextField(_("会议记录"), blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    checkin_opens_at = models.DateTimeField(_("签到开始时间"), null=True, blank=True)
    checkin_closes_at = models.DateTimeField(_("签到截止时间"), null=True, blank=True)
    fixed_qr_enabled = models.BooleanField(_("启用固定签到码"), default=False)
    fixed_qr_secret = models.CharField(_("固定签到码密钥"), max_length=64, blank=True, editable=False)
    held_at = models.DateTimeField(_("标记召开时间"), null=True, blank=True)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("标记召开人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("取消人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("最后修改人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        ordering = ["-starts_at", "-pk"]
        indexes = [
            models.Index(fields=["branch", "starts_at"]),
            models.Index(fields=["status", "kind", "starts_at"]),
            models.Index(fields=["starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="activity_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_expected_list(self) -> bool:
        return self.kind not in self.OPEN_KINDS

    @property
    def counts_hours(self) -> bool:
        return self.kind == self.Kind.VOLUNTEER

    @property
    def is_held(self) -> bool:
        return self.status == self.Status.HELD

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def checkin_opens(self) -> datetime.datetime:
        """When check-in opens: 30 minutes before the start unless the secretary set another time."""
        return self.checkin_opens_at or self.starts_at - CHECKIN_LEAD

    @property
    def checkin_closes(self) -> datetime.datetime:
        """When check-in closes: at the end unless the secretary set another time."""
        return self.checkin_closes_at or self.ends_at


class ActivityExtraKind(models.Model):
    """An activity also counts as another kind (a 主题党日 that includes a 党课)."""

    activity = models.ForeignKey(Activity, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="extra_kinds")
    kind = models.CharField(_("同时计为"), max_length=20, choices=Activity.Kind.choices)

    class Meta:
        verbose_name = _("同时计为的活动类型")
        verbose_name_plural = _("同时计为的活动类型")
        ordering = ["activity", "kind"]
        constraints = [models.UniqueConstraint(fields=["activity", "kind"], name="activity_extra_kind_once")]

    def __str__(self) -> str:
        return f"{self.activity} {self.get_kind_display()}"


class Resolution(models.Model):
    """决议: a decision of a meeting, with the votes when one was taken."""

    activity = models.ForeignKey(Activity, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="resolutions")
    text = models.TextField(_("决议内容"))
    votes_for = models.PositiveIntegerField(_("赞成"), null=True, blank=True)
    votes_against = models.PositiveIntegerField(_("反对"), null=True, blank=True)
    votes_abstain = models.PositiveIntegerField(_("弃权"), null=True, blank=True)
    # 书面表决意见: opinions handed in before the meeting by voting members who could not attend.
    written_for = models.PositiveIntegerField(_("书面赞成"), default=0)
    written_against = models.PositiveIntegerField(_("书面反对"), default=0)
    written_abstain = models.PositiveIntegerField(_("书面弃权"), default=0)
    # Frozen when the resolution is recorded: a later roster change does not change whether it passed.
    voting_members = models.PositiveIntegerField(_("应到有表决权党员数"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("决议")
        verbose_name_plural = _("决议")
        ordering = ["activity", "pk"]

    def __str__(self) -> str:
        return self.text[:50]

    def get_additional_data(self) -> dict:
        """Stored with each audit entry, so that the activity's page finds it."""
        return {"activity_id": self.activity_id}

    @property
    def has_votes(self) -> bool:
        return self.votes_for is not None


def activity_file_path(instance: ActivityFile, filename: str) -> str:
    # A random name in the private storage: neither the activity's id nor the uploader's file
    # name (kept in ``original_name``). Activity files are records: the sweep never removes them.
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return random_name(ACTIVITIES_DIR, ext)


class ActivityFile(models.Model):
    """A photo or a document of an activity; type checked by extension and content, size limited."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("照片")
        DOCUMENT = "document", _("文件")

    activity = models.ForeignKey(Activity, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("文件"), upload_to=activity_file_path, storage=private_storage, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小（字节）"))
    caption = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("活动照片与文件")
        verbose_name_plural = _("活动照片与文件")
        ordering = ["activity", "kind", "pk"]

    def __str__(self) -> str:
        return self.original_name


class Attendance(models.Model):
    """One member at one activity. ``expected`` says the member is on the 应到 list.

    Before holding, a row exists only for a member who checked in, was granted leave, signed
    up or was added; holding creates the rows of everyone else expected (as absent).
    """

    class Status(models.TextChoices):
        EXPECTED = "expected", _("应到")
        PRESENT = "present", _("实到")
        LEAVE = "leave", _("请假")
        ABSENT = "absent", _("缺席")

    class Method(models.TextChoices):
        QR = "qr", _("扫码签到")
        MANUAL = "manual", _("现场代签")
        SECRETARY = "secretary", _("书记登记")

    # No single-column indexes: (activity, member), (activity, status) and (member, status) lead
    # with them, and every check-in writes each index of this table.
    activity = models.ForeignKey(
        Activity, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="attendances", db_index=False
    )
    member = models.ForeignKey(
        Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="attendances", db_index=False
    )
    status = models.CharField(_("出勤"), max_length=10, choices=Status.choices, default=Status.EXPECTED)
    expected = models.BooleanField(_("应到"), default=False)
    # Snapshot at check-in and when the activity is held: counts for a 支部党员大会's quorum.
    full_member = models.BooleanField(_("正式党员"), default=True)
    home_delivered = models.BooleanField(_("送学上门"), default=False)
    method = models.CharField(_("签到方式"), max_length=10, choices=Method.choices, blank=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    nonce = models.CharField(_("客户端请求标识"), max_length=64, blank=True)
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=5, decimal_places=1, null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("出勤记录")
        verbose_name_plural = _("出勤记录")
        ordering = ["activity", "member__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "member"], name="attendance_once_per_member"),
            models.UniqueConstraint(
                fields=["activity", "nonce"], condition=~Q(nonce=""), name="attendance_nonce_once_per_activity"
            ),
        ]
        indexes = [
            models.Index(fields=["member", "status"]),
            models.Index(fields=["activity", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.activity} {self.member} {self.get_status_display()}"

    def get_additional_data(self) -> dict:
        """Stored with each audit entry, so that the activity's and member's pages find it."""
        return {"activity_id": self.activity_id, "member_id": self.member_id}


class LeaveRequest(models.Model):
    """请假: asked by the member before the start, decided by the secretary."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REFUSED = "refused", _("未批准")
        WITHDRAWN = "withdrawn", _("已撤回")

    OPEN_STATUSES = {Status.PENDING, Status.APPROVED}

    activity = models.ForeignKey(
        Activity, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="leave_requests"
    )
    member = models.ForeignKey(Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="leave_requests")
    reason = models.TextField(_("请假事由"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_comment = models.CharField(_("审批意见"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("请假申请")
        verbose_name_plural = _("请假申请")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "member"],
                condition=Q(status__in=["pending", "approved"]),
                name="leave_request_one_open_per_member",
            ),
        ]
        indexes = [models.Index(fields=["activity", "status"])]

    def __str__(self) -> str:
        return f"{self.member} {self.activity} {self.get_status_display()}"

    def get_additional_data(self) -> dict:
        """Stored with each audit entry, so that the activity's and member's pages find it."""
        return {"activity_id": self.activity_id, "member_id": self.member_id}


class MeetingRule(models.Model):
    """A minimum frequency set by an organization department for its subtree.

    For a branch and a kind, the rule of the deepest covering branch wins, the latest
    ``effective_from`` among that branch's rules; with none, ``activities.compliance.DEFAULT_RULES``.
    A rule applies to periods that begin on or after ``effective_from``. ``min_count`` 0
    means the kind is not required.
    """

    class Period(models.TextChoices):
        MONTH = "month", _("每月")
        QUARTER = "quarter", _("每季度")
        YEAR = "year", _("每年")

    branch = models.ForeignKey(
        Branch, verbose_name=_("适用范围"), on_delete=models.CASCADE, related_name="meeting_rules"
    )
    kind = models.CharField(_("活动类型"), max_length=20, choices=Activity.Kind.choices)
    period = models.CharField(_("周期"), max_length=10, choices=Period.choices)
    min_count = models.PositiveSmallIntegerField(_("至少次数"))
    effective_from = models.DateField(_("生效日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设置人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("设置时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("会议频次规则")
        verbose_name_plural = _("会议频次规则")
        ordering = ["branch__path", "kind", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "kind", "effective_from"], name="meeting_rule_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.branch} {self.get_kind_display()} {self.get_period_display()}至少{self.min_count}次"


# 转正 decisions and 不列入应到 exemptions (issue 14) live in their own module to keep this one short;
# imported here so that Django finds them with the app's models.
from .models_rules import ExpectedExemption, ProbationDecision  # noqa: E402

__all__ = [
    "Activity",
    "ActivityExtraKind",
    "ActivityFile",
    "Attendance",
    "ExpectedExemption",
    "LeaveRequest",
    "MeetingRule",
    "ProbationDecision",
    "Resolution",
]
