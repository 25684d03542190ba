"""Services for members: create, update, transfer, leave, positions, account activation."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, get_random_string, salted_hmac

from branches import access
from branches.audit import bulk_event_record
from branches.models import AuditBulkEvent, Branch
from core.errors import DomainError
from core.labels import source_label

from . import crypto
from .idnumbers import mask_id_number, normalize_id_number, normalize_phone
from .models import ActivationCode, Member, MemberEvent, Position
from .roster_io.checks import CANNOT_ENROL, LookupBudget
from .rules import MemberData, check_member, phone_locked_by, phone_locked_message


class MemberError(DomainError):
    """A refused member operation; ``problems`` lists every (field, message)."""

    def __init__(self, message: str, *, code: str, field: str | None = None, problems=None):
        super().__init__(message, code=code, field=field)
        self.problems = problems or ([(field, message)] if field else [])


def today() -> datetime.date:
    return timezone.localdate()


def _raise_problems(problems) -> None:
    if problems:
        raise MemberError("；".join(msg for _, msg in problems), code="invalid", problems=problems)


def _apply(member: Member, data: MemberData) -> None:
    member.name = data.name.strip()
    member.sex = data.sex
    member.ethnicity = data.ethnicity.strip() or "汉族"
    member.birth_date = data.birth_date
    member.education = data.education
    member.phone = data.phone
    member.branch = data.branch
    member.group = data.group
    member.household = data.household
    member.category = data.category
    member.status = data.status
    member.joined_on = data.joined_on
    member.confirmed_on = data.confirmed_on


def _duplicate_error(existing: Member | None, by) -> MemberError:
    """The number is on the roster: said plainly within ``by``'s manage scope; outside it, the same
    answer as any number that cannot be enrolled, counted against ``by``'s look-up budget."""
    if existing is not None and (by is None or access.has_perm(by, access.MANAGE, existing.branch)):
        return MemberError("该公民身份号码已在册", code="duplicate_id_number", field="id_number")
    refusal = LookupBudget(by).spend(1)
    if refusal is not None:
        return MemberError(refusal, code="lookups_exhausted", field="id_number")
    return MemberError(CANNOT_ENROL, code="duplicate_id_number", field="id_number")


def member_create(*, data: MemberData, by=None) -> Member:
    """Add a member to the roster after checking every rule (all problems at once).

    A number already on the roster outside ``by``'s manage scope is refused without saying whose
    or where (``import_checks.CANNOT_ENROL``), and counts against ``by``'s look-up budget; with that
    budget spent, nothing is created until the window ends.
    """
    data.phone = normalize_phone(data.phone)
    _raise_problems(check_member(data, today=today()))
    refusal = LookupBudget(by).exhausted()
    if refusal is not None:
        raise MemberError(refusal, code="lookups_exhausted", field="id_number")
    with transaction.atomic():
        existing = Member.objects.with_id_number(data.id_number).select_related("branch").first()
        if existing is not None:
            raise _duplicate_error(existing, by)
        member = Member()
        member.set_id_number(data.id_number)
        _apply(member, data)
        try:
            with transaction.atomic():
                member.save()
        except IntegrityError:  # created meanwhile by someone else, maybe outside ``by``'s scope
            raise _duplicate_error(None, by) from None
        MemberEvent.objects.create(
            member=member, kind=MemberEvent.Kind.CREATED, occurred_on=today(), to_branch=member.branch, by=by
        )
    return member


def member_update(*, member: Member, data: MemberData, by=None) -> Member:
    """Edit a member's details. The branch is changed only by ``member_transfer``."""
    if data.branch is not None and data.branch.pk != member.branch_id:
        raise MemberError("更换党组织须办理组织关系转接", code="needs_transfer", field="branch")
    data.branch = member.branch
    data.phone = normalize_phone(data.phone)
    _raise_problems(check_member(data, today=today()))
    if crypto.digest(normalize_id_number(data.id_number)) != member.id_number_digest:
        raise MemberError("公民身份号码不能修改；如有错误请离册后重新建档", code="id_number_changed", field="id_number")
    if by is not None and data.phone != member.phone:
        _check_contact_change(member=member, by=by)
    old_status = member.status
    with transaction.atomic():
        _apply(member, data)
        member.save()
        MemberEvent.objects.create(member=member, kind=MemberEvent.Kind.UPDATED, occurred_on=today(), by=by)
        if old_status != member.status:
            MemberEvent.objects.create(
                member=member,
                kind=MemberEvent.Kind.STATUS_CHANGED,
                occurred_on=member.confirmed_on or today(),
                detail=f"{source_label(Member.Status, old_status)} → {source_label(Member.Status, member.status)}",
                by=by,
            )
    return member


