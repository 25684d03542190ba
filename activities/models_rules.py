"""Records of issue 14's meeting rules: probation decisions (预备党员转正决定) and 不列入应到 exemptions.

Models of the ``activities`` app, imported by ``activities.models`` (import them from there). The
rules that write them: ``activities.probation`` and ``activities.exemptions`` (docs/rules/meetings.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from members.models import Member


class ProbationDecision(models.Model):
    """预备党员转正决定: a 支部党员大会's decision (发展党员工作细则 art. 32), approved from above."""

    class Kind(models.TextChoices):
        CONFIRM = "confirm", _("按期转正")
        EXTEND = "extend", _("延长预备期")
        CANCEL = "cancel", _("取消预备党员资格")

    member = models.ForeignKey(
        Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="probation_decisions"
    )
    resolution = models.OneToOneField(
        "activities.Resolution",
        verbose_name=_("决议"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="probation_decision",
    )
    kind = models.CharField(_("决定"), max_length=10, choices=Kind.choices)
    extension_months = models.PositiveSmallIntegerField(_("延长月数"), null=True, blank=True)
    decided_on = models.DateField(_("支部大会日期"))
    approved_on = models.DateField(_("上级党委审批日期"), null=True, blank=True)
    approving_org = models.CharField(_("审批组织"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("预备党员转正决定")
        verbose_name_plural = _("预备党员转正决定")
        ordering = ["-decided_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.member} {self.get_kind_display()}"

    def get_additional_data(self) -> dict:
        """Stored with each audit entry, so that the member's page finds it (branches/audit.py)."""
        return {"member_id": self.member_id}


class ExpectedExemption(models.Model):
    """不列入应到: with the higher organization's consent, a member is left out of the expected lists."""

    class Reason(models.TextChoices):
        SERIOUS_ILLNESS = "serious_illness", _("患重病")
        ABROAD = "abroad", _("出国（境）6个月以上")
        SENTENCE = "sentence", _("服刑")
        BEDRIDDEN = "bedridden", _("长期卧床")
        AWAY = "away", _("外出未转组织关系")
        OTHER = "other", _("其他")

    member = models.ForeignKey(
        Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="expected_exemptions"
    )
    reason = models.CharField(_("原因"), max_length=20, choices=Reason.choices)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    consenting_org = models.CharField(_("同意的上级组织"), max_length=200)
    consent_on = models.DateField(_("同意日期"))
    document_number = models.CharField(_("文号"), max_length=100, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("不列入应到")
        verbose_name_plural = _("不列入应到")
        ordering = ["-starts_on", "-pk"]
        indexes = [models.Index(fields=["member", "starts_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="expected_exemption_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.get_reason_display()}"

    def get_additional_data(self) -> dict:
        """Stored with each audit entry, so that the member's page finds it (branches/audit.py)."""
        return {"member_id": self.member_id}
