"""Forms of the health-check pages: they only parse input; the rules live in ``health.services``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import health_period


class PeriodForm(forms.Form):
    period = forms.CharField(label=_("考核期"), max_length=7, required=False)

    def clean_period(self) -> str:
        value = self.cleaned_data["period"].strip()
        if not value:
            return ""
        try:
            return health_period(value).label
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class AdjustForm(forms.Form):
    adjustment = forms.DecimalField(label=_("调整分值"), max_digits=4, decimal_places=2)
    reason = forms.CharField(
        label=_("调整理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("意见"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}), required=False)
