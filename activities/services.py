"""Services for activities: plan, update, hold, cancel; attendance; meeting rules.

Every service takes ``by`` (the acting user) and records it. Permission checks belong to the
caller (views go through ``branches.access``); these functions enforce the domain rules and
raise ``ActivityError`` with a stable ``code``. Check-in is ``activities.checkin`` (its tokens
``activities.tokens``). Leave requests are ``activities.leave``; the quorum, resolutions and
files, the meeting's record, are ``activities.records``. Callers import each from its home module.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from auditlog.context import disable_auditlog
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from branches.audit import bulk_event_record
from branches.models import AuditBulkEvent, Branch
from core.labels import source_choices, source_label
from members.models import Member

from .checkin import MESSAGES, REASON_MAX_LENGTH, needs_reason, secretary_may_record_present
from .errors import ActivityError
from .expected import computed_expected_members, expected_members
from .models import Activity, ActivityExtraKind, Attendance, MeetingRule
from .tokens import new_fixed_secret

__all__ = [
    "activity_cancel",
    "activity_create",
    "activity_fixed_qr_set",
    "activity_hold",
    "activity_record_minutes",
    "activity_sign_up",
    "activity_update",
    "attendance_add",
    "attendance_bulk_record",
    "attendance_set_hours",
    "meeting_rule_set",
]

# Audit trails are written in Chinese whatever the reader's language (labels are lazy translations).
_ACTIVITY_STATUS_LABELS = dict(source_choices(Activity.Status))
_ATTENDANCE_STATUS_LABELS = dict(source_choices(Attendance.Status))

EDITABLE_FIELDS = {
    "title",
    "starts_at",
    "ends_at",
    "place",
    "host",
    "recorder",
    "agenda",
    "minutes",
    "checkin_opens_at",
    "checkin_closes_at",
    "speaker",
    "study_hours",
    "extra_kinds",
}
# Fields that may still change once the activity is held (the record of what happened).

EDITABLE_WHEN_HELD = {
    "title",
    "place",
    "host",
    "recorder",
    "agenda",
    "minutes",
    "speaker",
    "study_hours",
    "extra_kinds",
}
MAX_STUDY_HOURS = Decimal("99.9")  # the column's limit; a multi-day training is entered as one activity


# --- activities -------------------------------------------------------------------------


def _check_kind_at_branch(kind: str, branch: Branch) -> None:
    if kind not in Activity.Kind.values:
        raise ActivityError("未知的活动类型", code="unknown_kind", field="kind")
    if branch.is_dissolved:
        raise ActivityError(f"“{branch.name}”已撤销", code="branch_dissolved", field="branch")
    if kind == Activity.Kind.GROUP_MEETING and branch.kind != Branch.Kind.GROUP:
        raise ActivityError("党小组会应由党小组召开", code="kind_not_allowed", field="kind")
    if kind == Activity.Kind.COMMITTEE_MEETING and branch.kind in (Branch.Kind.GROUP, Branch.Kind.HOUSEHOLD):
        raise ActivityError(
            f"{source_label(Branch.Kind, branch.kind)}不召开支委会", code="kind_not_allowed", field="kind"
        )


def _clean_extra_kinds(activity: Activity, kinds) -> list[str]:
    """The kinds an activity also counts as: known kinds allowed at its branch, not its own kind."""
    chosen = sorted(set(kinds or ()))
    for kind in chosen:
        if kind == activity.kind:
            raise ActivityError("“同时计为”不能包含活动本身的类型", code="extra_kind_is_main", field="extra_kinds")
        try:
            _check_kind_at_branch(kind, activity.branch)
        except ActivityError as exc:
            raise ActivityError(f"同时计为：{exc.message}", code=exc.code, field="extra_kinds") from None
    return chosen


def _set_extra_kinds(activity: Activity, kinds: list[str]) -> None:
    """Replace the activity's extra kinds; row by row so that django-auditlog records each change."""
    current = {row.kind: row for row in ActivityExtraKind.objects.filter(activity=activity)}
    for kind, row in current.items():
        if kind not in kinds:
            row.delete()
    for kind in kinds:
        if kind not in current:
            ActivityExtraKind.objects.create(activity=activity, kind=kind)


