"""Pages of issue 14's meeting rules: 不列入应到 exemptions of a branch's members, probation
decisions and their approval, 送学上门 and 流动党员 recorded at a host's activity.

Each page fetches through the user's scope (404 outside it) and requires MANAGE on the branch
(403 without it), then calls one service; the service's Chinese error is shown on its field.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches import access
from members.models import Member

from . import exemptions as exemption_services
from . import page_selectors, presence, probation
from .errors import ActivityError
from .forms import (
    ApprovalForm,
    EndExemptionForm,
    ExemptionForm,
    GuestForm,
    HomeDeliveryForm,
    ProbationDecisionForm,
)
from .models import Activity, ExpectedExemption, ProbationDecision, Resolution
from .records import activity_quorum, with_outcomes
from .views_common import managed_activity


def _to_detail(activity: Activity, anchor: str):
    return redirect(reverse("activities:detail", args=[activity.pk]) + f"#{anchor}")


def _managed_branch(user, code: str):
    branch = access.get_branch_or_404(user, code=code)
    access.require(user, access.MANAGE, branch, _("您没有管理该党组织的权限"))
    return branch


@login_required
def exemptions(request, code: str):
    """The branch's exemptions (current first) and the form to record one for a member of the branch."""
    user = request.user
    branch = _managed_branch(user, code)
    members = Member.objects.active().filter(branch=branch).order_by("name_pinyin", "name", "pk")
    form = ExemptionForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        try:
            exemption = exemption_services.exemption_add(by=user, **form.cleaned_data)
        except ActivityError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("已登记%(name)s不列入应到") % {"name": exemption.member.name})
            return redirect("activities:exemptions", code=branch.code)
    context = {
        "branch": branch,
        "form": form,
        "rows": list(exemption_services.branch_exemptions(branch)),
        "end_form": EndExemptionForm(initial={"ends_on": timezone.localdate()}),
        "today": timezone.localdate(),
    }
    return render(request, "activities/exemptions.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def exemption_end(request, pk: int):
    """End an exemption on the date given (the last day it covers)."""
    user = request.user
    rows = ExpectedExemption.objects.filter(access.branch_scope_q(user, "member__branch__path"))
    exemption = get_object_or_404(rows.select_related("member__branch"), pk=pk)
    branch = exemption.member.branch
    access.deny_unless(user, [access.MANAGE], branch, _("您没有管理该党组织的权限"))
    form = EndExemptionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写结束日期"))
    else:
        try:
            exemption_services.exemption_end(exemption=exemption, ends_on=form.cleaned_data["ends_on"], by=user)
        except ActivityError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已结束%(name)s的不列入应到") % {"name": exemption.member.name})
    return redirect("activities:exemptions", code=branch.code)


# --- the activity page's parts: quorum and outcomes, probation decisions, presence -------------


def record_context(user, activity: Activity, *, editable: bool) -> dict:
    """What the activity page shows of the meeting's record beyond the sheet: the quorum, each
    resolution with its outcome, and at a held 支部党员大会 its probation decisions and forms."""
    resolutions = with_outcomes(activity.resolutions.all())
    context = {"quorum": activity_quorum(activity), "resolutions": resolutions}
    if activity.kind != Activity.Kind.BRANCH_ASSEMBLY or not activity.is_held:
        return context
    decisions = list(ProbationDecision.objects.filter(resolution__activity=activity).select_related("member"))
    approver = probation.approving_branch(activity.branch)
    used = {d.resolution_id for d in decisions}
    passed = [r.pk for r in resolutions if r.outcome and r.outcome.passed and r.pk not in used]
    context["probation"] = {
        "decisions": decisions,
        "approver": approver,
        "can_approve": access.has_perm(user, access.MANAGE, approver),
        "form": ProbationDecisionForm(
            resolutions=Resolution.objects.filter(pk__in=passed), members=probation.probation_candidates(activity)
        )
        if editable and passed
        else None,
    }
    return context


@login_required
@require_POST
def probation_record(request, pk: int):
    """A held 支部党员大会 decides 转正, an extension or a cancellation for one of its probationary members."""
    user = request.user
    activity = managed_activity(user, pk)
    resolutions = Resolution.objects.filter(activity=activity).select_related("activity__branch")
    form = ProbationDecisionForm(
        request.POST, resolutions=resolutions, members=probation.probation_candidates(activity)
    )
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _to_detail(activity, "probation")
    try:
        decision = probation.probation_decision_record(by=user, **form.cleaned_data)
    except ActivityError as exc:
        messages.error(request, exc.message)
    else:
        done = _("已记录%(name)s的%(kind)s决定，待上级党委审批")
        messages.success(request, done % {"name": decision.member.name, "kind": decision.get_kind_display()})
    return _to_detail(activity, "probation")


@login_required
def probation_approve(request, pk: int):
    """The higher committee's approval of a decision: by a user who manages the approving 党委
    (404 outside the user's scope, 403 inside without it)."""
    user = request.user
    rows = ProbationDecision.objects.filter(access.branch_scope_q(user, "resolution__activity__branch__path"))
    decision = get_object_or_404(rows.select_related("member", "resolution__activity__branch"), pk=pk)
    activity = decision.resolution.activity
    approver = probation.approving_branch(activity.branch)
    access.deny_unless(user, [access.MANAGE], approver, _("转正决定由上级党委审批"))
    today = timezone.localdate()
    form = ApprovalForm(request.POST or None, initial={"approved_on": today, "approving_org": approver.name})
    if request.method == "POST" and form.is_valid() and decision.approved_on is None:
        try:
            probation.probation_decision_approve(decision=decision, by=user, **form.cleaned_data)
        except ActivityError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("已审批%(name)s的决定") % {"name": decision.member.name})
            return _to_detail(activity, "probation")
    context = {"decision": decision, "activity": activity, "form": form, "approver": approver}
    return render(request, "activities/probation_approve.html", context, status=400 if form.errors else 200)


