"""Members' accounts: finding a member to log in, activating an account, and the one-time codes.

An 激活码 lets a member holding a managing position activate their account; a 任职确认码 lets a
member who already has an account receive the grant of a new managing position. Both are issued
by someone who manages the position's branch, stored only as a keyed hash, and audited. A "managing"
position here is any that grants a permission (``Position.GRANTING_TITLES``): committee titles
(``manage_branch``) and grid titles (网格长, 网格员: the community's service requests).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, get_random_string, salted_hmac

from branches import access
from branches.audit import bulk_event_record
from branches.models import AuditBulkEvent, Branch
from core.labels import source_label

from . import crypto
from .idnumbers import mask_id_number, normalize_id_number, normalize_phone
from .models import ActivationCode, Member, MemberEvent, Position
from .services import MemberError, position_sync_grants


def looks_like_login_number(identifier: str) -> bool:
    """Whether ``identifier`` is read as a phone number or an ID number (``find_member_for_login``)."""
    phone = normalize_phone(identifier)
    return (phone.isdigit() and len(phone) == 11) or len(normalize_id_number(identifier)) == 18


def find_member_for_login(identifier: str) -> Member | None:
    """The active member whose phone number or ID number is ``identifier``."""
    phone = normalize_phone(identifier)
    if phone.isdigit() and len(phone) == 11:
        return Member.objects.filter(phone=phone, is_active=True, user__isnull=False).select_related("user").first()
    number = normalize_id_number(identifier)
    if len(number) == 18:
        return Member.objects.with_id_number(number).filter(is_active=True).select_related("user").first()
    return None


def may_stay_logged_in(user) -> bool:
    """Whether "在这台手机上保持登录" keeps ``user``'s session ``REMEMBER_PHONE_DAYS``: members, and
    accounts with a branch grant (secretaries, organization departments, whose lost phone would open
    a roster, and grid heads and grid workers, whose would open residents' requests) only with
    ``REMEMBER_PHONE_STAFF`` (docs/SECURITY.md, "Remembered phones")."""
    return settings.REMEMBER_PHONE_STAFF or not access.holds_any_grant(user)


# One answer for every detail that does not match, the code included: the page tells nothing
# about which one was wrong, nor whether the member holds a position.
NO_MATCH = "姓名、公民身份号码、手机号码或激活码与花名册不一致，请核对或联系支部书记"
ALREADY_ACTIVE = "该党员已激活账号，请直接登录"
# 12 characters of 32 (no 0/O, 1/I): 60 bits, beyond guessing even without the activation limiter.
ACTIVATION_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ACTIVATION_CODE_LENGTH = 12


def _activation_code_hash(code: str) -> str:
    return salted_hmac("members.ActivationCode", code, algorithm="sha256").hexdigest()


def normalize_activation_code(text: str) -> str:
    """The code as issued, whatever the case, spaces and dashes typed."""
    return "".join(ch for ch in (text or "").upper() if ch.isascii() and ch.isalnum())


def managing_positions(member: Member) -> list[Position]:
    """The member's current positions that grant a permission (``Position.GRANTING_TITLES``: committee
    titles, and grid titles, which grant the service permissions)."""
    current = member.positions.filter(ended_on__isnull=True, title__in=Position.GRANTING_TITLES)
    return list(current.select_related("branch"))


def can_issue_activation_code(user, positions: list[Position]) -> bool:
    """Whether ``user`` manages the branch of each of ``positions``: all of them lie on the path
    through the member's branch, so this is managing the highest of them."""
    return bool(positions) and all(access.has_perm(user, access.MANAGE, p.branch) for p in positions)


def activation_code_issuable(user, member: Member) -> bool:
    """Whether the member page offers ``user`` to issue the member's activation code."""
    if not member.is_active or member.user_id is not None:
        return False
    return can_issue_activation_code(user, managing_positions(member))