def _check_fields(activity: Activity) -> None:
    if not activity.title.strip():
        raise ActivityError("主题不能为空", code="title_required", field="title")
    if activity.starts_at is None or activity.ends_at is None:
        raise ActivityError("请填写开始和结束时间", code="times_required", field="starts_at")
    if activity.ends_at <= activity.starts_at:
        raise ActivityError("结束时间应晚于开始时间", code="ends_before_start", field="ends_at")
    if activity.checkin_opens >= activity.checkin_closes:
        raise ActivityError("签到截止时间应晚于签到开始时间", code="checkin_window_invalid", field="checkin_closes_at")
    for field in ("host", "recorder", "speaker"):
        person = getattr(activity, field)
        if person is not None and not person.is_active:
            raise ActivityError(f"{person.name}已离册", code="inactive_member", field=field)
    hours = activity.study_hours
    if hours is not None and not Decimal("0") < hours <= MAX_STUDY_HOURS:
        raise ActivityError(f"学时应大于 0 且不超过 {MAX_STUDY_HOURS}", code="invalid_study_hours", field="study_hours")
    if activity.minutes.strip() and not activity.is_held and timezone.now() < activity.starts_at:
        raise ActivityError("活动开始后才能填写会议记录", code="not_started", field="minutes")


def activity_create(
    *,
    branch: Branch,
    kind: str,
    title: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    by,
    place: str = "",
    host: Member | None = None,
    recorder: Member | None = None,
    agenda: str = "",
    checkin_opens_at: datetime.datetime | None = None,
    checkin_closes_at: datetime.datetime | None = None,
    speaker: Member | None = None,
    study_hours: Decimal | None = None,
    extra_kinds=(),
) -> Activity:
    """Plan an activity of ``branch`` (any node; a 党小组会 only at a group).

    ``extra_kinds``: other kinds it also counts as (a 主题党日 that includes a 党课).
    """
    _check_kind_at_branch(kind, branch)
    activity = Activity(
        branch=branch,
        kind=kind,
        title=title.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        place=place.strip(),
        host=host,
        recorder=recorder,
        agenda=agenda,
        checkin_opens_at=checkin_opens_at,
        checkin_closes_at=checkin_closes_at,
        speaker=speaker,
        study_hours=study_hours,
        created_by=by,
        updated_by=by,
    )
    _check_fields(activity)
    extra = _clean_extra_kinds(activity, extra_kinds)
    with transaction.atomic():
        activity.save()
        _set_extra_kinds(activity, extra)
    return activity


def require_not_cancelled(activity: Activity) -> None:
    if activity.is_cancelled:
        raise ActivityError("活动已取消", code="cancelled")


def activity_update(*, activity: Activity, by, **changes) -> Activity:
    """Edit an activity. Kind and branch never change; times only before it is held."""
    require_not_cancelled(activity)
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ActivityError("不能修改：" + "、".join(sorted(unknown)), code="not_editable")
    if activity.is_held and set(changes) - EDITABLE_WHEN_HELD:
        raise ActivityError("活动已召开，时间不能再修改", code="held_times_locked")
    extra = _clean_extra_kinds(activity, changes.pop("extra_kinds")) if "extra_kinds" in changes else None
    for field, value in changes.items():
        setattr(activity, field, value.strip() if field in ("title", "place") else value)
    _check_fields(activity)
    activity.updated_by = by
    with transaction.atomic():
        activity.save(update_fields=[*changes, "updated_by", "updated_at"])
        if extra is not None:
            _set_extra_kinds(activity, extra)
    return activity


def activity_record_minutes(*, activity: Activity, minutes: str, by) -> Activity:
    """会议记录: the minutes, written once the meeting has started (``not_started`` before)."""
    return activity_update(activity=activity, minutes=minutes, by=by)


