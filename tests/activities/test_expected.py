"""The expected list (应到) written twice, as querysets and as the predicate ``is_expected``: they agree."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from activities import services
from activities.expected import expected_members, is_expected
from activities.models import Activity, ExpectedExemption
from members.models import Member, Position
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree, member_a, member_b, member_c):
    """Members at every kind of node, on and off the committee, one who left the roster."""
    in_household = MemberFactory(branch=tree.branch_a, group=tree.group_a, household=tree.household_a)
    deputy = MemberFactory(branch=tree.branch_a)
    Position.objects.create(member=deputy, branch=tree.branch_a, title=Position.Title.DEPUTY, started_on="2024-01-01")
    former = MemberFactory(branch=tree.branch_a)
    Position.objects.create(
        member=former, branch=tree.branch_a, title=Position.Title.ORGANIZATION, started_on="2020-01-01",
        ended_on="2024-01-01",
    )  # fmt: skip
    left = MemberFactory(branch=tree.branch_a, group=tree.group_a, is_active=False)
    in_village_b = MemberFactory(branch=tree.branch_b)
    return [member_a, member_b, member_c, in_household, deputy, former, left, in_village_b, *_exempted(tree)]


def _exempted(tree) -> list[Member]:
    """Members of group A (so of every list of A) with exemptions: covering today (one a committee
    member), ended yesterday, starting tomorrow."""
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    covered, ended, future, on_committee = (MemberFactory(branch=tree.branch_a, group=tree.group_a) for _ in range(4))
    Position.objects.create(
        member=on_committee, branch=tree.branch_a, title=Position.Title.PROPAGANDA, started_on="2024-01-01"
    )
    for member, starts_on, ends_on in [
        (covered, today - 30 * day, None),
        (on_committee, today, today + 30 * day),
        (ended, today - 30 * day, today - day),
        (future, today + day, None),
    ]:
        ExpectedExemption.objects.create(
            member=member, reason=ExpectedExemption.Reason.SERIOUS_ILLNESS, starts_on=starts_on, ends_on=ends_on,
            consenting_org="城关镇党委", consent_on=today - 30 * day,
        )  # fmt: skip
    return [covered, ended, future, on_committee]


def test_a_standing_exemption_leaves_a_member_out_for_its_days_only(tree, make_activity, people):
    covered, ended, future, on_committee = people[-4:]
    for activity in (make_activity(tree.branch_a), make_activity(tree.branch_a, Activity.Kind.COMMITTEE_MEETING)):
        activity = Activity.objects.select_related("branch").get(pk=activity.pk)
        listed = set(expected_members(activity).values_list("pk", flat=True))
        assert covered.pk not in listed and on_committee.pk not in listed
        if activity.kind == Activity.Kind.BRANCH_ASSEMBLY:
            assert {ended.pk, future.pk} <= listed


def _activities(tree, make_activity) -> list[Activity]:
    kinds_at = [
        (tree.town, Activity.Kind.THEME_DAY),
        (tree.village_a, Activity.Kind.PARTY_LECTURE),
        (tree.branch_a, Activity.Kind.BRANCH_ASSEMBLY),
        (tree.branch_a, Activity.Kind.COMMITTEE_MEETING),
        (tree.group_a, Activity.Kind.GROUP_MEETING),
        (tree.group_a, Activity.Kind.THEME_DAY),
        (tree.household_a, Activity.Kind.THEME_DAY),
        (tree.branch_a, Activity.Kind.VOLUNTEER),
        (tree.branch_b, Activity.Kind.ORG_LIFE_MEETING),
    ]
    return [make_activity(branch, kind) for branch, kind in kinds_at]


def _agree(activities, people) -> None:
    answers = set()
    for activity in activities:
        activity = Activity.objects.select_related("branch").get(pk=activity.pk)
        listed = set(expected_members(activity).values_list("pk", flat=True))
        for member in Member.objects.select_related("branch").filter(pk__in=[m.pk for m in people]):
            assert is_expected(activity, member) == (member.pk in listed), (activity.get_kind_display(), member.pk)
            answers.add(member.pk in listed)
    assert answers == {True, False}  # both answers were put to the test


def test_the_predicate_and_the_queryset_agree_before_holding(tree, make_activity, people):
    _agree(_activities(tree, make_activity), people)


def test_the_predicate_and_the_queryset_agree_once_held_and_the_roster_changed(
    tree, make_activity, people, secretary_a
):
    activities = _activities(tree, make_activity)
    for activity in activities:
        services.activity_hold(activity=activity, by=secretary_a, now=timezone.now() + datetime.timedelta(hours=1))
    newcomer = MemberFactory(branch=tree.branch_a, group=tree.group_a)  # joined after: not on the frozen lists
    Member.objects.filter(pk=people[0].pk).update(is_active=False)  # left after: still on them
    _agree(activities, [*people, newcomer])


def test_the_member_pages_activities_are_those_the_member_is_expected_at(tree, make_activity, people):
    """``selectors.member_activities_q`` (the member's upcoming list) asks the same question from the activity's side."""
    from activities.selectors import member_activities_q

    activities = _activities(tree, make_activity)
    for member in Member.objects.select_related("branch").filter(pk__in=[m.pk for m in people], is_active=True):
        listed = set(Activity.objects.filter(member_activities_q(member)).values_list("pk", flat=True))
        for activity in Activity.objects.select_related("branch").filter(pk__in=[a.pk for a in activities]):
            assert (activity.pk in listed) == is_expected(activity, member), (activity.get_kind_display(), member.pk)
