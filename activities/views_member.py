"""The member's phone page: my upcoming activities, asking for leave, signing up for open
activities, my leave requests and my attendance history.

A member reaches only activities they are (or would be) expected at or signed up for, and
only their own leave requests; anything else answers 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import leave as leave_services
from . import page_selectors, selectors, services
from .errors import ActivityError
from .expected import is_expected
from .forms import LeaveForm
from .models import Activity, Attendance, LeaveRequest
from .study import member_study_hours
from .views_common import own_member

HISTORY_LIMIT = 100


@login_required
def mine(request):
    """Seven queries whatever the member's history: session, user, member, upcoming, open, leave, history,
    the year's 学时."""
    member = own_member(request.user)
    now = timezone.now()
    upcoming = list(selectors.member_upcoming(member, now=now))
    signed_up = {a.pk for a in upcoming if not a.has_expected_list}
    context = {
        "member": member,
        "rows": [selectors.member_card(a, now=now) for a in upcoming],
        "open_activities": [a for a in page_selectors.open_activities_for(member, now=now) if a.pk not in signed_up],
        "leaves": list(selectors.member_leave_requests(member)),
        "history": list(selectors.member_history(member)[:HISTORY_LIMIT]),
        "leave_form": LeaveForm(),
        "study": member_study_hours(member=member, year=timezone.localdate().year),
    }
    return render(request, "activities/mine.html", context)


def _my_activity(member, pk: int) -> Activity:
    """An activity the member is expected at (``is_expected``) or has a row at; 404 otherwise."""
    activity = get_object_or_404(Activity.objects.select_related("branch"), pk=pk)
    if not is_expected(activity, member) and not Attendance.objects.filter(activity=activity, member=member).exists():
        raise Http404
    return activity


@login_required
@require_POST
def leave_ask(request, pk: int):
    """请假 before the start, with a reason."""
    member = own_member(request.user)
    activity = _my_activity(member, pk)
    form = LeaveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写请假事由"))
        return redirect("activities:mine")
    try:
        leave_services.leave_request_create(
            activity=activity, member=member, reason=form.cleaned_data["reason"], by=request.user
        )
    except ActivityError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已提交“%(title)s”的请假申请，等待审批") % {"title": activity.title})
    return redirect("activities:mine")


@login_required
@require_POST
def leave_withdraw(request, leave_pk: int):
    member = own_member(request.user)
    leave = get_object_or_404(LeaveRequest.objects.filter(member=member), pk=leave_pk)
    try:
        leave_services.leave_request_withdraw(leave_request=leave, by=request.user)
    except ActivityError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已撤回请假申请"))
    return redirect("activities:mine")


@login_required
@require_POST
def sign_up(request, pk: int):
    """报名 for an open activity (志愿服务, 学习) of the member's own organizations."""
    member = own_member(request.user)
    activity = get_object_or_404(page_selectors.open_activities_for(member), pk=pk)
    try:
        services.activity_sign_up(activity=activity, member=member, by=request.user)
    except ActivityError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已报名“%(title)s”") % {"title": activity.title})
    return redirect("activities:mine")
