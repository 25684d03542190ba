"""党费 pages of what the dues follow: a branch's farmers' amount and a member's hardship reductions.

The farmers' page is read by those who manage or review the branch (404 outside their subtree,
403 inside without either); setting the amount needs MANAGE there. A member's reductions are
read and recorded by those who manage the member's branch (``managed_member_or_404``). Every
change goes through a service (``farmer_rates``, ``reductions``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from branches import access
from branches.forms import add_domain_error
from core.periods import month_start

from .. import selectors
from .farmer_rates import farmer_rate_in_force, farmer_rate_set, farmer_rates_of
from .forms import FarmerRateForm, ReductionEndForm, ReductionForm
from .reductions import dues_reduction_create, dues_reduction_end
from .rules import DuesError

RATES_SHOWN = 24
REDUCTIONS_SHOWN = 50


@login_required
def farmer_rate(request, code: str):
    """The farmers' monthly due in force for the branch, the amounts it set, and a form to set one."""
    branch = access.get_branch_or_404(request.user, code=code)
    access.require_any(request.user, (access.MANAGE, access.REVIEW), branch, _("您没有查看该党组织党费的权限"))
    can_manage = access.has_perm(request.user, access.MANAGE, branch)
    this_month = month_start(timezone.localdate())
    form = FarmerRateForm(request.POST or None, initial={"effective_from": f"{this_month:%Y-%m}"})
    if request.method == "POST":
        access.require(request.user, access.MANAGE, branch, _("您没有设定该党组织党费标准的权限"))
        if form.is_valid():
            try:
                farmer_rate_set(branch=branch, by=request.user, **form.cleaned_data)
            except DuesError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("已设定农民党员每月应缴党费"))
                return redirect("members:dues_farmer_rate", code=branch.code)
    amount, source = farmer_rate_in_force(branch=branch, month=this_month)
    context = {
        "branch": branch,
        "form": form,
        "can_manage": can_manage,
        "amount": amount,
        "source": source,
        "rates": list(farmer_rates_of(branch)[:RATES_SHOWN]),
    }
    return render(request, "members/dues_farmer_rate.html", context)


@login_required
def reductions(request, pk: int):
    """A member's hardship reductions and waivers; record one, or end one early."""
    member = selectors.managed_member_or_404(request.user, pk, message=_("您没有管理该党员的权限"))
    ending = request.method == "POST" and request.POST.get("action") == "end"
    creating = request.method == "POST" and not ending
    form = ReductionForm(request.POST if creating else None)
    end_form = ReductionEndForm(request.POST if ending else None)
    if request.method == "POST":
        done = _end(request, member, end_form) if ending else _create(request, member, form)
        if done:
            return redirect("members:dues_reductions", pk=member.pk)
    context = {
        "member": member,
        "form": form,
        "end_form": end_form,
        "reductions": list(member.dues_reductions.select_related("recorded_by")[:REDUCTIONS_SHOWN]),
    }
    return render(request, "members/dues_reductions.html", context)


def _create(request, member, form: ReductionForm) -> bool:
    if not form.is_valid():
        return False
    try:
        dues_reduction_create(member=member, by=request.user, **form.cleaned_data)
    except DuesError as exc:
        add_domain_error(form, exc)
        return False
    messages.success(request, _("已记录 %(name)s 的党费减免") % {"name": member.name})
    return True


def _end(request, member, form: ReductionEndForm) -> bool:
    if not form.is_valid():
        messages.error(request, _("请填写最后减免的月份，写成 2026-03 的形式"))
        return False
    reduction = member.dues_reductions.filter(pk=form.cleaned_data["reduction"]).first()
    if reduction is None:
        messages.error(request, _("没有找到该减免记录"))
        return False
    try:
        dues_reduction_end(reduction=reduction, last_month=form.cleaned_data["last_month"], by=request.user)
    except DuesError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, _("已结束该党费减免"))
    return True
