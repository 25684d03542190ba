"""Who is expected (应到) at an activity, written once as a queryset and once as a predicate.

The rules, from the design's meeting table:

- 支部党员大会, 党课, 主题党日, 组织生活会, 民主评议党员: every active member of the
  activity's node: its subtree for a 党委, 党总支 or 党支部 (a general branch's 党课 expects
  its whole subtree), the group's members at a 党小组, the household's at a 党员中心户.
- 支委会: the members holding a current committee position (``Position.COMMITTEE_TITLES``)
  at the activity's branch.
- 党小组会: the members of the group (the activity is held at a GROUP node).
- 志愿服务, 学习: no expected list.
- Whatever the kind, a member with a standing exemption (``ExpectedExemption``: 不列入应到, with
  the higher organization's consent) covering the activity's day is not expected.

Once the activity is held, the list is the frozen set of ``Attendance`` rows with
``expected=True``. The querysets serve the set-based work (holding, sheets, the expected
list); the predicate ``is_expected`` answers for one member (the check-in, the member's page).
Both change together: tests/activities/test_expected.py checks that they agree.
"""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from branches.models import Branch
from members.models import Member, Position

from .models import Activity, Attendance, ExpectedExemption


def node_members_q(branch: Branch) -> Q:
    """``Q`` on ``Member`` for the members belonging to ``branch`` (any kind of node)."""
    if branch.kind == Branch.Kind.GROUP:
        return Q(group_id=branch.pk)
    if branch.kind == Branch.Kind.HOUSEHOLD:
        return Q(household_id=branch.pk)
    return Q(branch__path__startswith=branch.path)


def _committee(branch_id: int):
    """The current committee positions (``Position.COMMITTEE_TITLES``) at the branch."""
    return Position.objects.filter(branch_id=branch_id, ended_on__isnull=True, title__in=Position.COMMITTEE_TITLES)


def activity_day(activity: Activity) -> datetime.date:
    """The activity's day in Asia/Shanghai: exemptions and votes are decided on it."""
    return timezone.localdate(activity.starts_at)


def exemptions_on(day: datetime.date) -> QuerySet[ExpectedExemption]:
    """Exemptions covering ``day``: ``starts_on <= day`` and no ``ends_on`` or ``ends_on >= day``."""
    return ExpectedExemption.objects.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day), starts_on__lte=day)


def computed_expected_members(activity: Activity):
    """The expected list as the rules give it today (ignores freezing)."""
    if not activity.has_expected_list:
        return Member.objects.none()
    members = Member.objects.active().exclude(pk__in=exemptions_on(activity_day(activity)).values("member_id"))
    if activity.kind == Activity.Kind.COMMITTEE_MEETING:
        return members.filter(pk__in=_committee(activity.branch_id).values("member_id"))
    if activity.kind == Activity.Kind.GROUP_MEETING:
        return members.filter(group_id=activity.branch_id)
    return members.filter(node_members_q(activity.branch))


def expected_members(activity: Activity):
    """The expected list: frozen rows once held, the computed list before."""
    if not activity.has_expected_list:
        return Member.objects.none()
    if activity.is_held:
        return Member.objects.filter(attendances__activity=activity, attendances__expected=True)
    return computed_expected_members(activity)


def is_expected(activity: Activity, member: Member) -> bool:
    """Whether ``member`` is on the expected list of ``activity``: ``member in expected_members(activity)``.

    The same rules as the querysets above, for one member (tests/activities/test_expected.py ties
    them together). Reads ``activity.branch`` and ``member.branch``; a held activity's frozen
    row costs one query, before holding the exemption one more and a 支委会's committee positions one.
    """
    if not activity.has_expected_list:
        return False
    if activity.is_held:
        return Attendance.objects.filter(activity=activity, member=member, expected=True).exists()
    return belongs(activity, member) and not exemptions_on(activity_day(activity)).filter(member=member).exists()


def belongs(activity: Activity, member: Member) -> bool:
    """Whether the kind's rules put ``member`` on ``activity``'s list, exemptions and freezing aside
    (an exempted member may still be marked 送学上门, ``activities.presence``)."""
    if not member.is_active:
        return False
    if activity.kind == Activity.Kind.COMMITTEE_MEETING:
        return _committee(activity.branch_id).filter(member=member).exists()
    if activity.kind == Activity.Kind.GROUP_MEETING:
        return member.group_id == activity.branch_id
    return _belongs_to_node(member, activity.branch)


def _belongs_to_node(member: Member, branch: Branch) -> bool:
    """The predicate form of ``node_members_q``."""
    if branch.kind == Branch.Kind.GROUP:
        return member.group_id == branch.pk
    if branch.kind == Branch.Kind.HOUSEHOLD:
        return member.household_id == branch.pk
    return member.branch.path.startswith(branch.path)