def _member_for_delivery(request, activity: Activity, form: HomeDeliveryForm) -> Member | None:
    member_id = form.cleaned_data.get("member")
    if member_id:
        return get_object_or_404(Member.objects.visible_to(request.user), pk=member_id)
    found = page_selectors.find_members(activity, request.user, form.cleaned_data["who"])
    if len(found) == 1:
        return found[0]
    messages.error(request, _("有多名同名党员，请输入手机号码") if found else _("没有找到该党员，请核对姓名或手机号码"))
    return None


@login_required
@require_POST
def home_delivery(request, pk: int):
    """送学上门: the secretary marks a member who could not come as present, delivered at home."""
    user = request.user
    activity = managed_activity(user, pk)
    form = HomeDeliveryForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择或输入送学上门的党员"))
        return _to_detail(activity, "sheet")
    member = _member_for_delivery(request, activity, form)
    if member is not None:
        try:
            presence.home_delivery_record(activity=activity, member=member, by=user, note=form.cleaned_data["note"])
        except ActivityError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已登记%(name)s送学上门") % {"name": member.name})
    return _to_detail(activity, "sheet")


@login_required
@require_POST
def guest_record(request, pk: int):
    """A 流动党员 of another branch attends here: found by name and full ID number only."""
    user = request.user
    activity = managed_activity(user, pk)
    form = GuestForm(request.POST)
    member = None
    if form.is_valid():
        number = form.cleaned_data["id_number"].strip().upper()
        member = Member.objects.active().with_id_number(number).filter(name=form.cleaned_data["name"].strip()).first()
    if member is None:
        messages.error(request, _("没有找到该流动党员，请核对姓名和公民身份号码"))
        return _to_detail(activity, "sheet")
    try:
        presence.guest_attendance_record(activity=activity, member=member, by=user)
    except ActivityError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已登记流动党员%(name)s到会") % {"name": member.name})
    return _to_detail(activity, "sheet")
