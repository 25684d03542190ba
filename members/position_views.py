"""Appointing members to positions (职务) and ending positions, reached from the branch page.

Both need ``manage_branch`` on the position's branch: 404 outside the user's subtree, 403
inside without it. Grants follow the positions through ``position_sync_grants``.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from branches import access
from branches.forms import add_domain_error

from .branch_panels import unit_members_q
from .models import Member, Position
from .services import MemberError, position_appoint, position_end

CANDIDATES_SHOWN = 100
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _not_future(day):
    if day > timezone.localdate():
        raise forms.ValidationError(gettext_lazy("日期不能晚于今天"))
    return day


class PositionAppointForm(forms.Form):
    member = forms.ModelChoiceField(label=gettext_lazy("党员"), queryset=Member.objects.none())
    title = forms.ChoiceField(label=gettext_lazy("职务"), choices=Position.Title.choices)
    on = forms.DateField(label=gettext_lazy("任职日期"), widget=_DATE)

    def __init__(self, *args, candidates, shown, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["member"]
        field.queryset = candidates  # what a posted choice is checked against
        field.choices = [("", "---------"), *((m.pk, f"{m.name}（{m.branch.name}）") for m in shown)]

    def clean_on(self):
        return _not_future(self.cleaned_data["on"])


class PositionEndForm(forms.Form):
    on = forms.DateField(label=gettext_lazy("离任日期"), widget=_DATE)

    def clean_on(self):
        return _not_future(self.cleaned_data["on"])


def _shown_candidates(candidates, query: str, chosen) -> list[Member]:
    """At most ``CANDIDATES_SHOWN`` members for the select, the posted one always among them."""
    shown = candidates.filter(name__icontains=query) if query else candidates
    shown = list(shown.order_by("name_pinyin", "name", "pk")[:CANDIDATES_SHOWN])
    if chosen and str(chosen).isdigit() and all(str(m.pk) != str(chosen) for m in shown):
        shown += list(candidates.filter(pk=chosen))
    return shown


@access.branch_permission_required(access.MANAGE)
@require_http_methods(["GET", "POST"])
def appoint(request, branch):
    candidates = (
        Member.objects.visible_to(request.user).active().filter(unit_members_q(branch)).select_related("branch")
    )
    query = request.GET.get("q", "").strip()
    shown = _shown_candidates(candidates, query, request.POST.get("member"))
    data = request.POST if request.method == "POST" else None
    form = PositionAppointForm(data, candidates=candidates, shown=shown, initial={"on": timezone.localdate()})
    if data is not None and form.is_valid():
        try:
            position = position_appoint(branch=branch, by=request.user, **form.cleaned_data)
        except MemberError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("已任命%(name)s为%(title)s") % {"name": position.member.name, "title": position.get_title_display()},
            )
            if position.grant_pending and position.member.user_id is not None:
                messages.warning(
                    request,
                    _("%(name)s的任职权限待本人确认：请在其党员页面签发确认码，当面交给本人输入")
                    % {"name": position.member.name},
                )
            return redirect("branches:detail", code=branch.code)
    context = {"branch": branch, "form": form, "query": query, "truncated": len(shown) >= CANDIDATES_SHOWN}
    return render(request, "members/positions_appoint.html", context)


@access.login_required
@require_http_methods(["GET", "POST"])
def end(request, pk):
    scoped = Position.objects.filter(access.branch_scope_q(request.user, "branch__path"))
    position = access.managed_or_404(request.user, scoped.select_related("branch", "member"), pk=pk)
    data = request.POST if request.method == "POST" else None
    form = PositionEndForm(data, initial={"on": timezone.localdate()})
    if data is not None and form.is_valid():
        try:
            position_end(position=position, on=form.cleaned_data["on"], by=request.user)
        except MemberError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s已离任%(title)s") % {"name": position.member.name, "title": position.get_title_display()},
            )
            return redirect("branches:detail", code=position.branch.code)
    return render(request, "members/positions_end.html", {"position": position, "form": form})
