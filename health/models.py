"""政治体检: the rubric in force, each member's health check per period, and its review log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from branches.models import Branch
from members.models import Member


class Rubric(models.Model):
    """评分细则 for a subtree, in force from ``year`` on until a newer one (or a deeper branch's) applies.

    ``branch`` empty: the site-wide rubric. Without any row the code's default
    (``health.rubric.DEFAULT_RUBRIC``) is in force.
    """

    branch = models.ForeignKey(
        Branch, verbose_name=_("适用党组织"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("起始年度"))
    name = models.CharField(_("名称"), max_length=100)
    config = models.JSONField(_("评分细则"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("修改人"), on_delete=models.SET_NULL, null=True, blank=True
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("评分细则")
        verbose_name_plural = _("评分细则")
        ordering = ["year", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "year"], name="rubric_one_per_branch_year"),
            models.UniqueConstraint(
                fields=["year"], condition=Q(branch__isnull=True), name="rubric_one_default_per_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"


class RubricSnapshot(models.Model):
    """A rubric's content as it was when checks were computed, saved once per distinct content.

    Every check points at the snapshot it was scored with (instead of carrying the whole
    rubric on each of a city's 50,000 rows); ``digest`` is the SHA-256 of its canonical JSON.
    """

    digest = models.CharField(_("摘要"), max_length=64, unique=True)
    config = models.JSONField(_("评分细则"))
    created_at = models.DateTimeField(_("保存时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评分细则快照")
        verbose_name_plural = _("评分细则快照")

    def __str__(self) -> str:
        return f"{self.config.get('name', '评分细则')} {self.digest[:12]}"


class HealthCheck(models.Model):
    """One member's 政治体检 for one period ("2026" or "2026Q3")."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("待提交")
        SUBMITTED = "submitted", _("已提交")
        RETURNED = "returned", _("已退回")
        APPROVED = "approved", _("已审核")
        PUBLISHED = "published", _("已公示")

    class Grade(models.TextChoices):
        EXCELLENT = "excellent", _("优秀")
        QUALIFIED = "qualified", _("合格")
        BASIC = "basic", _("基本合格")
        UNQUALIFIED = "unqualified", _("不合格")

    # Statuses the branch may still change; a recomputation never touches the others.
    EDITABLE = frozenset({Status.DRAFT, Status.RETURNED})
    LOCKED = frozenset({Status.SUBMITTED, Status.APPROVED, Status.PUBLISHED})

    # The member's and the branch's columns lead the unique constraint and the indexes below,
    # which serve their look-ups: no separate index for them.
    member = models.ForeignKey(
        Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="health_checks", db_index=False
    )
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("党支部"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    period = models.CharField(_("考核期"), max_length=7)
    rubric = models.ForeignKey(
        Rubric,
        verbose_name=_("评分细则"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    snapshot = models.ForeignKey(
        RubricSnapshot,
        verbose_name=_("评分细则（计算时）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    items = models.JSONField(_("各项得分"))  # [{key, label, points, score, found}]
    bonus = models.DecimalField(_("加分"), max_digits=5, decimal_places=2, default=0)
    deduction = models.DecimalField(_("扣分"), max_digits=5, decimal_places=2, default=0)
    vetoed = models.BooleanField(_("一票否决"), default=False)
    subtotal = models.DecimalField(_("调整前得分"), max_digits=6, decimal_places=2)
    adjustment = models.DecimalField(_("支部调整"), max_digits=4, decimal_places=2, default=0)
    adjustment_reason = models.TextField(_("调整理由"), blank=True)
    total = models.DecimalField(_("总分"), max_digits=5, decimal_places=2)
    grade = models.CharField(_("等次"), max_length=12, choices=Grade.choices)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    computed_at = models.DateTimeField(_("计算时间"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # A locked check of a period the member no longer belongs to (a death, leaving or transfer
    # recorded late): kept as it was, marked, and skipped by the review steps (health/corrections.py).
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_reason = models.CharField(_("撤回原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("政治体检")
        verbose_name_plural = _("政治体检")
        ordering = ["branch__path", "member__name", "pk"]
        constraints = [models.UniqueConstraint(fields=["member", "period"], name="health_check_one_per_member_period")]
        indexes = [models.Index(fields=["branch", "period", "status"]), models.Index(fields=["period", "status"])]

    def __str__(self) -> str:
        return f"{self.member} {self.period}"

    def get_additional_data(self) -> dict:
        """Stored with each audit entry, so that the member's page finds it (branches/audit.py)."""
        return {"member_id": self.member_id}

    @property
    def rubric_snapshot(self) -> dict:
        """The rubric in force when the check was computed (its config)."""
        return self.snapshot.config

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE


class HealthCheckEvent(models.Model):
    """One step of a check's life: computed, adjusted, submitted, approved, returned, published."""

    class Kind(models.TextChoices):
        COMPUTED = "computed", _("计算")
        ADJUSTED = "adjusted", _("调整")
        SUBMITTED = "submitted", _("提交")
        APPROVED = "approved", _("审核通过")
        RETURNED = "returned", _("退回")
        PUBLISHED = "published", _("公示")
        WITHDRAWN = "withdrawn", _("撤回")

    health_check = models.ForeignKey(
        HealthCheck, verbose_name=_("政治体检"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    detail = models.CharField(_("变更"), max_length=200, blank=True)  # e.g. "总分 80.00 → 83.00"
    comment = models.TextField(_("理由或意见"), blank=True)

    class Meta:
        verbose_name = _("政治体检记录")
        verbose_name_plural = _("政治体检记录")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.health_check} {self.get_kind_display()}"
