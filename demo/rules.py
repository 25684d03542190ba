"""Issue 14's meeting rules in the demo (docs/rules/meetings.md).

After the year of activities: the demo's resolutions get the number of voting members they were
taken against (what ``activities.records.resolution_add`` freezes), so each shows 通过 or 未通过;
then, through the services and at one branch that held a 支部党员大会 with a quorum:

- a resolution that fails: 赞成 of only half of the voting members expected;
- an extended probation: a probationary member whose year ended just before that meeting (the
  admission date moved back accordingly), extended by 6 months by a resolution that passed and
  approved by the nearest 党委 three weeks later;
- a 不列入应到 exemption of the branch's oldest ordinary member (长期卧床, consented by that 党委),
  who is then marked 送学上门 at the last held meeting they missed.
"""

from __future__ import annotations

import datetime
import random

from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone

from activities import exemptions, presence, probation
from activities import records as record_services
from activities.models import Activity, Attendance, ExpectedExemption, Resolution
from members.models import Member, MemberEvent

APPROVAL_AFTER = datetime.timedelta(days=21)
EXTENSION_MONTHS = 6


def seed_meeting_rules(*, result, rng: random.Random, now: datetime.datetime | None = None) -> str:
    """Outcomes for the demo's resolutions; a failed one, an extended probation, an exemption; a summary line."""
    del rng  # the choices are the data's: the same seed gives the same ones
    now = now or timezone.now()
    frozen = _freeze_voting_members(result.root)
    assembly = _assembly_with_quorum(result.root)
    if assembly is None:
        return f"表决结果：{frozen} 项；无召开的支部党员大会可演示"
    lines = [f"表决结果 {frozen} 项", _failed_resolution(assembly, now)]
    lines.append(_extended_probation(assembly, now))
    lines.append(_exemption(assembly, now))
    return "会议规则：" + "；".join(lines)


def _freeze_voting_members(root) -> int:
    """The demo's resolutions were written in bulk: each gets its meeting's voting members expected, as
    the service records them (the frozen list's full members; the demo records no 留党察看)."""
    voters = (
        Attendance.objects.filter(activity_id=OuterRef("activity_id"), expected=True, full_member=True)
        .values("activity_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Resolution.objects.filter(
        activity__branch__path__startswith=root.path, votes_for__isnull=False, voting_members__isnull=True
    ).update(voting_members=Subquery(voters))


def _assembly_with_quorum(root) -> Activity | None:
    """The latest held 支部党员大会 whose quorum was met, at the first branch (by path) with a
    probationary member, else at any branch."""
    probationary = Member.objects.active().filter(status=Member.Status.PROBATIONARY).values("branch_id")
    held = (
        Activity.objects.in_subtree(root)
        .held()
        .filter(kind=Activity.Kind.BRANCH_ASSEMBLY)
        .select_related("branch")
        .order_by("branch__path", "-starts_at", "pk")
    )
    for candidates in (held.filter(branch_id__in=probationary), held):
        for activity in candidates[:30]:
            if record_services.activity_quorum(activity).ok:
                return activity
    return None


def _failed_resolution(assembly: Activity, now: datetime.datetime) -> str:
    expected, present = record_services.voting_counts(assembly)
    votes_for = min(present, expected // 2)
    record_services.resolution_add(
        activity=assembly,
        text="关于调整党小组设置的决议（演示：赞成未超过应到有表决权党员的半数，未通过）",
        votes_for=votes_for,
        votes_against=present - votes_for,
        votes_abstain=0,
        by=None,
        now=now,
    )
    return f"{assembly.branch.name}未通过的决议 1 项（赞成 {votes_for}，应到有表决权党员 {expected}）"


def _extended_probation(assembly: Activity, now: datetime.datetime) -> str:
    member = (
        Member.objects.active()
        .filter(branch=assembly.branch, status=Member.Status.PROBATIONARY, probation_extension_months=0)
        .order_by("pk")
        .first()
    )
    if member is None:
        return "无预备党员可演示延长预备期"
    day = timezone.localdate(assembly.starts_at)
    joined = probation.months_after(day - datetime.timedelta(days=5), -12)  # the year ended five days before
    Member.objects.filter(pk=member.pk).update(joined_on=joined)
    MemberEvent.objects.filter(member=member, kind=MemberEvent.Kind.CREATED).update(occurred_on=joined)
    member.refresh_from_db()
    expected, present = record_services.voting_counts(assembly)
    resolution = record_services.resolution_add(
        activity=assembly,
        text=f"关于延长{member.name}同志预备期{EXTENSION_MONTHS}个月的决议",
        votes_for=present,
        votes_against=0,
        votes_abstain=0,
        by=None,
        now=now,
    )
    decision = probation.probation_decision_record(
        resolution=resolution, member=member, kind="extend", extension_months=EXTENSION_MONTHS, by=None
    )
    approver = probation.approving_branch(assembly.branch)
    approved_on = min(day + APPROVAL_AFTER, timezone.localdate(now), timezone.localdate())
    probation.probation_decision_approve(
        decision=decision, approved_on=approved_on, approving_org=approver.name, by=None
    )
    return f"{member.name}延长预备期 {EXTENSION_MONTHS} 个月（{approver.name}{approved_on:%Y-%m-%d}批准）"


def _exemption(assembly: Activity, now: datetime.datetime) -> str:
    branch = assembly.branch
    member = (
        Member.objects.active()
        .filter(branch=branch, status=Member.Status.FULL, user=None, positions=None)
        .order_by("birth_date", "pk")
        .first()
    )
    if member is None:
        return "无党员可演示不列入应到"
    today = timezone.localdate(now)
    approver = probation.approving_branch(branch)
    starts_on = today - datetime.timedelta(days=60)
    exemptions.exemption_add(
        member=member,
        reason=ExpectedExemption.Reason.BEDRIDDEN,
        starts_on=starts_on,
        consenting_org=approver.name,
        consent_on=starts_on,
        note="演示：长期卧床，由支部书记送学上门",
        by=None,
    )
    missed = (
        Attendance.objects.filter(
            member=member,
            activity__status=Activity.Status.HELD,
            activity__starts_at__lte=now,
            status__in=[Attendance.Status.ABSENT, Attendance.Status.LEAVE],
        )
        .select_related("activity__branch")
        .order_by("-activity__starts_at")
        .first()
    )
    delivered = ""
    if missed is not None:
        presence.home_delivery_record(activity=missed.activity, member=member, by=None, note="演示", now=now)
        delivered = f"，{missed.activity.title}送学上门"
    return f"{member.name}不列入应到（长期卧床，{approver.name}同意）{delivered}"
