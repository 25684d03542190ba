"""Who is expected (应到) at an activity, written once as a queryset and once as a predicate.

The rules, from the design's meeting table:

- 支部党员大会, 党课, 主题党日, 组织生活会, 民主评议党员: every active member of the
  activity's node: its subtree for a 党委, 党总支 or 党支部 (a general branch's 党课 expects
  its whole subtree), the group's members at a 党小组, the household's at a 党员中心户.
- 支委会: the members holding a current committee position (``Position.COMMITTEE_TITLES``)
  at the activity's branch.
- 党小组会: the members of the group (the activity is held at a GROUP node).
- 志愿服务, 学习: no expected list.

Once the activity is held, the list is the frozen set of ``Attendance`` rows with
``expected=True``. The queryset serves the set-based work (holding, sheets); the predicate
serves the check-in, which decides from values already read in its single query.
"""

from __future__ import annotations

from django.db.models import Q

from branches.models import Branch
from members.models import Member, Position

from .models import Activity


def node_members_q(branch: Branch) -> Q:
    """``Q`` on ``Member`` for the members belonging to ``branch`` (any kind of node)."""
    if branch.kind == Branch.Kind.GROUP:
        return Q(group_id=branch.pk)
    if branch.kind == Branch.Kind.HOUSEHOLD:
        return Q(household_id=branch.pk)
    return Q(branch__path__startswith=branch.path)


def computed_expected_members(activity: Activity):
    """The expected list as the rules give it today (ignores freezing)."""
    if not activity.has_expected_list:
        return Member.objects.none()
    members = Member.objects.active()
    if activity.kind == Activity.Kind.COMMITTEE_MEETING:
        committee = Position.objects.filter(
            branch_id=activity.branch_id, ended_on__isnull=True, title__in=Position.COMMITTEE_TITLES
        ).values("member_id")
        return members.filter(pk__in=committee)
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


def is_expected(
    *,
    activity: Activity,
    branch_path: str,
    branch_kind: str,
    member: Member,
    member_branch_path: str,
    on_committee: bool,
    frozen_expected: bool,
) -> bool:
    """The predicate form of ``expected_members`` for one member, from already-read values.

    ``branch_path``/``branch_kind`` are the activity's node; ``frozen_expected`` is the
    ``expected`` flag of the member's attendance row (False when there is none).
    """
    if not activity.has_expected_list:
        return False
    if activity.is_held or frozen_expected:
        return frozen_expected
    if not member.is_active:
        return False
    if activity.kind == Activity.Kind.COMMITTEE_MEETING:
        return on_committee
    if activity.kind == Activity.Kind.GROUP_MEETING or branch_kind == Branch.Kind.GROUP:
        return member.group_id == activity.branch_id
    if branch_kind == Branch.Kind.HOUSEHOLD:
        return member.household_id == activity.branch_id
    return member_branch_path.startswith(branch_path)
