"""党费's tables: the monthly rows, reductions and waivers, income history, the farmers' rate.

Registered with the ``members`` app through members/models.py, which imports them. The rules that
use them are members/dues/rules.py (关于中国共产党党费收缴、使用和管理的规定, 2008).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from branches.models import Branch

FARMER_RATE_MIN = Decimal("0.20")
FARMER_RATE_MAX = Decimal("1.00")


def _recorded_by():
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.SET_NULL, null=True, blank=True
    )


class DuesPayment(models.Model):
    """党费: one row per member per month, with what was due and what was paid."""

    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="dues_payments"
    )
    # The member's branch when the month fell due, so arrears stay with the branch that collected them.
    branch = models.ForeignKey(Branch, verbose_name=_("党组织"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("月份"))  # always the first day of the month
    due = models.DecimalField(_("应缴金额"), max_digits=10, decimal_places=2)
    paid = models.DecimalField(_("实缴金额"), max_digits=10, decimal_places=2, default=0)
    paid_on = models.DateField(_("缴纳日期"), null=True, blank=True)
    # Paid above the due of the member's own will (自愿多交), kept apart from ``paid``.
    voluntary = models.DecimalField(_("自愿多交"), max_digits=10, decimal_places=2, default=Decimal(0))
    # A cancelled row is not due: a death or a transfer recorded after the month began.
    cancelled_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("作废原因"), max_length=200, blank=True)
    recorded_by = _recorded_by()
    updated_at = models.DateTimeField(_("记录时间"), auto_now=True)

    class Meta:
        verbose_name = _("党费")
        verbose_name_plural = _("党费")
        ordering = ["-month", "member_id"]
        constraints = [models.UniqueConstraint(fields=["member", "month"], name="dues_one_row_per_member_month")]
        indexes = [models.Index(fields=["branch", "month"])]

    def __str__(self) -> str:
        return f"{self.member} {self.month:%Y-%m}"

    def get_additional_data(self) -> dict:
        """Stored with each audit entry, so that the member's page finds it (branches/audit.py)."""
        return {"member_id": self.member_id}

    @property
    def is_paid_in_full(self) -> bool:
        return self.paid >= self.due


class DuesReduction(models.Model):
    """减免: a reduced monthly due (0 = waived) for a member in hardship, approved by the higher committee."""

    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="dues_reductions"
    )
    starts_on = models.DateField(_("起始月份"))  # first day of a month
    ends_on = models.DateField(_("截止月份"), null=True, blank=True)  # first day of the last month; open if empty
    amount = models.DecimalField(_("减免后月应缴"), max_digits=10, decimal_places=2)
    reason = models.TextField(_("减免理由"))
    approving_org = models.CharField(_("批准组织"), max_length=100)
    approved_on = models.DateField(_("批准日期"))
    document_number = models.CharField(_("文号"), max_length=100, blank=True)
    recorded_by = _recorded_by()
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("党费减免")
        verbose_name_plural = _("党费减免")
        ordering = ["-starts_on", "-pk"]
        indexes = [models.Index(fields=["member", "starts_on"])]

    def __str__(self) -> str:
        return f"{self.member_id} {self.starts_on:%Y-%m} {self.amount}"

    def get_additional_data(self) -> dict:
        return {"member_id": self.member_id}


class IncomeChange(models.Model):
    """One declared monthly income (税后) and the month from which it applies."""

    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="income_changes"
    )
    monthly_income = models.DecimalField(_("月收入（税后）"), max_digits=10, decimal_places=2)
    effective_month = models.DateField(_("生效月份"))  # first day of a month
    recorded_by = _recorded_by()
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("月收入变更")
        verbose_name_plural = _("月收入变更")
        ordering = ["-effective_month", "-recorded_at", "-pk"]
        indexes = [models.Index(fields=["member", "effective_month"])]

    def __str__(self) -> str:
        return f"{self.member_id} {self.effective_month:%Y-%m} {self.monthly_income}"

    def get_additional_data(self) -> dict:
        return {"member_id": self.member_id}


class FarmerDuesRate(models.Model):
    """The monthly due of the branch's 农民 members, set by the branch between 0.20 and 1.00 yuan."""

    branch = models.ForeignKey(Branch, verbose_name=_("党组织"), on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(
        _("农民党员月应缴"),
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(FARMER_RATE_MIN), MaxValueValidator(FARMER_RATE_MAX)],
    )
    effective_from = models.DateField(_("生效月份"))  # first day of a month
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("设定人"), on_delete=models.SET_NULL, null=True, blank=True
    )
    set_at = models.DateTimeField(_("设定时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("农民党员党费标准")
        verbose_name_plural = _("农民党员党费标准")
        ordering = ["branch_id", "-effective_from", "-pk"]
        indexes = [models.Index(fields=["branch", "effective_from"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=FARMER_RATE_MIN, amount__lte=FARMER_RATE_MAX),
                name="farmer_dues_rate_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.effective_from:%Y-%m} {self.amount}"
