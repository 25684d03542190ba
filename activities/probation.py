"""预备党员转正决定: 转正, extension and 取消预备党员资格 decided by a 支部党员大会, approved from above.

发展党员工作细则 art. 32 (党章 art. 7): when the one-year probation ends, the 支部党员大会 discusses
whether the probationary member becomes a full member; it may extend the probation once, by 6 to 12
months, or cancel the probationary membership; the decision is approved by the higher Party
committee. The decision is recorded from a resolution of a held 支部党员大会 that passed
(``records.resolution_outcome``); the approval, entered by a user who manages the approving
committee (``approving_branch``: the nearest 党委 above the branch), carries it out through
``members.services``, which write the member's history:

- confirm: ``member_confirm`` on the day the probation ends (``Member.probation_ends_on``);
- extend: ``member_extend_probation`` by the months decided;
- cancel: ``member_leave`` with the reason 取消预备党员资格, on the day of the approval.

An approval that has not come within ``PROBATION_APPROVAL_WARN_MONTHS`` (3) months of the decision
is flagged by ``probation_decisions_awaiting_approval``.
"""

from __future__ import annotations

import calendar
import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from branches.models import Branch
from members import services as member_services
from members.models import Member

from .errors import ActivityError
from .expected import activity_day, node_members_q
from .models import Activity, ProbationDecision, Resolution
from .records import resolution_outcome

EXTENSION_MONTHS = (6, 12)  # the shortest and longest extension, in months (发展党员工作细则 art. 32)
Kind = ProbationDecision.Kind


def approval_warn_months() -> int:
    return getattr(settings, "PROBATION_APPROVAL_WARN_MONTHS", 3)