def activation_code_issue(*, member: Member, by) -> str:
    """Issue the one-time code a member holding a managing position needs to activate their account.

    The code is returned to be shown once to ``by``; only its keyed hash is stored. Issuing again
    voids the codes issued before. Audited (``AuditBulkEvent`` ``issue_activation_code``).
    """
    if not member.is_active:
        raise MemberError(f"{member.name}已离册", code="inactive")
    if member.user_id is not None:
        raise MemberError(f"{member.name}已激活账号，无需激活码", code="already_active")
    positions = managing_positions(member)
    if not positions:
        raise MemberError(
            f"{member.name}未担任支委及以上职务或网格长、网格员，激活账号无需激活码", code="code_not_needed"
        )
    if not can_issue_activation_code(by, positions):
        raise MemberError("激活码只能由管理该党员任职党组织的人员签发", code="cannot_issue")
    code = get_random_string(ACTIVATION_CODE_LENGTH, ACTIVATION_CODE_ALPHABET)
    now = timezone.now()
    with transaction.atomic():
        live = member.activation_codes.filter(
            purpose=ActivationCode.Purpose.ACTIVATE, used_at__isnull=True, voided_at__isnull=True
        )
        voided = live.update(voided_at=now)
        ActivationCode.objects.create(
            member=member,
            purpose=ActivationCode.Purpose.ACTIVATE,
            branch=_vouch_branch(member, by),
            code_hash=_activation_code_hash(code),
            issued_by=by,
            expires_at=now + datetime.timedelta(hours=settings.ACTIVATION_CODE_HOURS),
        )
        bulk_event_record(
            kind=AuditBulkEvent.Kind.ISSUE_ACTIVATION_CODE,
            counts={"voided": voided},
            by=by,
            branch=member.branch,
            obj=member,
            note=f"有效期{settings.ACTIVATION_CODE_HOURS}小时",
        )
    return _grouped(code)


