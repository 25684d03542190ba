"""在职党员双报到 and the 群众点单—支部派单—党员接单 loop (docs/rules/service.md).

A community is any 党委/党总支/党支部 that accepts registrations: it defines its grids (网格) and
service posts (服务岗位). A member reports (Registration) while staying in their own branch; a unit's
Party organization reports too (UnitRegistration). Residents' requests (ServiceRequest) go round
new → dispatched → in progress → done → rated (or reopened), every step a ServiceRequestEvent.
Nothing here is ever deleted: a registration ends, a request is closed with a reason.
"""

from __future__ import annotations

import secrets
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from branches.files import private_storage, random_name
from branches.models import Branch
from members.models import Member

COMMUNITY_KINDS = (Branch.Kind.COMMITTEE, Branch.Kind.GENERAL_BRANCH, Branch.Kind.BRANCH)


class NeverDeleted(models.Model):
    """Rows kept for the record: ``delete`` refuses (end or close them through the services)."""

    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are never deleted")


class Grid(NeverDeleted):
    """A grid of a community, with the secret of its printed QR poster (the residents' form)."""

    community = models.ForeignKey(Branch, verbose_name=_("社区党组织"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("网格名称"), max_length=100)
    poster_key = models.CharField(_("二维码标识"), max_length=32, unique=True, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        ordering = ["community_id", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="service_grid_unique_name")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.poster_key:
            self.poster_key = secrets.token_urlsafe(16)
        super().save(*args, **kwargs)


class ServicePost(NeverDeleted):
    """A service post the community defines (便民利民, 就业指导, 卫生保健, 法律援助, 矛盾调解, 楼栋长…)."""

    community = models.ForeignKey(Branch, verbose_name=_("社区党组织"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("岗位名称"), max_length=50)
    description = models.CharField(_("岗位说明"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("服务岗位")
        verbose_name_plural = _("服务岗位")
        ordering = ["community_id", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="service_post_unique_name")]

    def __str__(self) -> str:
        return self.name


class Registration(NeverDeleted):
    """A member's 报到 at a community: the member stays in their own branch. One open registration
    per member; it is current while confirmed within ``SERVICE_RENEWAL_MONTHS`` (service.rules)."""

    member = models.ForeignKey(Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(Branch, verbose_name=_("报到社区"), on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(Grid, verbose_name=_("网格"), on_delete=models.PROTECT, null=True, blank=True)
    post = models.ForeignKey(ServicePost, verbose_name=_("服务岗位"), on_delete=models.PROTECT, null=True, blank=True)
    skills = models.CharField(_("特长"), max_length=200, blank=True)
    registered_on = models.DateField(_("报到日期"))
    confirmed_on = models.DateField(_("最近确认日期"))
    # The first day it no longer counts (dispatching, lists, 报到率, feedback cards); the row stays.
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    end_reason = models.CharField(_("结束原因"), max_length=200, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("党员报到")
        verbose_name_plural = _("党员报到")
        ordering = ["community_id", "grid_id", "member_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=Q(ended_on__isnull=True), name="service_one_open_registration"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id}@{self.community_id}"


class UnitRegistration(NeverDeleted):
    """A unit's Party organization reporting to a community (双报到), with its contact."""

    unit = models.ForeignKey(Branch, verbose_name=_("单位党组织"), on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(Branch, verbose_name=_("报到社区"), on_delete=models.PROTECT, related_name="+")
    contact_name = models.CharField(_("联系人"), max_length=50)
    contact_phone = models.CharField(_("联系电话"), max_length=20)
    registered_on = models.DateField(_("报到日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    end_reason = models.CharField(_("结束原因"), max_length=200, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("单位党组织报到")
        verbose_name_plural = _("单位党组织报到")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "community"], condition=Q(ended_on__isnull=True), name="service_one_open_unit"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}@{self.community_id}"


class VolunteerTeam(NeverDeleted):
    """A volunteer team (志愿服务队) of a community: a request dispatched to it is accepted and completed by
    its leader, a member currently registered at the community, for the team; the team's members who took
    part (``ServiceParticipant``) get the completion's hours."""

    community = models.ForeignKey(Branch, verbose_name=_("社区党组织"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("服务队名称"), max_length=50)
    leader = models.ForeignKey(Member, verbose_name=_("队长"), on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("志愿服务队")
        verbose_name_plural = _("志愿服务队")
        ordering = ["community_id", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="service_team_unique_name")]

    def __str__(self) -> str:
        return self.name


class TeamMembership(NeverDeleted):
    """A member of a volunteer team (its leader apart), registered at the team's community when added; a
    member who leaves keeps the row, with ``left_on``."""

    team = models.ForeignKey(
        VolunteerTeam, verbose_name=_("志愿服务队"), on_delete=models.PROTECT, related_name="memberships"
    )
    member = models.ForeignKey(Member, verbose_name=_("队员"), on_delete=models.PROTECT, related_name="+")
    joined_on = models.DateField(_("加入日期"))
    left_on = models.DateField(_("退出日期"), null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("服务队队员")
        verbose_name_plural = _("服务队队员")
        ordering = ["team_id", "joined_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "member"], condition=Q(left_on=None), name="service_one_open_team_membership"
            )
        ]

    def __str__(self) -> str:
        return f"{self.team_id} {self.member_id}"


class ServiceRequest(NeverDeleted):
    """A resident's request (群众点单) and where it stands in the loop."""

    class Status(models.TextChoices):
        NEW = "new", _("待派单")
        DISPATCHED = "dispatched", _("已派单")
        IN_PROGRESS = "in_progress", _("办理中")
        DONE = "done", _("已办结")
        RATED = "rated", _("已评议")
        REOPENED = "reopened", _("重新办理")
        CLOSED = "closed", _("已关闭")

    class Category(models.TextChoices):
        DAILY = "daily", _("便民利民")
        JOBS = "jobs", _("就业指导")
        HEALTH = "health", _("卫生保健")
        LEGAL = "legal", _("法律援助")
        DISPUTE = "dispute", _("矛盾调解")
        ELDERLY = "elderly", _("助老助残")
        OTHER = "other", _("其他")

    OPEN = (Status.NEW, Status.REOPENED)  # in the pool: may be dispatched or claimed
    COMPLETED = (Status.DONE, Status.RATED)

    community = models.ForeignKey(Branch, verbose_name=_("社区党组织"), on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(Grid, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="requests")
    receipt = models.CharField(_("受理编号"), max_length=16, unique=True)
    secret_digest = models.CharField(max_length=64, editable=False)
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    text = models.TextField(_("诉求内容"))
    resident_name_encrypted = models.TextField(editable=False)
    resident_phone_encrypted = models.TextField(editable=False)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True)
    assignee = models.ForeignKey(
        Member, verbose_name=_("承办党员"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    team = models.ForeignKey(
        VolunteerTeam, verbose_name=_("志愿服务队"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dispatch_deadline = models.DateTimeField(_("接单期限"), null=True, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=5, decimal_places=1, null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("评分"), null=True, blank=True)
    rating_comment = models.CharField(_("评价"), max_length=300, blank=True)
    rating_digest = models.CharField(max_length=64, blank=True, editable=False)  # the one-time link's; "" once used
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    close_reason = models.CharField(_("关闭原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("群众诉求")
        verbose_name_plural = _("群众诉求")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["community", "status"]), models.Index(fields=["assignee", "completed_at"])]

    def __str__(self) -> str:
        return self.receipt


class ServiceRequestEvent(NeverDeleted):
    """One step of a request: who, when, what."""

    class Kind(models.TextChoices):
        CREATED = "created", _("群众点单")
        DISPATCHED = "dispatched", _("支部派单")
        RETURNED = "returned", _("超时退回")
        ACCEPTED = "accepted", _("党员接单")
        CLAIMED = "claimed", _("党员领单")
        NOTE = "note", _("办理进展")
        COMPLETED = "completed", _("办结")
        RATED = "rated", _("群众评议")
        REOPENED = "reopened", _("评议不满意，重新办理")
        CLOSED = "closed", _("关闭")

    request = models.ForeignKey(ServiceRequest, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.CharField(_("说明"), max_length=300, blank=True)
    # A completion's hours, credited to ``member`` as 志愿服务 hours (health.selectors.member_facts).
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=5, decimal_places=1, null=True, blank=True)

    class Meta:
        verbose_name = _("诉求办理记录")
        verbose_name_plural = _("诉求办理记录")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["member", "kind", "at"])]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind}"


class ServiceParticipant(NeverDeleted):
    """A member credited with hours by one completion (办结): the completing member of a request held alone,
    each team member who took part in a team's (the leader included when ticked). The 志愿服务 hours of the
    health check are summed from these rows (``service.selectors.completed_hours``)."""

    completion = models.ForeignKey(
        ServiceRequestEvent, verbose_name=_("办结记录"), on_delete=models.PROTECT, related_name="participants"
    )
    member = models.ForeignKey(Member, verbose_name=_("参与党员"), on_delete=models.PROTECT, related_name="+")
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=5, decimal_places=1)

    class Meta:
        verbose_name = _("办结参与党员")
        verbose_name_plural = _("办结参与党员")
        ordering = ["completion_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["completion", "member"], name="service_one_participation_per_completion")
        ]
        indexes = [models.Index(fields=["member", "completion"])]

    def __str__(self) -> str:
        return f"{self.completion_id} {self.member_id} {self.hours}"


def photo_path(instance: ServiceRequestPhoto, filename: str) -> str:
    """A random name in the private storage (never the uploader's file name): photos are records, never swept."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return random_name("service", ext)


class ServiceRequestPhoto(NeverDeleted):
    """A photo of a request: up to ``SERVICE_MAX_PHOTOS`` from the resident, as many with the completion."""

    class Stage(models.TextChoices):
        ASKED = "asked", _("点单照片")
        COMPLETED = "completed", _("办结照片")

    request = models.ForeignKey(ServiceRequest, on_delete=models.PROTECT, related_name="photos")
    stage = models.CharField(_("环节"), max_length=10, choices=Stage.choices)
    file = models.FileField(_("照片"), upload_to=photo_path, storage=private_storage, max_length=200)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("诉求照片")
        verbose_name_plural = _("诉求照片")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.stage}"


class FeedbackCard(NeverDeleted):
    """The quarterly card of a registered member's service, from the community to the home branch's secretary
    (hours, requests completed, mean rating), made once per registration and quarter by the beat."""

    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="cards")
    period = models.CharField(_("季度"), max_length=7)
    member = models.ForeignKey(Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(Branch, verbose_name=_("报到社区"), on_delete=models.PROTECT, related_name="+")
    home_branch = models.ForeignKey(Branch, verbose_name=_("所在党支部"), on_delete=models.PROTECT, related_name="+")
    requests_done = models.PositiveIntegerField(_("办结诉求"))
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=7, decimal_places=1)
    rating = models.DecimalField(_("平均评分"), max_digits=3, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("季度服务反馈卡")
        verbose_name_plural = _("季度服务反馈卡")
        ordering = ["-period", "member_id"]
        constraints = [models.UniqueConstraint(fields=["registration", "period"], name="service_one_card_a_quarter")]
        indexes = [models.Index(fields=["home_branch", "period"])]

    def __str__(self) -> str:
        return f"{self.member_id} {self.period}"


class ServiceFigures(models.Model):
    """为民服务 figures of a branch for one period, stored with the periodic reports (``reports.compute_due``
    writes them beside ``reports.Report``, from ``service.figures.node_figures``): the branch's own (as a
    community: registrations current at the period's end, requests received in it and how they went; as a unit:
    its employed members and how many of them are registered) and its whole subtree's, with the subtree's months.
    Recomputing rewrites the same row (branch, period)."""

    branch = models.ForeignKey(Branch, verbose_name=_("党组织"), on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("期间"), max_length=7)
    own_registrations = models.PositiveIntegerField(_("向本组织报到"), default=0)
    own_received = models.PositiveIntegerField(_("本组织受理诉求"), default=0)
    own_completed = models.PositiveIntegerField(_("本组织办结"), default=0)
    own_median_hours = models.DecimalField(max_digits=8, decimal_places=1, null=True, blank=True)
    own_rating_sum = models.PositiveIntegerField(default=0)
    own_rated = models.PositiveIntegerField(default=0)
    own_employed = models.PositiveIntegerField(_("本组织在职党员"), default=0)
    own_registered = models.PositiveIntegerField(_("本组织已报到"), default=0)
    received = models.PositiveIntegerField(_("受理诉求"), default=0)
    completed = models.PositiveIntegerField(_("办结"), default=0)
    median_hours = models.DecimalField(
        _("办结用时中位数（小时）"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    rating_sum = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    employed = models.PositiveIntegerField(_("在职党员"), default=0)
    registered = models.PositiveIntegerField(_("已报到"), default=0)
    months = models.JSONField(default=list)  # the subtree's [label, received, completed, rating_sum, rated] a month
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("为民服务统计")
        verbose_name_plural = _("为民服务统计")
        constraints = [models.UniqueConstraint(fields=["branch", "period"], name="service_figures_one_per_period")]
        indexes = [models.Index(fields=["period", "branch"])]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.period}"

    @staticmethod
    def _pct(part: int, whole: int) -> Decimal | None:
        return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if whole else None

    @property
    def registration_rate(self) -> Decimal | None:
        """报到率 of the subtree's employed members (as service.figures.Figures.rate)."""
        return self._pct(self.registered, self.employed)

    @property
    def completion_rate(self) -> Decimal | None:
        return self._pct(self.completed, self.received)

    @property
    def satisfaction(self) -> Decimal | None:
        return (Decimal(self.rating_sum) / self.rated).quantize(Decimal("0.01")) if self.rated else None
