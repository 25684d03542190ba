"""签到: the one ``check_in`` service, used by the phone's page, the JSON API and the secretary.

The decision, in this order (``decide``; the phone's page also shows its answer before the
tap): a cancelled activity refuses; a member already present gets the original row back; a QR
check-in must fall in the check-in window; a secretary turning a held activity's 缺席 or 请假
into 实到 must write a reason; the member must be on the expected list
(``expected.is_expected``; any active member at an open activity).

The write is an ordinary ORM save inside ``transaction.atomic``, with the member's row locked
(``select_for_update``) when there is one. Idempotency is the database's: a member is present at
most once per activity (unique ``(activity, member)``), and a client nonce is used once per
activity (unique ``(activity, nonce)``). When a concurrent request wins the insert, the
``IntegrityError`` answers the winner's row, or ``nonce_reused`` when the nonce was another
member's.

The save is audited by django-auditlog as every other save of ``Attendance``: the entry holds
the fields before and after, the actor (``by``), the request's IP address and, when one was
required, the written reason (``additional_data["reason"]``). A repeat changes nothing and logs
nothing. Tokens (signing, rotating, the poster) are ``activities.tokens``.
"""

from __future__ import annotations

import contextvars
import datetime

from auditlog.context import set_extra_data
from django.db import IntegrityError, transaction
from django.utils import timezone

from branches.audit import current_ip
from members.models import Member

from . import tokens
from .errors import CheckInError
from .expected import is_expected
from .models import Activity, Attendance

MESSAGES = {
    **tokens.MESSAGES,
    "not_open": "签到尚未开始",
    "closed": "签到已结束",
    "not_expected": "您不在本次活动的应到名单中",
    "cancelled": "活动已取消",
    "nonce_reused": "签到请求标识重复，请刷新页面后重试",
    "no_member": "您的账号未关联党员信息",
    "reason_required": "活动已召开，将缺席或请假改为实到须填写理由",
}
REASON_MAX_LENGTH = 200
# The statuses frozen by holding an activity that a secretary changes only with a written reason.
FROZEN_STATUSES = (Attendance.Status.ABSENT, Attendance.Status.LEAVE)
# What a check-in sets on a row that exists already (expected, leave or absent).
_CHECK_IN_FIELDS = [
    "status",
    "expected",
    "full_member",
    "method",
    "checked_in_at",
    "nonce",
    "recorded_by",
    "updated_at",
]


def _error(code: str) -> CheckInError:
    return CheckInError(MESSAGES[code], code=code)


def needs_reason(activity: Activity, before: str | None) -> bool:
    """A secretary changing a row from ``before`` needs a written reason: a held activity's 缺席 or 请假.

    Used by the secretary's check-in here and by the attendance sheet (``attendance_bulk_record``).
    """
    return activity.is_held and before in FROZEN_STATUSES


def secretary_may_record_present(activity: Activity, now: datetime.datetime) -> bool:
    """The secretary records 实到 (代签, the attendance sheet) once check-in has opened, and any time
    after (a meeting is logged afterwards): nobody is present at a meeting not yet begun."""
    return now >= activity.checkin_opens


def check_window(activity: Activity, now: datetime.datetime) -> None:
    if now < activity.checkin_opens:
        raise _error("not_open")
    if now > activity.checkin_closes:
        raise _error("closed")


def verify_token(token: str, now: datetime.datetime | None = None) -> Activity:
    """The activity a scanned token names; ``CheckInError`` (invalid/expired) otherwise."""
    parsed = tokens.check_before_reading(token, now or timezone.now())
    activity = Activity.objects.select_related("branch").filter(pk=parsed.activity_id).first()
    if activity is None:
        raise _error("invalid_token")
    if parsed.window is None:
        tokens.check_fixed(parsed, activity)
    return activity


def member_of(user) -> Member:
    """The member of a logged-in account; ``no_member`` when it has none."""
    member = Member.objects.select_related("branch").filter(user_id=user.pk).first()
    if member is None:
        raise _error("no_member")
    return member


# --- the service ------------------------------------------------------------------------


