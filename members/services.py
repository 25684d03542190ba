"""Services for members: create, update, confirm, transfer, leave, positions and their grants.

Accounts (log-in look-up, activation, activation and 任职确认 codes) are ``members.accounts``;
the roster import's bulk write is ``members.services_bulk``.
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from branches import access
from branches.models import Branch
from core.errors import DomainError
from core.labels import source_label

from . import corrections, crypto
from .idnumbers import normalize_id_number, normalize_phone
from .models import Member, MemberEvent, Position
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
    member.occupation = data.occupation
    member.situation = data.situation
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


def member_confirm(*, member: Member, on: datetime.date | None = None, reason: str = "", by=None) -> Member:
    """转正: a probationary member becomes a full member.

    The 转正 date is the day the probation ends (``Member.probation_ends_on``: admission + 1 year
    + any extension; 发展党员工作细则 art. 32), and 党龄 counts from it (党章 art. 7). Another date
    ``on`` is accepted only with a ``reason``, which the history keeps.
    """
    if member.status != Member.Status.PROBATIONARY:
        raise MemberError(f"{member.name}不是预备党员", code="not_probationary")
    if not member.is_active:
        raise MemberError(f"{member.name}已离册", code="inactive")
    ends, reason = member.probation_ends_on, reason.strip()
    on = on or ends
    if on <= member.joined_on:
        raise MemberError("转正日期应晚于入党日期", code="confirmed_before_joined", field="confirmed_on")
    if on > today():
        raise MemberError(
            f"转正日期不能晚于今天（预备期于{ends:%Y年%m月%d日}期满）", code="future_date", field="confirmed_on"
        )
    if on != ends and not reason:
        raise MemberError(
            f"转正日期应为预备期期满之日（{ends:%Y年%m月%d日}）；如另有日期，请填写原因",
            code="reason_required",
            field="reason",
        )
    with transaction.atomic():
        member.status, member.confirmed_on = Member.Status.FULL, on
        member.save(update_fields=["status", "confirmed_on", "updated_at"])
        detail = "预备党员 → 正式党员" + (f"（转正日期另定：{reason}）" if on != ends else "")
        MemberEvent.objects.create(
            member=member, kind=MemberEvent.Kind.STATUS_CHANGED, occurred_on=on, detail=detail, by=by
        )
    return member


PROBATION_EXTENSION_MONTHS = (6, 12)  # at least six months, at most a year, once (发展党员工作细则 art. 32)


def member_extend_probation(*, member: Member, months: int, by=None, on: datetime.date | None = None) -> Member:
    """延长预备期 by ``months`` (6 to 12, once): the probation, and so the 转正 date, end later.

    ``on`` is the day of the decision, for the history (today when not given).
    """
    low, high = PROBATION_EXTENSION_MONTHS
    if member.status != Member.Status.PROBATIONARY or not member.is_active:
        raise MemberError(f"{member.name}不是在册的预备党员", code="not_probationary")
    if member.probation_extension_months:
        raise MemberError(
            f"{member.name}的预备期已延长过{member.probation_extension_months}个月，只能延长一次",
            code="already_extended",
            field="months",
        )
    if not isinstance(months, int) or not low <= months <= high:
        raise MemberError(f"延长预备期应为{low}至{high}个月", code="invalid_months", field="months")
    with transaction.atomic():
        member.probation_extension_months = months
        member.save(update_fields=["probation_extension_months", "updated_at"])
        MemberEvent.objects.create(
            member=member,
            kind=MemberEvent.Kind.STATUS_CHANGED,
            occurred_on=on or today(),
            detail=f"延长预备期{months}个月，预备期至{member.probation_ends_on:%Y年%m月%d日}",
            by=by,
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
        corrections.roster_change_correct(
            change=corrections.RosterChange(
                member=member,
                kind=MemberEvent.Kind.TRANSFERRED,
                on=on,
                from_branch=from_branch,
                to_branch=to_branch,
                reason="组织关系转接",
                by=by,
            )
        )
    return member


def member_leave(*, member: Member, on: datetime.date, reason: str, by=None, note: str = "") -> Member:
    """离册 for one of ``Member.LeftReason`` (死亡, 转出, 开除党籍, 除名, 退党, 取消预备党员资格, 停止党籍;
    其他 only on old rows). Never a delete: the record and its history stay."""
    if not member.is_active:
        raise MemberError(f"{member.name}已于{member.left_on:%Y年%m月%d日}离册", code="already_left")
    if reason not in Member.LeftReason.values or reason == Member.LeftReason.OTHER:
        raise MemberError("请选择离册原因", code="reason_required", field="reason")
    if reason == Member.LeftReason.PROBATION_CANCELLED and member.status != Member.Status.PROBATIONARY:
        raise MemberError(f"{member.name}不是预备党员，不能取消预备党员资格", code="not_probationary", field="reason")
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
        corrections.roster_change_correct(
            change=corrections.RosterChange(
                member=member,
                kind=MemberEvent.Kind.LEFT,
                on=on,
                from_branch=member.branch,
                to_branch=None,
                reason=source_label(Member.LeftReason, reason),
                by=by,
            )
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
    """Appoint ``member`` to ``title`` at ``branch``; committee titles grant ``manage_branch``, grid titles
    the service permissions (``Position.TITLE_GRANTS``).

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
    """Make the branch grants of the member's account match their current granting positions whose
    grant is confirmed (``Position.grant_confirmed_at``): each title's permission
    (``Position.TITLE_GRANTS``: ``manage_branch`` for committee titles, the service permissions for
    grid titles) at the position's branch; a pending one grants nothing."""
    user = member.user
    if user is None:
        return
    confirmed = member.positions.filter(
        ended_on__isnull=True, title__in=Position.GRANTING_TITLES, grant_confirmed_at__isnull=False
    )
    should = {
        (Position.TITLE_GRANTS[title], branch_id) for title, branch_id in confirmed.values_list("title", "branch_id")
    }
    pending = models.Q(ended_on__isnull=True, grant_confirmed_at__isnull=True)
    positions_branches = set(member.positions.exclude(pending).values_list("branch_id", flat=True))
    for perm in sorted(set(Position.TITLE_GRANTS.values())):
        wanted = {branch_id for p, branch_id in should if p == perm}
        held = set(access.holders_branches(user, perm))
        for branch in Branch.objects.filter(pk__in=wanted - held):
            access.grant(user, perm, branch)
        # Only revoke grants that came from positions; grants made by hand on other branches stay.
        for branch in Branch.objects.filter(pk__in=(held - wanted) & positions_branches):
            access.revoke(user, perm, branch)


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