def months_after(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` months later; the month's last day where it has no such day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def approving_branch(branch: Branch) -> Branch:
    """The organization that approves a branch's decisions: the nearest 党委 above it (基层党委);
    its parent where there is none above, the branch itself at a root."""
    above = branch.ancestor_paths()[:-1]
    committee = Branch.objects.filter(path__in=above, kind=Branch.Kind.COMMITTEE).order_by("-depth").first()
    if committee is not None:
        return committee
    return Branch.objects.get(path=above[-1]) if above else branch


def probation_candidates(activity: Activity) -> QuerySet[Member]:
    """Probationary members of the assembly's branch without a decision awaiting approval."""
    pending = ProbationDecision.objects.filter(approved_on__isnull=True).values("member_id")
    return (
        Member.objects.active()
        .filter(node_members_q(activity.branch), status=Member.Status.PROBATIONARY)
        .exclude(pk__in=pending)
        .order_by("name_pinyin", "name", "pk")
    )


def _check_resolution(resolution: Resolution) -> Activity:
    activity = resolution.activity
    if activity.kind != Activity.Kind.BRANCH_ASSEMBLY or not activity.is_held:
        raise ActivityError("转正决定须由已召开的支部党员大会作出", code="not_assembly")
    outcome = resolution_outcome(resolution)
    if outcome is None:
        raise ActivityError("该决议没有表决票数，不能作为转正决定", code="no_vote", field="resolution")
    if not outcome.passed:
        raise ActivityError("该决议未通过，不能作为转正决定", code="not_passed", field="resolution")
    if ProbationDecision.objects.filter(resolution=resolution).exists():
        raise ActivityError("该决议已记录了转正决定", code="resolution_used", field="resolution")
    return activity


def _check_member(member: Member, activity: Activity, kind: str, months: int | None) -> None:
    if not member.is_active or member.status != Member.Status.PROBATIONARY:
        raise ActivityError(f"{member.name}不是在册的预备党员", code="not_probationary", field="member")
    if not probation_candidates(activity).filter(pk=member.pk).exists():
        raise ActivityError(
            f"{member.name}不是本支部的预备党员，或已有待审批的决定", code="not_candidate", field="member"
        )
    day = activity_day(activity)
    if kind in (Kind.CONFIRM, Kind.EXTEND) and day < member.probation_ends_on:
        raise ActivityError(
            f"{member.name}的预备期于{member.probation_ends_on:%Y年%m月%d日}期满，期满后方可讨论转正或延长预备期",
            code="probation_not_over",
            field="kind",
        )
    if kind == Kind.EXTEND:
        low, high = EXTENSION_MONTHS
        if months is None or not low <= months <= high:
            raise ActivityError(
                f"延长预备期应为 {low} 至 {high} 个月", code="invalid_extension", field="extension_months"
            )
        extended = ProbationDecision.objects.filter(member=member, kind=Kind.EXTEND).exists()
        if member.probation_extension_months or extended:
            raise ActivityError(f"{member.name}的预备期已延长过，只能延长一次", code="already_extended", field="kind")
    elif months is not None:
        raise ActivityError("只有延长预备期才填写延长月数", code="months_not_expected", field="extension_months")


def probation_decision_record(
    *, resolution: Resolution, member: Member, kind: str, by, extension_months: int | None = None
) -> ProbationDecision:
    """Record what a held 支部党员大会 decided about one of its probationary members, from a resolution
    that passed; nothing changes on the member until the higher committee approves."""
    if kind not in Kind.values:
        raise ActivityError("请选择转正、延长预备期或取消预备党员资格", code="kind_required", field="kind")
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).first()  # one decision at a time per member
        activity = _check_resolution(resolution)
        _check_member(member, activity, kind, extension_months)
        return ProbationDecision.objects.create(
            member=member,
            resolution=resolution,
            kind=kind,
            extension_months=extension_months,
            decided_on=activity_day(activity),
            recorded_by=by,
        )


def probation_decision_approve(
    *, decision: ProbationDecision, approved_on: datetime.date, approving_org: str, by
) -> ProbationDecision:
    """The higher committee's approval: recorded, then carried out on the member through members' services."""
    approving_org = (approving_org or "").strip()
    if not approving_org:
        raise ActivityError("请填写审批的上级党委", code="org_required", field="approving_org")
    if approved_on > timezone.localdate():
        raise ActivityError("审批日期不能晚于今天", code="future_date", field="approved_on")
    with transaction.atomic():
        locked = ProbationDecision.objects.select_for_update().select_related("member").get(pk=decision.pk)
        member = Member.objects.select_for_update().get(pk=locked.member_id)
        if locked.approved_on is not None:
            raise ActivityError(f"该决定已于{locked.approved_on:%Y年%m月%d日}批准", code="already_approved")
        if approved_on < locked.decided_on:
            raise ActivityError(
                "审批日期不能早于支部党员大会的日期", code="approved_before_decided", field="approved_on"
            )
        if not member.is_active or member.status != Member.Status.PROBATIONARY:
            raise ActivityError(f"{member.name}已不是在册的预备党员", code="not_probationary")
        _carry_out(locked, member, approved_on, by)
        locked.approved_on, locked.approving_org = approved_on, approving_org[:200]
        locked.save(update_fields=["approved_on", "approving_org"])
    decision.approved_on, decision.approving_org = locked.approved_on, locked.approving_org
    return decision


def _carry_out(decision: ProbationDecision, member: Member, approved_on: datetime.date, by) -> None:
    if decision.kind == Kind.CONFIRM:
        member_services.member_confirm(member=member, on=member.probation_ends_on, by=by)
    elif decision.kind == Kind.EXTEND:
        member_services.member_extend_probation(member=member, months=decision.extension_months, by=by)
    else:
        note = f"支部党员大会{decision.decided_on:%Y年%m月%d日}决定，上级党委{approved_on:%Y年%m月%d日}批准"
        member_services.member_leave(
            member=member, on=approved_on, reason=Member.LeftReason.PROBATION_CANCELLED, by=by, note=note
        )


def probation_decisions_awaiting_approval(branch: Branch, *, today: datetime.date | None = None) -> list:
    """Decisions about members of ``branch``'s subtree still without approval, oldest first (one query);
    each with ``overdue``: more than ``PROBATION_APPROVAL_WARN_MONTHS`` months since the decision."""
    today = today or timezone.localdate()
    rows = list(
        ProbationDecision.objects.filter(member__branch__path__startswith=branch.path, approved_on__isnull=True)
        .select_related("member", "member__branch", "resolution")
        .order_by("decided_on", "pk")
    )
    for row in rows:
        row.warn_after = months_after(row.decided_on, approval_warn_months())
        row.overdue = today > row.warn_after
    return rows