def decide(activity: Activity, member: Member, existing: Attendance | None, *, method: str, reason: str, now) -> bool:
    """The check-in's rules, in their order: True when already present, ``CheckInError`` when refused."""
    if activity.is_cancelled:
        raise _error("cancelled")
    if existing is not None and existing.status == Attendance.Status.PRESENT:
        return True
    if method == Attendance.Method.QR:
        check_window(activity, now)
    elif not secretary_may_record_present(activity, now):
        raise _error("not_open")
    before = existing.status if existing is not None else None
    if method != Attendance.Method.QR and needs_reason(activity, before) and not reason:
        raise _error("reason_required")
    if not member.is_active or (activity.has_expected_list and not is_expected(activity, member)):
        raise _error("not_expected")
    return False


def _saved_with_audit(attendance: Attendance, *, by, reason: str, update_fields: list[str] | None) -> None:
    """Save through the ORM; django-auditlog's entry gets ``by`` as actor, the request's IP and the reason.

    In a context of its own (a copy of the current one), so that the request's auditlog context
    (``branches.audit.AuditMiddleware``) stays as it was for whatever the request saves next.
    """
    extra = attendance.get_additional_data()
    if reason:
        extra["reason"] = reason
    actor = by if getattr(by, "is_authenticated", False) else None
    context = {"actor": actor, "remote_addr": current_ip(), "remote_port": None, "additional_data": extra}

    def save() -> None:
        with set_extra_data(context_data=context):
            attendance.save(update_fields=update_fields)

    contextvars.copy_context().run(save)


def _record(activity: Activity, member: Member, *, nonce: str, method: str, by, now, reason: str):
    existing = Attendance.objects.select_for_update().filter(activity=activity, member=member).first()
    if existing is not None:
        existing.activity, existing.member = activity, member  # the callers answer with both
    if decide(activity, member, existing, method=method, reason=reason, now=now):
        return existing, False
    row = existing or Attendance(activity=activity, member=member, expected=False)
    row.status, row.method, row.checked_in_at, row.nonce = Attendance.Status.PRESENT, method, now, nonce
    row.expected = row.expected or activity.has_expected_list  # past ``decide``: on the list if there is one
    row.full_member = member.status == Member.Status.FULL
    row.recorded_by = by if getattr(by, "is_authenticated", False) else None
    _saved_with_audit(row, by=by, reason=reason, update_fields=_CHECK_IN_FIELDS if existing else None)
    return row, True


def _winner(activity: Activity, member: Member) -> tuple[Attendance, bool]:
    """After an ``IntegrityError``: the row of a concurrent check-in of the same member, else a reused nonce."""
    row = Attendance.objects.filter(activity=activity, member=member, status=Attendance.Status.PRESENT).first()
    if row is None:
        raise _error("nonce_reused")
    row.activity, row.member = activity, member
    return row, False


def check_in(
    *,
    activity: Activity,
    member: Member,
    nonce: str | None = None,
    method: str = Attendance.Method.QR,
    by=None,
    now: datetime.datetime | None = None,
    reason: str = "",
) -> tuple[Attendance, bool]:
    """签到: record ``member`` present at ``activity``; returns ``(attendance, created)``.

    Idempotent: a member is present at most once per activity, whatever the number of taps,
    retries or concurrent requests; a repeat returns the original row with ``created=False``.
    ``method=QR`` is held to the check-in window; the secretary's methods (``MANUAL`` on the
    screen, ``SECRETARY`` on the sheet) only to its opening, so a meeting can be logged afterwards
    but nobody is marked present at a meeting that has not begun. An
    expected, absent or on-leave row turns present; at a held activity the secretary's methods
    need a written ``reason`` to turn 缺席 or 请假 into 实到. Raises ``CheckInError``
    (``cancelled``, ``not_open``, ``closed``, ``not_expected``, ``nonce_reused``,
    ``reason_required``) and then writes nothing.
    """
    if method not in Attendance.Method.values:
        raise CheckInError("未知的签到方式", code="invalid_method")
    now = now or timezone.now()
    reason = (reason or "").strip()[:REASON_MAX_LENGTH]
    try:
        with transaction.atomic():
            return _record(activity, member, nonce=(nonce or "")[:64], method=method, by=by, now=now, reason=reason)
    except IntegrityError:
        return _winner(activity, member)


def check_in_with_token(
    *, token: str, user, nonce: str | None = None, now: datetime.datetime | None = None
) -> tuple[Attendance, bool]:
    """The phone's check-in: verify the scanned ``token`` and check in the member of ``user`` (the actor)."""
    now = now or timezone.now()
    activity = verify_token(token, now)
    return check_in(activity=activity, member=member_of(user), nonce=nonce, by=user, now=now)