def activity_cancel(*, activity: Activity, by, reason: str = "") -> Activity:
    """Cancel a planned activity; its attendance and leave requests stay for the record."""
    fields = ["status", "cancelled_at", "cancelled_by", "cancel_reason", "updated_by", "updated_at"]
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        if locked.status != Activity.Status.PLANNED:
            raise ActivityError(f"活动{source_label(Activity.Status, locked.status)}，不能取消", code="not_planned")
        locked.status = Activity.Status.CANCELLED
        locked.cancelled_at, locked.cancelled_by, locked.cancel_reason = timezone.now(), by, reason.strip()[:200]
        locked.updated_by = by
        locked.save(update_fields=fields)
    _copy(locked, activity, fields)
    return activity


def _copy(source: Activity, target: Activity, fields: list[str]) -> None:
    """Keep the caller's instance in step with the row a service locked and changed."""
    for name in fields:
        setattr(target, name, getattr(source, name))


def activity_hold(*, activity: Activity, by, now: datetime.datetime | None = None) -> Activity:
    """Mark the activity held: freeze the expected list and mark absentees.

    Set-based: one read of the computed list, one bulk insert of the absent rows, a few
    updates. Everyone expected and neither present nor on approved leave becomes absent,
    as do sign-ups of an open activity who did not come.
    """
    now = now or timezone.now()
    fields = ["status", "held_at", "held_by", "updated_by", "updated_at"]
    with transaction.atomic():
        locked = Activity.objects.select_for_update(of=("self",)).select_related("branch").get(pk=activity.pk)
        if locked.status != Activity.Status.PLANNED:
            raise ActivityError(
                f"活动{source_label(Activity.Status, locked.status)}，不能再标记召开", code="not_planned"
            )
        if now < locked.starts_at:
            raise ActivityError("活动尚未开始，不能标记为已召开", code="not_started")
        frozen = _freeze_expected(locked, by=by, now=now) if locked.has_expected_list else 0
        rows = Attendance.objects.filter(activity=locked)
        absent = rows.filter(status=Attendance.Status.EXPECTED).update(
            status=Attendance.Status.ABSENT, recorded_by=by, updated_at=now
        )
        rows.update(full_member=Exists(Member.objects.filter(pk=OuterRef("member_id"), status=Member.Status.FULL)))
        locked.status, locked.held_at, locked.held_by, locked.updated_by = Activity.Status.HELD, now, by, by
        with disable_auditlog():  # the one audit event below says it all
            locked.save(update_fields=fields)
        bulk_event_record(
            kind=AuditBulkEvent.Kind.HOLD_ACTIVITY,
            counts={"冻结应到": frozen, "记为缺席": absent},
            by=by,
            branch=locked.branch,
            obj=locked,
            changes=[("状态", _ACTIVITY_STATUS_LABELS["planned"], _ACTIVITY_STATUS_LABELS["held"])],
        )
    _copy(locked, activity, fields)
    return activity


