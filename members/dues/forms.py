"""Forms of the dues pages. They only parse input; the rules live in ``members.dues.rules``,
``members.dues.income`` and ``members.dues.importing``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.periods import MONTH, Period

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MonthField(forms.CharField):
    """A month typed as 2026-03 (an ``<input type="month">``)."""

    widget = forms.TextInput(attrs={"type": "month"})

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        try:
            return Period.parse(text, kinds=[MONTH]).start
        except ValueError:
            raise forms.ValidationError(_("月份应写成 2026-03 的形式"), code="invalid_month") from None


def _money(label, *, required=True, help_text=""):
    return forms.DecimalField(label=label, max_digits=10, decimal_places=2, required=required, help_text=help_text)


class DuesRecordForm(forms.Form):
    paid = _money(_("实缴金额（元）"), help_text=_("超出应缴金额的部分记为自愿多交"))
    voluntary = _money(_("自愿多交（元）"), required=False)
    paid_on = forms.DateField(label=_("缴纳日期"), required=False, widget=_DATE)

    def clean_voluntary(self):
        return self.cleaned_data.get("voluntary") or 0


class IncomeForm(forms.Form):
    monthly_income = _money(
        _("月收入（税后，元）"), required=False, help_text=_("每月收入扣除个人所得税后的金额；留空表示未申报")
    )
    effective_month = MonthField(
        label=_("生效月份"), required=False, help_text=_("从该月起按新的月收入计算；留空为本月")
    )


class FarmerRateForm(forms.Form):
    amount = _money(_("农民党员每月应缴（元）"), help_text=_("0.20元至1.00元"))
    effective_from = MonthField(label=_("生效月份"))


class ReductionForm(forms.Form):
    starts_on = MonthField(label=_("起始月份"))
    ends_on = MonthField(label=_("截止月份"), required=False, help_text=_("留空表示直至另行结束"))
    amount = _money(_("减免后每月应缴（元）"), help_text=_("填0表示免交"))
    reason = forms.CharField(label=_("减免理由"), widget=forms.Textarea(attrs={"rows": 2}))
    approving_org = forms.CharField(label=_("批准的上一级党委"), max_length=100)
    approved_on = forms.DateField(label=_("批准日期"), widget=_DATE)
    document_number = forms.CharField(label=_("批准文号"), max_length=100, required=False)


class ReductionEndForm(forms.Form):
    reduction = forms.IntegerField(widget=forms.HiddenInput)
    last_month = MonthField(label=_("最后减免月份"))


class GenerateForm(forms.Form):
    month = MonthField(label=_("月份"))


class ArrearsForm(forms.Form):
    start = MonthField(label=_("起始月份"), required=False)
    end = MonthField(label=_("截止月份"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("起始月份不能晚于截止月份"))
        return data


class DuesImportForm(forms.Form):
    file = forms.FileField(label=_("党费表（.xlsx）"))


class MonthRecordForm(forms.Form):
    """本月全部已缴: the day paid, and the members ticked as not paid (``members.dues.month_record``)."""

    paid_on = forms.DateField(label=_("缴纳日期"), widget=_DATE)
    unpaid = forms.TypedMultipleChoiceField(
        label=_("未缴的党员"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unpaid"].choices = [(m.pk, m.name) for m in members]
