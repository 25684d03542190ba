"""表彰, 处分 and 脱党预警 pages: recording a member's commendation, sanction, or a note on the 党章
art. 9 warning, reached from the member's page.

The member comes through ``Member.objects.visible_to`` (404 outside the user's subtree).
A commendation and a warning's note need MANAGE on the member's branch; a sanction MANAGE or
REVIEW (the secretary or the organization department). A refusal of the service is shown on the form,
which keeps what was typed.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from branches import access
from branches.forms import add_domain_error

from . import selectors
from .models import Commendation, LapseNote, Member, Sanction
from .records import RecordError, commendation_record, lapse_note_record, sanction_record

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
COMMENDATION_PERMS = (access.MANAGE,)
SANCTION_PERMS = (access.MANAGE, access.REVIEW)
LAPSE_NOTE_PERMS = (access.MANAGE,)
_MONTH = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


def _blank(choices) -> list[tuple[str, str]]:
    return [("", "---------"), *choices]


class CommendationForm(forms.Form):
    # Level and title are checked by the service, so its Chinese reasons show on the form.
    level = forms.ChoiceField(
        label=gettext_lazy("表彰级别"), choices=_blank(Commendation.Level.choices), required=False
    )
    title = forms.CharField(label=gettext_lazy("表彰名称"), max_length=200, required=False)
    awarded_on = forms.DateField(label=gettext_lazy("表彰日期"), widget=_DATE)
    document_number = forms.CharField(label=gettext_lazy("文号"), max_length=100, required=False)


class SanctionForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=_blank(Sanction.Kind.choices), required=False)
    imposed_on = forms.DateField(label=gettext_lazy("决定日期"), widget=_DATE)
    document_number = forms.CharField(
        label=gettext_lazy("文号"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("党纪处分（警告及以上）须填写处分决定文号"),
    )
    reason = forms.CharField(
        label=gettext_lazy("事由"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    ends_on = forms.DateField(
        label=gettext_lazy("期满/解除日期"),
        widget=_DATE,
        required=False,
        help_text=gettext_lazy("留党察看、停止党员权利期间无表决权，至此日恢复；尚未期满的可留空"),
    )


class LapseNoteForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=_blank(LapseNote.Kind.choices), required=False)
    text = forms.CharField(
        label=gettext_lazy("内容"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    months_from = forms.DateField(
        label=gettext_lazy("起始月份"), widget=_MONTH, input_formats=["%Y-%m", "%Y-%m-%d"], required=False
    )
    months_to = forms.DateField(
        label=gettext_lazy("截止月份"),
        widget=_MONTH,
        input_formats=["%Y-%m", "%Y-%m-%d"],
        required=False,
        help_text=gettext_lazy("正当理由须填写所涵盖的月份；仍在持续的，截止月份留空"),
    )


def _member(request, pk: int, perms) -> Member:
    message = _("您没有为该党员记录此事项的权限")
    return selectors.managed_member_or_404(request.user, pk, perms=perms, message=message)


def _record_page(request, member: Member, form_class, service, *, title: str, done: str):
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service(member=member, by=request.user, **form.cleaned_data)
        except RecordError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, done % {"name": member.name})
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/records_form.html", {"member": member, "form": form, "title": title})


@login_required
@require_http_methods(["GET", "POST"])
def commendation_create(request, pk: int):
    member = _member(request, pk, COMMENDATION_PERMS)
    title = _("记录表彰：%(name)s") % {"name": member.name}
    return _record_page(
        request, member, CommendationForm, commendation_record, title=title, done=_("已记录%(name)s的表彰")
    )


@login_required
@require_http_methods(["GET", "POST"])
def sanction_create(request, pk: int):
    member = _member(request, pk, SANCTION_PERMS)
    title = _("记录处分或处理：%(name)s") % {"name": member.name}
    return _record_page(
        request, member, SanctionForm, sanction_record, title=title, done=_("已记录%(name)s的处分或处理")
    )


@login_required
@require_http_methods(["GET", "POST"])
def lapse_note_create(request, pk: int):
    member = _member(request, pk, LAPSE_NOTE_PERMS)
    title = _("脱党预警：为%(name)s记录正当理由或跟进处理") % {"name": member.name}
    return _record_page(
        request, member, LapseNoteForm, lapse_note_record, title=title, done=_("已记录%(name)s的脱党预警处理情况")
    )