def _grouped(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _usable_activation_code(member: Member, code: str, positions: list[Position]) -> ActivationCode | None:
    """The member's live code if ``code`` is it and its issuer still manages every position's branch."""
    text = normalize_activation_code(code)
    if not text:
        return None
    live = (
        member.activation_codes.filter(
            purpose=ActivationCode.Purpose.ACTIVATE,
            used_at__isnull=True,
            voided_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("issued_by")
        .first()
    )
    if live is None or not constant_time_compare(live.code_hash, _activation_code_hash(text)):
        return None
    if live.issued_by is None or not can_issue_activation_code(live.issued_by, positions):
        return None
    return live


SUCCESS_NOTES = {"activated": "成功", "password_reset": "成功：凭激活码设置新密码（密码已被重置）"}


def _activation_audit(*, member: Member | None, number: str, outcome: str) -> None:
    """One ``AuditBulkEvent`` per activation attempt: the member (if found), the account, when, the IP."""
    note = SUCCESS_NOTES.get(outcome, f"拒绝：{outcome}")
    if member is None and len(number) == 18:
        # Which number was tried, as the log-in lockout records it: masked, with a keyed digest.
        note += f"（{mask_id_number(number)}#{crypto.digest(number)[:8]}）"
    bulk_event_record(
        kind=AuditBulkEvent.Kind.ACTIVATE_ACCOUNT,
        counts={},
        by=member.user if member is not None else None,
        branch=member.branch if member is not None else None,
        obj=member,
        note=note,
    )


def account_activate(*, name: str, id_number: str, phone: str, password: str, code: str = "") -> Member:
    """A member claims their account: name, ID number and phone must match the roster, and a member
    holding a managing position must also give a live activation code (``activation_code_issue``).
    A member whose password a secretary reset sets a new one the same way, with the code of the reset
    (members/password_reset.py ``password_set_with_code``).

    Every attempt, refused or not, is audited. Concurrent activations of one member give one account:
    the member's row is locked, and the others are answered "already active".
    """
    number = normalize_id_number(id_number)
    member = Member.objects.with_id_number(number).filter(is_active=True).select_related("branch", "user").first()
    try:
        member = _activate(member, name=name, phone=phone, password=password, code=code)
    except MemberError as exc:
        _activation_audit(member=member, number=number, outcome=exc.code)
        raise
    return member


def _activate(member: Member | None, *, name: str, phone: str, password: str, code: str) -> Member:
    if member is None or member.name != name.strip() or member.phone != normalize_phone(phone):
        raise MemberError(NO_MATCH, code="no_match")
    if member.user_id is not None:
        if member.user.has_usable_password():
            raise MemberError(ALREADY_ACTIVE, code="already_active")
        from .password_reset import password_set_with_code  # it builds on this module

        return password_set_with_code(member, password=password, code=code)
    User = get_user_model()
    user = User(username=f"m{member.pk}", first_name=member.name)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise MemberError("；".join(exc.messages), code="weak_password", field="password") from None
    positions = managing_positions(member)
    activation_code = _usable_activation_code(member, code, positions) if positions else None
    if positions and activation_code is None:
        raise MemberError(NO_MATCH, code="no_match")
    user.set_password(password)  # hashed before the row is locked
    try:
        with transaction.atomic():
            locked = Member.objects.select_for_update().select_related("branch").get(pk=member.pk)
            if locked.user_id is not None:
                raise MemberError(ALREADY_ACTIVE, code="already_active")
            if activation_code is not None:
                used = ActivationCode.objects.filter(
                    pk=activation_code.pk, used_at__isnull=True, voided_at__isnull=True
                )
                if not used.update(used_at=timezone.now()):
                    raise MemberError(NO_MATCH, code="no_match")
            user.save()
            locked.user = user
            locked.save(update_fields=["user", "updated_at"])
            if activation_code is not None:
                # The issuer manages the branch of every managing position (checked above): the
                # account is vouched for, and those positions' grants attach now.
                locked.positions.filter(ended_on__isnull=True, grant_confirmed_at__isnull=True).update(
                    grant_confirmed_at=timezone.now()
                )
            position_sync_grants(member=locked)
            _activation_audit(member=locked, number="", outcome="activated")
    except IntegrityError:
        # Another request activated the same member in between (the username ``m<pk>`` is unique).
        raise MemberError(ALREADY_ACTIVE, code="already_active") from None
    return locked


# --- 任职确认码: a position's grant attaches once someone who manages its branch vouched -------
#
# Whoever activated a member's account without a code (a member with no committee position needs
# none) may be the member's secretary, not the member. So a committee position given to a member
# who already has an account grants ``manage_branch`` only when the account is vouched for at the
# position's branch: by a code (activation or confirmation) issued by a manager of that branch or
# of an ancestor, and used by the account; or because the account already manages the branch.
# Grid titles follow the same rule for the service permissions they grant (``Position.TITLE_GRANTS``).

POSITION_CODE_REFUSED = "任职确认码无效、已过期或已使用，请联系签发人重新签发"


def pending_grants(member: Member) -> list[Position]:
    """The member's current granting positions whose grant waits for the holder's confirmation
    (none for a member without an account: activating needs a code, which confirms them)."""
    if member.user_id is None:
        return []
    current = member.positions.filter(
        ended_on__isnull=True, title__in=Position.GRANTING_TITLES, grant_confirmed_at__isnull=True
    )
    return list(current.select_related("branch").order_by("branch__path", "pk"))


def _vouch_branch(member: Member, by) -> Branch | None:
    """The highest branch on the member's path (their branch's ancestors, and the branches of their
    positions) that ``by`` manages: the subtree a code issued by ``by`` vouches for."""
    paths = set(member.branch.ancestor_paths()) | set(
        member.positions.filter(ended_on__isnull=True).values_list("branch__path", flat=True)
    )
    for branch in Branch.objects.filter(path__in=paths).order_by("depth", "path"):
        if access.has_perm(by, access.MANAGE, branch):
            return branch
    return None


def position_code_issuable(user, member: Member) -> bool:
    """Whether the member page offers ``user`` to issue a 任职确认码: the member has an account and a
    pending position at a branch ``user`` manages."""
    if not member.is_active or member.user_id is None:
        return False
    return any(access.has_perm(user, access.MANAGE, p.branch) for p in pending_grants(member))


def position_code_issue(*, member: Member, by) -> str:
    """Issue a 任职确认码 for the pending positions of ``member`` that ``by`` vouches for.

    Shown once to ``by``, who hands it to the member in person; only its keyed hash is stored. It
    vouches for the subtree of the highest branch of the member's path that ``by`` manages
    (``_vouch_branch``), and voids the live confirmation codes whose subtree lies within it. Audited
    (``AuditBulkEvent`` ``issue_position_code``).
    """
    if not member.is_active:
        raise MemberError(f"{member.name}已离册", code="inactive")
    if member.user_id is None:
        raise MemberError(f"{member.name}尚未激活账号，激活时须使用账号激活码", code="no_account")
    pending = pending_grants(member)
    if not pending:
        raise MemberError(f"{member.name}没有待确认的任职权限", code="nothing_pending")
    if not any(access.has_perm(by, access.MANAGE, p.branch) for p in pending):
        raise MemberError("任职确认码只能由管理该职务所在党组织的人员签发", code="cannot_issue")
    branch = _vouch_branch(member, by)
    code = get_random_string(ACTIVATION_CODE_LENGTH, ACTIVATION_CODE_ALPHABET)
    now = timezone.now()
    with transaction.atomic():
        voided = member.activation_codes.filter(
            purpose=ActivationCode.Purpose.CONFIRM,
            used_at__isnull=True,
            voided_at__isnull=True,
            branch__path__startswith=branch.path,
        ).update(voided_at=now)
        ActivationCode.objects.create(
            member=member,
            purpose=ActivationCode.Purpose.CONFIRM,
            branch=branch,
            code_hash=_activation_code_hash(code),
            issued_by=by,
            expires_at=now + datetime.timedelta(hours=settings.ACTIVATION_CODE_HOURS),
        )
        covered = [p for p in pending if p.branch.path.startswith(branch.path)]
        bulk_event_record(
            kind=AuditBulkEvent.Kind.ISSUE_POSITION_CODE,
            counts={"voided": voided, "positions": len(covered)},
            by=by,
            branch=member.branch,
            obj=member,
            note=f"担保范围：{branch.name}；有效期{settings.ACTIVATION_CODE_HOURS}小时",
        )
    return _grouped(code)


def _position_code_audit(*, member: Member, outcome: str, confirmed: list[Position]) -> None:
    note = "成功：" + "、".join(f"{p.branch.name}{p.get_title_display()}" for p in confirmed)
    bulk_event_record(
        kind=AuditBulkEvent.Kind.CONFIRM_POSITION,
        counts={"confirmed": len(confirmed)},
        by=member.user,
        branch=member.branch,
        obj=member,
        note=note[:255] if outcome == "confirmed" else f"拒绝：{outcome}",
    )


def position_grant_confirm(*, member: Member, code: str) -> list[Position]:
    """The member (logged in to their own account) enters a 任职确认码: its pending positions within
    the code's vouched subtree get their grant, and the account stays vouched there.

    A code of another member, a wrong, expired, voided or used one, or one whose issuer no longer
    manages its subtree changes nothing and gets one answer (``POSITION_CODE_REFUSED``). Every
    attempt is audited (``AuditBulkEvent`` ``confirm_position``, with the account and the IP).
    """
    try:
        confirmed = _confirm(member, code)
    except MemberError as exc:
        _position_code_audit(member=member, outcome=exc.code, confirmed=[])
        raise
    return confirmed


def _confirm(member: Member, code: str) -> list[Position]:
    if not member.is_active or member.user_id is None:
        raise MemberError(POSITION_CODE_REFUSED, code="no_match")
    if not pending_grants(member):
        raise MemberError("您没有待确认的任职权限", code="nothing_pending")
    text = normalize_activation_code(code)
    now = timezone.now()
    live = member.activation_codes.filter(
        purpose=ActivationCode.Purpose.CONFIRM,
        code_hash=_activation_code_hash(text),
        used_at__isnull=True,
        voided_at__isnull=True,
        expires_at__gt=now,
        branch__isnull=False,
    ).select_related("issued_by", "branch")
    found = live.first() if text else None
    if found is None or found.issued_by is None or not access.has_perm(found.issued_by, access.MANAGE, found.branch):
        raise MemberError(POSITION_CODE_REFUSED, code="no_match")
    with transaction.atomic():
        if not ActivationCode.objects.filter(pk=found.pk, used_at__isnull=True).update(used_at=now):
            raise MemberError(POSITION_CODE_REFUSED, code="no_match")  # used meanwhile by another request
        confirmed = [p for p in pending_grants(member) if p.branch.path.startswith(found.branch.path)]
        for position in confirmed:
            position.grant_confirmed_at = now
            position.save(update_fields=["grant_confirmed_at"])  # django-auditlog: who, when, the IP
            MemberEvent.objects.create(
                member=member,
                kind=MemberEvent.Kind.POSITION,
                occurred_on=timezone.localdate(),
                to_branch=position.branch,
                detail=f"本人确认{position.branch.name}{source_label(Position.Title, position.title)}任职权限",
                by=member.user,
            )
        position_sync_grants(member=member)
        _position_code_audit(member=member, outcome="confirmed", confirmed=confirmed)
    return confirmed
