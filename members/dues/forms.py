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


class DuesRecordForm(forms.Form):
    paid = forms.DecimalField(label=_("实缴金额（元）"), max_digits=10, decimal_places=2)
    paid_on = forms.DateField(label=_("缴纳日期"), required=False, widget=_DATE)


class IncomeForm(forms.Form):
    monthly_income = forms.DecimalField(
        label=_("月收入（税后，元）"),
        max_digits=10,
        decimal_places=2,
        required=False,
        help_text=_("留空表示未申报；农民、学生和无收入的党员按每月0.2元交纳"),
    )


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
