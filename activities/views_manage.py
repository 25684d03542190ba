"""The secretary's actions: plan, edit, cancel, mark held, minutes and resolutions, files,
manual check-in, leave decisions, volunteer hours.

Each fetches the activity through the user's scope (404 outside it), requires MANAGE on its
branch (403 without it) and calls one service; the service's Chinese error is shown as is.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches import access
from branches.files import save_failed_message
from branches.params import id_value

from . import checkin, page_selectors, selectors, services
from . import leave as leave_services
from . import records as record_services
from .errors import ActivityError, CheckInError
from .forms import ActivityForm, CancelForm, DecisionForm, FileForm, ManualCheckInForm, MinutesForm, ResolutionForm
from .models import Activity, ActivityFile, Attendance, LeaveRequest, Resolution
from .views_common import managed_activity, require_manager

logger = logging.getLogger(__name__)


def _to_detail(activity: Activity, anchor: str = ""):
    return redirect(reverse("activities:detail", args=[activity.pk]) + (f"#{anchor}" if anchor else ""))


@login_required
def create(request):
    """Plan an activity at a branch the user manages (``?branch=CODE``, a link's, preselects it: 404
    outside the user's subtree, 403 inside without manage); the posted branch is the picker's to check."""
    user = request.user
    require_manager(user)
    branch = None
    if code := request.GET.get("branch"):
        branch = access.get_branch_or_404(user, code=code)
        access.require(user, access.MANAGE, branch)
    initial = {"kind": request.GET.get("kind", "")}
    form = ActivityForm(request.POST or None, user=user, branch=branch, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.activity_create(by=user, **form.create_kwargs())
        except ActivityError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("已创建活动“%(title)s”") % {"title": activity.title})
            return _to_detail(activity)
    return render(request, "activities/form.html", {"form": form, "title": _("计划活动"), "branch": branch})


@login_required
def edit(request, pk: int):
    user = request.user
    activity = managed_activity(user, pk, "host", "recorder")
    if activity.is_cancelled:
        messages.error(request, _("活动已取消，不能再修改"))
        return _to_detail(activity)
    form = ActivityForm(request.POST or None, activity=activity)
    if request.method == "POST" and form.is_valid():
        try:
            if changes := form.changes():
                services.activity_update(activity=activity, by=user, **changes)
        except ActivityError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("已保存"))
            return _to_detail(activity)
    context = {"form": form, "title": _("修改活动：%(title)s") % {"title": activity.title}, "activity": activity}
    return render(request, "activities/form.html", context)


@login_required
def cancel(request, pk: int):
    user = request.user
    activity = managed_activity(user, pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_cancel(activity=activity, by=user, reason=form.cleaned_data["reason"])
        except ActivityError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("活动已取消"))
        return _to_detail(activity)
    return render(request, "activities/cancel.html", {"activity": activity, "form": form})


@login_required
def hold(request, pk: int):
    """Mark held: shows the counts (and a 支部党员大会's quorum) before the secretary confirms."""
    user = request.user
    activity = managed_activity(user, pk)
    if request.method == "POST":
        try:
            services.activity_hold(activity=activity, by=user)
        except ActivityError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已标记为已召开，未签到且未请假的党员记为缺席"))
        return _to_detail(activity)
    context = {
        "activity": activity,
        "summary": selectors.attendance_summary(activity),
        "quorum": record_services.activity_quorum(activity),
    }
    return render(request, "activities/hold.html", context)


# --- minutes, resolutions, files ----------------------------------------------------------


def _minutes_page(request, activity, *, minutes_form=None, resolution_form=None, status=200):
    context = {
        "activity": activity,
        "minutes_form": minutes_form or MinutesForm(initial={"minutes": activity.minutes}),
        "resolution_form": resolution_form or ResolutionForm(),
        "resolutions": record_services.with_outcomes(activity.resolutions.all()),
        "quorum": record_services.activity_quorum(activity),
    }
    return render(request, "activities/minutes.html", context, status=status)


@login_required
def minutes(request, pk: int):
    """会议记录 and 决议: the minutes form, the resolutions with their votes, and the form to add one."""
    user = request.user
    activity = managed_activity(user, pk)
    if request.method != "POST":
        return _minutes_page(request, activity)
    form = MinutesForm(request.POST)
    if form.is_valid():
        try:
            services.activity_record_minutes(activity=activity, minutes=form.cleaned_data["minutes"], by=user)
        except ActivityError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("会议记录已保存"))
            return redirect("activities:minutes", pk=activity.pk)
    return _minutes_page(request, activity, minutes_form=form, status=400)


@login_required
@require_POST
def resolution_add(request, pk: int):
    user = request.user
    activity = managed_activity(user, pk)
    form = ResolutionForm(request.POST)
    if form.is_valid():
        try:
            record_services.resolution_add(activity=activity, by=user, **form.cleaned_data)
        except ActivityError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("决议已添加"))
            return redirect("activities:minutes", pk=activity.pk)
    return _minutes_page(request, activity, resolution_form=form, status=400)


@login_required
@require_POST
def resolution_delete(request, pk: int, resolution_pk: int):
    user = request.user
    activity = managed_activity(user, pk)
    resolution = get_object_or_404(Resolution.objects.filter(activity=activity), pk=resolution_pk)
    resolution.activity = activity
    try:
        record_services.resolution_delete(resolution=resolution, by=user)
    except ActivityError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("决议已删除"))
    return redirect("activities:minutes", pk=activity.pk)