def _freeze_expected(activity: Activity, *, by, now: datetime.datetime) -> int:
    """Adds the computed expected members to the list; returns how many were added (or marked expected)."""
    computed = computed_expected_members(activity)
    existing = set(Attendance.objects.filter(activity=activity).values_list("member_id", flat=True))
    created = Attendance.objects.bulk_create(
        [
            Attendance(
                activity=activity,
                member_id=pk,
                status=Attendance.Status.ABSENT,
                expected=True,
                full_member=status == Member.Status.FULL,
                recorded_by=by,
            )
            for pk, status in computed.values_list("pk", "status")
            if pk not in existing
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    marked = Attendance.objects.filter(activity=activity, expected=False, member_id__in=computed.values("pk")).update(
        expected=True, updated_at=now
    )
    return len(created) + marked


def activity_fixed_qr_set(*, activity: Activity, enabled: bool, by) -> Activity:
    """Enable or disable the printable fixed QR; disabling voids every printed poster."""
    require_not_cancelled(activity)
    activity.fixed_qr_enabled = enabled
    if not enabled:
        activity.fixed_qr_secret = ""
    elif not activity.fixed_qr_secret:
        activity.fixed_qr_secret = new_fixed_secret()
    activity.updated_by = by
    activity.save(update_fields=["fixed_qr_enabled", "fixed_qr_secret", "updated_by", "updated_at"])
    return activity


# --- attendance -------------------------------------------------------------------------


def member_ids_expected(activity: Activity, member_ids) -> set[int]:
    return set(expected_members(activity).filter(pk__in=member_ids).values_list("pk", flat=True))


def attendance_bulk_record(*, activity: Activity, statuses: dict[int, str], by, reason: str = "") -> int:
    """The secretary's attendance sheet: set present/leave/absent for many members at once.

    Members must be on the expected list (any active member for an open activity); absent
    only once the activity is held, present not before check-in opens. Changing a held activity's 缺席 or 请假 needs a written
    ``reason`` (``reason_required``, as the manual check-in), kept in the audit event's note.
    Constant number of queries; returns the rows changed.
    """
    reason = reason.strip()[:REASON_MAX_LENGTH]
    require_not_cancelled(activity)
    if any(
        s not in (Attendance.Status.PRESENT, Attendance.Status.LEAVE, Attendance.Status.ABSENT)
        for s in statuses.values()
    ):
        raise ActivityError("出勤状态应为实到、请假或缺席", code="invalid_status")
    if not activity.is_held and Attendance.Status.ABSENT in statuses.values():
        raise ActivityError("活动召开后才能登记缺席", code="not_held")
    if Attendance.Status.PRESENT in statuses.values() and not secretary_may_record_present(activity, timezone.now()):
        raise ActivityError("签到开放后才能登记实到", code="not_open")
    ids = set(statuses)
    if activity.has_expected_list:
        allowed = member_ids_expected(activity, ids)
    else:
        allowed = set(Member.objects.active().filter(pk__in=ids).values_list("pk", flat=True))
    if ids - allowed:
        raise ActivityError("所选党员不在本次活动的应到名单中", code="not_expected")
    now = timezone.now()
    existing = {a.member_id: a for a in Attendance.objects.filter(activity=activity, member_id__in=ids)}
    people = {pk: (name, st) for pk, name, st in Member.objects.filter(pk__in=ids).values_list("pk", "name", "status")}
    full = {pk for pk, (_, st) in people.items() if st == Member.Status.FULL}
    new, changed, trail = [], [], []
    for member_id, status in statuses.items():
        row = existing.get(member_id)
        if row is None:
            row = Attendance(activity=activity, member_id=member_id, expected=activity.has_expected_list)
            row.full_member = member_id in full
            new.append(row)
        elif row.status == status:
            continue
        elif needs_reason(activity, row.status) and not reason:
            raise ActivityError(MESSAGES["reason_required"], code="reason_required")
        else:
            changed.append(row)
        before = _ATTENDANCE_STATUS_LABELS[row.status] if row.pk else "—"
        trail.append((people[member_id][0], before, _ATTENDANCE_STATUS_LABELS[status]))
        row.status, row.recorded_by, row.updated_at = status, by, now
        present = status == Attendance.Status.PRESENT
        row.method = Attendance.Method.SECRETARY if present else ""
        row.checked_in_at = now if present else None
    with transaction.atomic():
        Attendance.objects.bulk_create(new, batch_size=1000)
        fields = ["status", "recorded_by", "updated_at", "method", "checked_in_at"]
        Attendance.objects.bulk_update(changed, fields, batch_size=1000)
        if trail:
            bulk_event_record(
                kind=AuditBulkEvent.Kind.RECORD_ATTENDANCE,
                counts={"新增": len(new), "修改": len(changed)},
                by=by,
                branch=activity.branch,
                obj=activity,
                note=f"理由：{reason}" if reason else "",
                changes=trail,
            )
    return len(new) + len(changed)


def _parse_hours(value) -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ActivityError("服务时长应为数字", code="invalid_hours") from None
    if hours < 0 or hours > Decimal("24"):
        raise ActivityError("服务时长应在 0 到 24 小时之间", code="invalid_hours")
    return hours


def attendance_set_hours(*, activity: Activity, hours: dict[int, object], by) -> int:
    """志愿服务 hours of present members (Decimal, one decimal place)."""
    if not activity.counts_hours:
        raise ActivityError("只有志愿服务记录服务时长", code="no_hours")
    parsed = {member_id: _parse_hours(value) for member_id, value in hours.items()}
    rows = list(Attendance.objects.filter(activity=activity, member_id__in=parsed, status=Attendance.Status.PRESENT))
    if len(rows) != len(parsed):
        raise ActivityError("只能为已签到的党员登记时长", code="not_present")
    now = timezone.now()
    trail = []
    for row in rows:
        trail.append((f"党员编号{row.member_id}", str(row.hours), str(parsed[row.member_id])))
        row.hours, row.recorded_by, row.updated_at = parsed[row.member_id], by, now
    with transaction.atomic():
        Attendance.objects.bulk_update(rows, ["hours", "recorded_by", "updated_at"])
        bulk_event_record(
            kind=AuditBulkEvent.Kind.RECORD_ATTENDANCE,
            counts={"登记时长": len(rows)},
            by=by,
            branch=activity.branch,
            obj=activity,
            note="志愿服务时长",
            changes=trail,
        )
    return len(rows)


def _open_activity_for_sign_up(activity: Activity) -> None:
    require_not_cancelled(activity)
    if activity.has_expected_list:
        raise ActivityError("该活动按名单参加，无需报名", code="has_expected_list")
    if activity.is_held:
        raise ActivityError("活动已召开", code="held")


def activity_sign_up(*, activity: Activity, member: Member, by=None) -> Attendance:
    """A member signs up for an open activity (志愿服务, 学习). Idempotent."""
    _open_activity_for_sign_up(activity)
    if not member.is_active:
        raise ActivityError(f"{member.name}已离册", code="inactive_member")
    attendance, _ = Attendance.objects.get_or_create(
        activity=activity,
        member=member,
        defaults={
            "status": Attendance.Status.EXPECTED,
            "recorded_by": by,
            "full_member": member.status == Member.Status.FULL,
        },
    )
    return attendance


def attendance_add(*, activity: Activity, members, by) -> int:
    """The secretary adds members to an open activity (as signed up); set-based, idempotent."""
    _open_activity_for_sign_up(activity)
    rows = [
        Attendance(
            activity=activity,
            member_id=m.pk,
            status=Attendance.Status.EXPECTED,
            full_member=m.status == Member.Status.FULL,
            recorded_by=by,
        )
        for m in members
        if m.is_active
    ]
    with transaction.atomic():
        before = Attendance.objects.filter(activity=activity).count()
        Attendance.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        added = Attendance.objects.filter(activity=activity).count() - before
        if added:
            bulk_event_record(
                kind=AuditBulkEvent.Kind.RECORD_ATTENDANCE,
                counts={"添加报名": added},
                by=by,
                branch=activity.branch,
                obj=activity,
            )
    return added


# --- meeting rules ----------------------------------------------------------------------


def meeting_rule_set(
    *, branch: Branch, kind: str, period: str, min_count: int, effective_from: datetime.date, by
) -> MeetingRule:
    """An organization department sets a minimum frequency for its subtree from a date.

    Setting the same branch, kind and date again replaces that rule (one upsert). The
    caller checks that ``by`` may review ``branch`` (``branches.access.REVIEW``).
    """
    from .compliance import DEFAULT_RULES

    if kind not in DEFAULT_RULES:
        raise ActivityError("只能为三会一课和组织生活设置频次", code="unknown_kind", field="kind")
    if period not in MeetingRule.Period.values:
        raise ActivityError("周期应为每月、每季度或每年", code="invalid_period", field="period")
    if not isinstance(min_count, int) or not 0 <= min_count <= 31:
        raise ActivityError("至少次数应在 0 到 31 之间", code="invalid_count", field="min_count")
    rule = MeetingRule(
        branch=branch, kind=kind, period=period, min_count=min_count, effective_from=effective_from, created_by=by
    )
    (rule,) = MeetingRule.objects.bulk_create(
        [rule],
        update_conflicts=True,
        unique_fields=["branch", "kind", "effective_from"],
        update_fields=["period", "min_count", "created_by"],
    )
    return rule