def _check_contact_change(*, member: Member, by) -> None:
    """The rule of ``rules.phone_locked_by``: a phone locked by a position above ``by``'s scope."""
    locked = phone_locked_by([member.pk], access.path_test(by, access.MANAGE)).get(member.pk)
    if locked:
        raise MemberError(phone_locked_message(member.name, locked), code="contact_beyond_scope", field="phone")


def member_confirm(*, member: Member, on: datetime.date, by=None) -> Member:
    """转正: a probationary member becomes a full member on ``on``."""
    if member.status != Member.Status.PROBATIONARY:
        raise MemberError(f"{member.name}不是预备党员", code="not_probationary")
    if on <= member.joined_on:
        raise MemberError("转正日期应晚于入党日期", code="confirmed_before_joined", field="confirmed_on")
    with transaction.atomic():
        member.status, member.confirmed_on = Member.Status.FULL, on
        member.save(update_fields=["status", "confirmed_on", "updated_at"])
        MemberEvent.objects.create(
            member=member, kind=MemberEvent.Kind.STATUS_CHANGED, occurred_on=on, detail="预备党员 → 正式党员", by=by
        )
    return member


def member_transfer(
    *, member: Member, to_branch: Branch, on: datetime.date, by=None, group: Branch | None = None, note: str = ""
) -> Member:
    """组织关系转接: move a member to another branch, keeping the history."""
    if not member.is_active:
        raise MemberError(f"{member.name}已离册，不能转接", code="inactive")
    if to_branch.pk == member.branch_id:
        raise MemberError("转入组织与当前组织相同", code="same_branch", field="to_branch")
    if to_branch.kind not in Branch.MEMBER_HOME_KINDS or to_branch.is_dissolved:
        raise MemberError(f"“{to_branch.name}”不能接收党员（须为未撤销的党支部或党总支）", code="invalid_target")
    if group is not None and (group.kind != Branch.Kind.GROUP or not group.path.startswith(to_branch.path)):
        raise MemberError(f"“{group.name}”不是“{to_branch.name}”下的党小组", code="invalid_group", field="group")
    if on > today():
        raise MemberError("转接日期不能晚于今天", code="future_date", field="on")
    with transaction.atomic():
        from_branch = member.branch
        member.branch, member.group, member.household = to_branch, group, None
        member.save(update_fields=["branch", "group", "household", "updated_at"])
        for position in member.positions.filter(ended_on__isnull=True):
            position_end(position=position, on=on, by=by)
        MemberEvent.objects.create(
            member=member,
            kind=MemberEvent.Kind.TRANSFERRED,
            occurred_on=on,
            from_branch=from_branch,
            to_branch=to_branch,
            detail=note,
            by=by,
        )
    return member


def member_leave(*, member: Member, on: datetime.date, reason: str, by=None, note: str = "") -> Member:
    """离册 (death, expulsion, transfer out of the system…). Never a delete: the record stays."""
    if not member.is_active:
        raise MemberError(f"{member.name}已于{member.left_on:%Y年%m月%d日}离册", code="already_left")
    if reason not in Member.LeftReason.values:
        raise MemberError("请选择离册原因", code="reason_required", field="reason")
    if on > today():
        raise MemberError("离册日期不能晚于今天", code="future_date", field="on")
    with transaction.atomic():
        member.is_active, member.left_on, member.left_reason = False, on, reason
        member.save(update_fields=["is_active", "left_on", "left_reason", "updated_at"])
        if member.user is not None:
            account_close(member.user)
        for position in member.positions.filter(ended_on__isnull=True):
            position_end(position=position, on=on, by=by)
        detail = source_label(Member.LeftReason, reason) + (f"：{note}" if note else "")
        MemberEvent.objects.create(
            member=member, kind=MemberEvent.Kind.LEFT, occurred_on=on, from_branch=member.branch, detail=detail, by=by
        )
    return member


def account_close(user) -> None:
    """End the access of a member's account: it cannot log in (under any name: ``m<pk>``, phone or ID
    number), and every open session ends on its next request, with sessions in the database or in
    Redis alike: the password hash changes, so Django's ``get_user`` no longer accepts the session's
    auth hash (and the inactive user is not loaded at all)."""
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["is_active", "password"])
    access.forget(user)