@login_required
@require_POST
def file_upload(request, pk: int):
    """A photo or document; the service checks its type, content and size."""
    user = request.user
    activity = managed_activity(user, pk)
    form = FileForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _to_detail(activity, "files")
    try:
        with transaction.atomic():  # a failed file write rolls back cleanly, whatever surrounds the view
            item = record_services.activity_attach_file(
                activity=activity, upload=form.cleaned_data["file"], by=user, caption=form.cleaned_data["caption"]
            )
    except ActivityError as exc:
        messages.error(request, exc.message)
    except OSError:  # the storage could not write it (a full disk): no partial file is left
        logger.exception("activity %s: file not stored", activity.pk)
        messages.error(request, save_failed_message())
    else:
        messages.success(request, _("已上传“%(name)s”") % {"name": item.original_name})
    return _to_detail(activity, "files")


@login_required
@require_POST
def file_delete(request, pk: int, file_pk: int):
    user = request.user
    activity = managed_activity(user, pk)
    item = get_object_or_404(ActivityFile.objects.filter(activity=activity), pk=file_pk)
    record_services.activity_file_delete(activity_file=item, by=user)
    messages.success(request, _("已删除“%(name)s”") % {"name": item.original_name})
    return _to_detail(activity, "files")


# --- attendance and leave -----------------------------------------------------------------


def _member_to_check_in(request, activity: Activity, form: ManualCheckInForm):
    """The member picked on the sheet (by id) or typed (name or phone); None with a message otherwise."""
    from members.models import Member

    member_id = form.cleaned_data.get("member")
    if member_id:
        return get_object_or_404(Member.objects.visible_to(request.user), pk=member_id)
    found = page_selectors.find_members(activity, request.user, form.cleaned_data["who"])
    if not found:
        messages.error(request, _("没有找到该党员，请核对姓名或手机号码"))
    elif len(found) > 1:
        messages.error(request, _("有多名同名党员，请输入手机号码"))
    else:
        return found[0]
    return None


@login_required
@require_POST
def manual_check_in(request, pk: int):
    """现场代签: the secretary checks in a member who has no phone (``check_in``, method manual).

    At a held activity, turning a 缺席 or 请假 into 实到 needs the form's ``reason`` (audited with it).
    """
    user = request.user
    activity = managed_activity(user, pk)
    form = ManualCheckInForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择或输入要签到的党员"))
        return _to_detail(activity, "sheet")
    member = _member_to_check_in(request, activity, form)
    if member is not None:
        try:
            attendance, created = checkin.check_in(
                activity=activity,
                member=member,
                method=Attendance.Method.MANUAL,
                by=user,
                reason=form.cleaned_data["reason"],
            )
        except CheckInError as exc:
            messages.error(request, f"{member.name}：{exc.message}")
        else:
            if created:
                messages.success(request, _("%(name)s 签到成功") % {"name": member.name})
            else:
                messages.info(request, _("%(name)s 已签到") % {"name": member.name})
    return _to_detail(activity, "sheet")


@login_required
@require_POST
def leave_decide(request, pk: int, leave_pk: int):
    """The secretary approves (the member is marked 请假) or refuses a pending leave request."""
    user = request.user
    activity = managed_activity(user, pk)
    leave = get_object_or_404(LeaveRequest.objects.filter(activity=activity).select_related("member"), pk=leave_pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择批准或不批准"))
        return _to_detail(activity, "leave")
    approve = form.cleaned_data["approve"]
    try:
        leave_services.leave_request_decide(
            leave_request=leave, approve=approve, by=user, comment=form.cleaned_data["comment"]
        )
    except ActivityError as exc:
        messages.error(request, exc.message)
    else:
        done = _("已批准 %(name)s 的请假") if approve else _("未批准 %(name)s 的请假")
        messages.success(request, done % {"name": leave.member.name})
    return _to_detail(activity, "leave")


@login_required
@require_POST
def hours(request, pk: int):
    """志愿服务 hours of the present members: one field ``hours-<member id>`` each, blanks skipped."""
    user = request.user
    activity = managed_activity(user, pk)
    values = {}
    for key, value in request.POST.items():
        if key.startswith("hours-") and value.strip():
            values[id_value(key[6:], name=key)] = value.strip()
    try:
        count = services.attendance_set_hours(activity=activity, hours=values, by=user) if values else 0
    except ActivityError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已登记 %(count)s 人的服务时长") % {"count": count})
    return _to_detail(activity, "sheet")


@login_required
@require_POST
def fixed_qr(request, pk: int):
    """Enable or disable the printable fixed QR (disabling voids printed posters)."""
    user = request.user
    activity = managed_activity(user, pk)
    enabled = request.POST.get("enabled") == "1"
    try:
        services.activity_fixed_qr_set(activity=activity, enabled=enabled, by=user)
    except ActivityError as exc:
        messages.error(request, exc.message)
        return _to_detail(activity)
    if enabled:
        messages.success(request, _("已启用固定签到码，可打印张贴"))
        return redirect("activities:poster", pk=activity.pk)
    messages.success(request, _("已停用固定签到码，已打印的签到码失效"))
    return redirect("activities:checkin_screen", pk=activity.pk)
