"""Leave requests (请假): a member asks, the secretary decides, the member may withdraw.

Approving marks the member 请假 on the attendance sheet at once: the sheet's status is what
"approved leave" counts (``activities.selectors.on_approved_leave``).
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.labels import source_label
from members.models import Member

from .errors import ActivityError
from .models import Activity, Attendance, LeaveRequest
from .services import member_ids_expected, require_not_cancelled


def leave_request_create(
    *, activity: Activity, member: Member, reason: str, by=None, now: datetime.datetime | None = None
) -> LeaveRequest:
    """请假: the member asks before the start, with a reason."""
    now = now or timezone.now()
    if activity.is_cancelled:
        raise ActivityError("活动已取消", code="cancelled")
    if activity.is_held or now >= activity.starts_at:
        raise ActivityError("活动开始后不能再请假", code="too_late")
    if not reason.strip():
        raise ActivityError("请填写请假事由", code="reason_required", field="reason")
    if not activity.has_expected_list or not member_ids_expected(activity, [member.pk]):
        raise ActivityError("您不在本次活动的应到名单中", code="not_expected")
    if Attendance.objects.filter(activity=activity, member=member, status=Attendance.Status.PRESENT).exists():
        raise ActivityError("您已签到，无需请假", code="already_present")
    try:
        with transaction.atomic():
            return LeaveRequest.objects.create(activity=activity, member=member, reason=reason.strip(), requested_by=by)
    except IntegrityError:
        raise ActivityError("已有待审批或已批准的请假申请", code="duplicate") from None


def leave_request_decide(*, leave_request: LeaveRequest, approve: bool, by, comment: str = "") -> LeaveRequest:
    """The secretary approves (the member is marked 请假) or refuses a pending request."""
    now = timezone.now()
    with transaction.atomic():
        request = LeaveRequest.objects.select_for_update().select_related("activity", "member").get(pk=leave_request.pk)
        if request.status != LeaveRequest.Status.PENDING:
            raise ActivityError(f"该申请{source_label(LeaveRequest.Status, request.status)}", code="already_decided")
        require_not_cancelled(request.activity)
        if approve:
            _mark_leave(request, by=by, now=now)
        request.status = LeaveRequest.Status.APPROVED if approve else LeaveRequest.Status.REFUSED
        request.decided_by, request.decided_at, request.decision_comment = by, now, comment.strip()[:200]
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    for name in ("status", "decided_by", "decided_at", "decision_comment"):
        setattr(leave_request, name, getattr(request, name))
    return leave_request


def _mark_leave(request: LeaveRequest, *, by, now: datetime.datetime) -> None:
    row, created = Attendance.objects.select_for_update().get_or_create(
        activity=request.activity,
        member=request.member,
        defaults={
            "status": Attendance.Status.LEAVE,
            "expected": True,
            "full_member": request.member.status == Member.Status.FULL,
            "recorded_by": by,
        },
    )
    if created:
        return
    if row.status == Attendance.Status.PRESENT:
        raise ActivityError(f"{request.member.name}已签到，不能再批准请假", code="already_present")
    row.status, row.expected, row.recorded_by, row.updated_at = Attendance.Status.LEAVE, True, by, now
    row.save(update_fields=["status", "expected", "recorded_by", "updated_at"])


def leave_request_withdraw(*, leave_request: LeaveRequest, by) -> LeaveRequest:
    """The member withdraws a request that is still pending.

    A locked read and a save (not ``.update()``), so that django-auditlog records the withdrawal
    with its actor and IP like every other change of a request.
    """
    with transaction.atomic():
        request = LeaveRequest.objects.select_for_update().get(pk=leave_request.pk)
        if request.status != LeaveRequest.Status.PENDING:
            raise ActivityError("只能撤回待审批的申请", code="not_pending")
        request.status, request.decided_by, request.decided_at = LeaveRequest.Status.WITHDRAWN, by, timezone.now()
        request.save(update_fields=["status", "decided_by", "decided_at"])
    leave_request.refresh_from_db()
    return leave_request