def position_appoint(*, member: Member, branch: Branch, title: str, on: datetime.date, by=None) -> Position:
    """Appoint ``member`` to ``title`` at ``branch``; committee titles grant ``manage_branch``.

    The grant attaches to the member's account at once only if the account is vouched for at
    ``branch`` (``position_grant_vouched``); otherwise it waits until the member enters a 任职确认码
    issued by someone who manages ``branch`` (``position_code_issue``, ``position_grant_confirm``).
    """
    if not member.is_active:
        raise MemberError(f"{member.name}已离册", code="inactive")
    if title not in Position.Title.values:
        raise MemberError("未知职务", code="unknown_title", field="title")
    if branch.is_dissolved:
        raise MemberError(f"“{branch.name}”已撤销，不能任命职务", code="branch_dissolved", field="branch")
    if on > today():
        raise MemberError("任职日期不能晚于今天", code="future_date", field="on")
    if not member.branch.path.startswith(branch.path) and not branch.path.startswith(member.branch.path):
        raise MemberError(f"{member.name}不属于“{branch.name}”", code="not_in_branch", field="member")
    if (
        title == Position.Title.SECRETARY
        and Position.objects.filter(branch=branch, title=title, ended_on__isnull=True).exists()
    ):
        raise MemberError(f"“{branch.name}”已有在任书记，请先办理离任", code="secretary_exists", field="title")
    with transaction.atomic():
        confirmed = timezone.now() if position_grant_vouched(member=member, branch=branch) else None
        position = Position.objects.create(
            member=member, branch=branch, title=title, started_on=on, grant_confirmed_at=confirmed
        )
        MemberEvent.objects.create(
            member=member,
            kind=MemberEvent.Kind.POSITION,
            occurred_on=on,
            to_branch=branch,
            detail=f"任{branch.name}{source_label(Position.Title, position.title)}",
            by=by,
        )
        position_sync_grants(member=member)
    return position


def position_end(*, position: Position, on: datetime.date, by=None) -> Position:
    if position.ended_on is not None:
        raise MemberError("该职务已离任", code="already_ended")
    if on < position.started_on:
        raise MemberError("离任日期不能早于任职日期", code="ended_before_started", field="on")
    with transaction.atomic():
        position.ended_on = on
        position.save(update_fields=["ended_on"])
        MemberEvent.objects.create(
            member=position.member,
            kind=MemberEvent.Kind.POSITION,
            occurred_on=on,
            from_branch=position.branch,
            detail=f"免去{position.branch.name}{source_label(Position.Title, position.title)}",
            by=by,
        )
        position_sync_grants(member=position.member)
    return position


def position_sync_grants(*, member: Member) -> None:
    """Make ``manage_branch`` grants of the member's account match their current committee positions
    whose grant is confirmed (``Position.grant_confirmed_at``); a pending one grants nothing."""
    user = member.user
    if user is None:
        return
    should = set(
        Branch.objects.filter(
            positions__member=member,
            positions__ended_on__isnull=True,
            positions__title__in=Position.MANAGING_TITLES,
            positions__grant_confirmed_at__isnull=False,
        ).values_list("pk", flat=True)
    )
    pending = models.Q(ended_on__isnull=True, grant_confirmed_at__isnull=True)
    positions_branches = set(member.positions.exclude(pending).values_list("branch_id", flat=True))
    held = set(access.holders_branches(user, access.MANAGE))
    for branch in Branch.objects.filter(pk__in=should - held):
        access.grant(user, access.MANAGE, branch)
    # Only revoke grants that came from positions; grants made by hand on other branches stay.
    for branch in Branch.objects.filter(pk__in=(held - should) & positions_branches):
        access.revoke(user, access.MANAGE, branch)


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
    """The member's current positions that grant ``manage_branch`` (``Position.MANAGING_TITLES``)."""
    current = member.positions.filter(ended_on__isnull=True, title__in=Position.MANAGING_TITLES)
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
        raise MemberError(f"{member.name}未担任支委及以上职务，激活账号无需激活码", code="code_not_needed")
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


def _activation_audit(*, member: Member | None, number: str, outcome: str) -> None:
    """One ``AuditBulkEvent`` per activation attempt: the member (if found), the account, when, the IP."""
    note = "成功" if outcome == "activated" else f"拒绝：{outcome}"
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

    Every attempt, refused or not, is audited. Concurrent activations of one member give one account:
    the member's row is locked, and the others are answered "already active".
    """
    number = normalize_id_number(id_number)
    member = Member.objects.with_id_number(number).filter(is_active=True).select_related("branch").first()
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
        raise MemberError(ALREADY_ACTIVE, code="already_active")
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

POSITION_CODE_REFUSED = "任职确认码无效、已过期或已使用，请联系签发人重新签发"


def pending_grants(member: Member) -> list[Position]:
    """The member's current managing positions whose grant waits for the holder's confirmation
    (none for a member without an account: activating needs a code, which confirms them)."""
    if member.user_id is None:
        return []
    current = member.positions.filter(
        ended_on__isnull=True, title__in=Position.MANAGING_TITLES, grant_confirmed_at__isnull=True
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


def position_grant_vouched(*, member: Member, branch: Branch) -> bool:
    """Whether the member's account is vouched for at ``branch``: it already manages ``branch``, or
    it was activated or confirmed with a code whose vouched subtree holds ``branch``."""
    user = member.user
    if user is None:
        return False
    if access.has_perm(user, access.MANAGE, branch):
        return True
    used = member.activation_codes.filter(used_at__isnull=False, branch__isnull=False)
    return any(branch.path.startswith(path) for path in used.values_list("branch__path", flat=True))


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
