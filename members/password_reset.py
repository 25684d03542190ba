"""重置密码: a secretary resets a member's password, and the member sets a new one with a code.

The reset reuses the activation code (members/accounts.py): who manages the member issues an
``ActivationCode`` (purpose ``ACTIVATE``, no vouched branch) shown once, to hand to the member; the
old password stops working and every session of the account ends at once. The member then sets a new
password on the activation page, with the same details as a first activation (name, ID number, phone)
and the code, and is logged in. The secretary never learns the new password.

Who may reset: someone who manages the member's branch and every branch where the member's account
holds a permission (``branches.access.manages_every_grant_of``), so that a reset cannot hand anyone an
account that may do more than they may (a 书记 of the town committee is reset by the county, not by
a village). Issuing is audited (``AuditBulkEvent`` ``issue_activation_code``, "重置密码"), and so is
every attempt to use the code (``activate_account``).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, get_random_string

from branches import access
from branches.audit import bulk_event_record
from branches.models import AuditBulkEvent
from core import devices

from .accounts import (
    ACTIVATION_CODE_ALPHABET,
    ACTIVATION_CODE_LENGTH,
    NO_MATCH,
    _activation_audit,
    _activation_code_hash,
    _grouped,
    normalize_activation_code,
)
from .models import ActivationCode, Member
from .services import MemberError


def password_reset_allowed(user, member: Member) -> bool:
    """Whether ``user`` may reset the password of ``member``'s account (and the member page offers it)."""
    if not member.is_active or member.user_id is None:
        return False
    return access.has_perm(user, access.MANAGE, member.branch) and access.manages_every_grant_of(user, member.user)


def password_reset_issue(*, member: Member, by) -> str:
    """Reset the password of ``member``'s account: the old one stops working, every session of the
    account ends, and a one-time code (shown once to ``by``, valid ``ACTIVATION_CODE_HOURS``) lets the
    member set a new one. Issuing again voids the codes issued before. Audited."""
    if not member.is_active:
        raise MemberError(f"{member.name}已离册", code="inactive")
    if member.user_id is None:
        raise MemberError(f"{member.name}尚未激活账号，无需重置密码：请本人在登录页“激活账号”", code="no_account")
    if not password_reset_allowed(by, member):
        raise MemberError("重置密码须由管理该党员所在党组织及其全部任职党组织的人员办理", code="cannot_reset")
    code = get_random_string(ACTIVATION_CODE_LENGTH, ACTIVATION_CODE_ALPHABET)
    now = timezone.now()
    hours = settings.ACTIVATION_CODE_HOURS
    with transaction.atomic():
        live = member.activation_codes.filter(
            purpose=ActivationCode.Purpose.ACTIVATE, used_at__isnull=True, voided_at__isnull=True
        )
        voided = live.update(voided_at=now)
        ActivationCode.objects.create(
            member=member,
            purpose=ActivationCode.Purpose.ACTIVATE,
            branch=None,  # vouches for nothing: a position's grant still needs its own confirmation
            code_hash=_activation_code_hash(code),
            issued_by=by,
            expires_at=now + datetime.timedelta(hours=hours),
        )
        user = member.user
        user.set_unusable_password()
        user.save(update_fields=["password"])
        ended = devices.devices_end(user=user)
        bulk_event_record(
            kind=AuditBulkEvent.Kind.ISSUE_ACTIVATION_CODE,
            counts={"voided": voided, "sessions_ended": ended},
            by=by,
            branch=member.branch,
            obj=member,
            note=f"重置密码：原密码已失效，已退出{ended}个登录设备；激活码有效期{hours}小时",
        )
    return _grouped(code)


def _usable_reset_code(member: Member, code: str) -> ActivationCode | None:
    """The member's live reset code if ``code`` is it and its issuer may still reset the account."""
    text = normalize_activation_code(code)
    if not text:
        return None
    live = (
        member.activation_codes.filter(
            purpose=ActivationCode.Purpose.ACTIVATE,
            branch__isnull=True,
            used_at__isnull=True,
            voided_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("issued_by")
        .first()
    )
    if live is None or not constant_time_compare(live.code_hash, _activation_code_hash(text)):
        return None
    if live.issued_by is None or not password_reset_allowed(live.issued_by, member):
        return None
    return live


def password_set_with_code(member: Member, *, password: str, code: str) -> Member:
    """The member (name, ID number and phone already matched by ``account_activate``) sets a new
    password with the code of the reset; the code is used once. Audited by ``account_activate``'s
    caller on refusal, here on success."""
    user = member.user
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise MemberError("；".join(exc.messages), code="weak_password", field="password") from None
    found = _usable_reset_code(member, code)
    if found is None:
        raise MemberError(NO_MATCH, code="no_match")
    user.set_password(password)
    with transaction.atomic():
        if not ActivationCode.objects.filter(pk=found.pk, used_at__isnull=True, voided_at__isnull=True).update(
            used_at=timezone.now()
        ):
            raise MemberError(NO_MATCH, code="no_match")  # used meanwhile by another request
        user.save(update_fields=["password"])
        devices.devices_end(user=user)
        _activation_audit(member=member, number="", outcome="password_reset")
    return member
