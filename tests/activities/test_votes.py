"""Votes, quorum and resolutions (中国共产党支部工作条例（试行）arts. 11-12; 基层组织选举工作条例 art. 5).

A vote belongs to a full member under no 留党察看 or 停止党员权利 on the meeting's day. A 支部党员大会
needs more than half of the voting members expected, a 支委会 more than half of its committee
(QUORUM_RULE "at_least_half": half or more, for both). A resolution passes when 赞成, at the meeting and in
writing, exceeds half of the voting members expected, not of those present.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

from activities import checkin, services
from activities import records as record_services
from activities.errors import ActivityError
from activities.models import Activity, Resolution
from members.models import Member, Position, Sanction
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def roster(tree):
    """Branch A: four voting members, a probationary member, one under 留党察看, one whose 停止党员权利
    ended before today (votes again)."""
    voters = [MemberFactory(branch=tree.branch_a) for _ in range(3)]
    probationary = MemberFactory(
        branch=tree.branch_a, status=Member.Status.PROBATIONARY, joined_on=datetime.date(2026, 1, 5), confirmed_on=None
    )
    on_probation = MemberFactory(branch=tree.branch_a)
    today = timezone.localdate()
    Sanction.objects.create(member=on_probation, kind=Sanction.Kind.PROBATION, imposed_on=today - 100 * DAY)
    restored = MemberFactory(branch=tree.branch_a)
    Sanction.objects.create(
        member=restored, kind=Sanction.Kind.RIGHTS_SUSPENDED, imposed_on=today - 400 * DAY, ends_on=today - DAY
    )
    return {"voters": [*voters, restored], "probationary": probationary, "on_probation": on_probation}


def _started(make_activity, tree, kind=Activity.Kind.BRANCH_ASSEMBLY):
    return make_activity(tree.branch_a, kind, start=timezone.now() - HOUR)


def _present(activity, *members):
    for member in members:
        checkin.check_in(activity=activity, member=member, method="manual")


def _resolution(activity, f, a, s, **written):
    return record_services.resolution_add(
        activity=activity, text="决议", votes_for=f, votes_against=a, votes_abstain=s, by=None, **written
    )


# --- quorum -----------------------------------------------------------------------------------


def test_exactly_half_of_the_voting_members_is_no_quorum_by_default(make_activity, tree, roster):
    activity = _started(make_activity, tree)
    _present(activity, *roster["voters"][:2], roster["probationary"], roster["on_probation"])
    quorum = record_services.activity_quorum(activity)
    assert (quorum.present, quorum.expected, quorum.needed, quorum.ok) == (2, 4, 3, False)
    _present(activity, roster["voters"][2])
    assert record_services.activity_quorum(activity).ok


def test_exactly_half_is_a_quorum_with_at_least_half(make_activity, tree, roster, settings):
    settings.QUORUM_RULE = "at_least_half"
    activity = _started(make_activity, tree)
    _present(activity, *roster["voters"][:2])
    quorum = record_services.activity_quorum(activity)
    assert (quorum.present, quorum.expected, quorum.needed, quorum.ok) == (2, 4, 2, True)
    _present(activity, roster["probationary"], roster["on_probation"])  # neither counts
    assert record_services.activity_quorum(activity).present == 2


def test_an_unknown_quorum_rule_is_a_configuration_error(make_activity, tree, roster, settings):
    settings.QUORUM_RULE = "two_thirds"
    with pytest.raises(ImproperlyConfigured):
        record_services.activity_quorum(_started(make_activity, tree))


def test_a_held_assembly_keeps_the_counts_of_its_day(make_activity, tree, roster, secretary_a):
    activity = _started(make_activity, tree)
    _present(activity, *roster["voters"][:3])
    services.activity_hold(activity=activity, by=secretary_a)
    MemberFactory(branch=tree.branch_a)  # joins later: not on the frozen list
    Member.objects.filter(pk=roster["probationary"].pk).update(status=Member.Status.FULL)  # confirmed later
    quorum = record_services.activity_quorum(activity)
    assert (quorum.present, quorum.expected, quorum.ok) == (3, 4, True)


def test_a_committee_meeting_needs_more_than_half_of_its_committee_by_default(make_activity, tree, secretary_a):
    committee = [MemberFactory(branch=tree.branch_a) for _ in range(4)]
    for member, title in zip(committee, ["secretary", "deputy", "organization", "propaganda"], strict=True):
        Position.objects.create(member=member, branch=tree.branch_a, title=title, started_on="2024-01-01")
    activity = _started(make_activity, tree, Activity.Kind.COMMITTEE_MEETING)
    _present(activity, *committee[:2])
    quorum = record_services.activity_quorum(activity)
    assert quorum.committee and (quorum.present, quorum.expected, quorum.ok) == (2, 4, False)
    _present(activity, committee[2])
    assert record_services.activity_quorum(activity).ok


def test_a_committee_meeting_follows_the_same_reading_of_half(make_activity, tree, settings):
    settings.QUORUM_RULE = "at_least_half"
    committee = [MemberFactory(branch=tree.branch_a) for _ in range(4)]
    for member, title in zip(committee, ["secretary", "deputy", "organization", "propaganda"], strict=True):
        Position.objects.create(member=member, branch=tree.branch_a, title=title, started_on="2024-01-01")
    activity = _started(make_activity, tree, Activity.Kind.COMMITTEE_MEETING)
    _present(activity, *committee[:2])
    assert record_services.activity_quorum(activity).ok  # two of four: 半数以上


def test_other_kinds_have_no_quorum(make_activity, tree):
    assert record_services.activity_quorum(_started(make_activity, tree, Activity.Kind.THEME_DAY)) is None


# --- resolutions ------------------------------------------------------------------------------


def test_a_resolution_passes_on_more_than_half_of_the_voting_members_expected(make_activity, tree, roster):
    activity = _started(make_activity, tree)
    _present(activity, *roster["voters"][:3])
    passed = record_services.resolution_outcome(_resolution(activity, 3, 0, 0))
    assert passed == (3, 4, 3, True)
    # exactly half of those expected fails, though it is two thirds of those present
    assert not record_services.resolution_outcome(_resolution(activity, 2, 1, 0)).passed


def test_written_opinions_of_absent_voters_can_tip_it(make_activity, tree, roster):
    activity = _started(make_activity, tree)
    _present(activity, *roster["voters"][:2])
    assert not record_services.resolution_outcome(_resolution(activity, 2, 0, 0)).passed
    tipped = _resolution(activity, 2, 0, 0, written_for=1)
    assert record_services.resolution_outcome(tipped) == (3, 4, 3, True)


def test_written_opinions_cannot_exceed_the_voting_members_absent(make_activity, tree, roster):
    activity = _started(make_activity, tree)
    _present(activity, *roster["voters"][:2], roster["on_probation"])  # present, without a vote: not absent
    with pytest.raises(ActivityError) as excinfo:
        _resolution(activity, 2, 0, 0, written_for=2, written_against=1)
    assert excinfo.value.code == "too_many_written" and "（2人）" in excinfo.value.message
    assert _resolution(activity, 2, 0, 0, written_for=1, written_against=1)


def test_votes_are_checked_before_the_meeting_is_held(make_activity, tree, roster):
    """Today 赞成 100 with 21 present was accepted before the meeting was marked held."""
    activity = _started(make_activity, tree)
    _present(activity, *roster["voters"][:2], roster["probationary"], roster["on_probation"])
    with pytest.raises(ActivityError) as excinfo:
        _resolution(activity, 3, 0, 0)  # four present, two of them with a vote
    assert excinfo.value.code == "too_many_votes" and "（2人）" in excinfo.value.message
    assert not Resolution.objects.exists()


def test_no_resolution_before_the_meeting_starts(make_activity, tree, roster):
    activity = make_activity(tree.branch_a)  # starts in ten minutes
    with pytest.raises(ActivityError) as excinfo:
        record_services.resolution_add(activity=activity, text="决议", by=None)
    assert excinfo.value.code == "not_started"


def test_written_opinions_need_the_meetings_votes(make_activity, tree, roster):
    activity = _started(make_activity, tree)
    with pytest.raises(ActivityError) as excinfo:
        record_services.resolution_add(activity=activity, text="决议", by=None, written_for=1)
    assert excinfo.value.code == "incomplete_votes"


def test_the_voting_members_are_frozen_with_the_resolution(make_activity, tree, roster):
    activity = _started(make_activity, tree)
    _present(activity, *roster["voters"][:3])
    resolution = _resolution(activity, 3, 0, 0)
    for _ in range(3):
        MemberFactory(branch=tree.branch_a)  # the roster grows afterwards
    resolution.refresh_from_db()
    assert resolution.voting_members == 4 and record_services.resolution_outcome(resolution).passed


def test_a_resolution_without_votes_has_no_outcome(make_activity, tree):
    resolution = record_services.resolution_add(activity=_started(make_activity, tree), text="通报", by=None)
    assert resolution.voting_members is None and record_services.resolution_outcome(resolution) is None


def test_an_open_activity_takes_no_votes(make_activity, tree, member_a):
    activity = _started(make_activity, tree, Activity.Kind.STUDY)
    with pytest.raises(ActivityError) as excinfo:
        _resolution(activity, 0, 0, 0)
    assert excinfo.value.code == "no_vote"


# --- pages ------------------------------------------------------------------------------------


def test_the_page_shows_passed_or_not_with_the_arithmetic(login_as, make_activity, tree, roster):
    activity = _started(make_activity, tree)
    _present(activity, *roster["voters"][:2])
    _resolution(activity, 2, 0, 0, written_for=1)
    _resolution(activity, 2, 0, 0)
    page = login_as("secretary_a").get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "通过" in page and "未通过" in page
    assert "赞成共 3 票（含书面），应到有表决权的党员 4 人，超过半数须至少 3 票" in page
    assert "法定人数按有表决权的党员计" in page


def test_the_minutes_page_shows_the_services_error_on_votes(login_as, make_activity, tree, roster):
    activity = _started(make_activity, tree)
    data = {"text": "决议", "votes_for": 5, "votes_against": 0, "votes_abstain": 0}
    response = login_as("secretary_a").post(reverse("activities:resolution_add", args=[activity.pk]), data)
    assert response.status_code == 400 and "超过到会有表决权的党员人数" in response.content.decode()
    assert not Resolution.objects.exists()


@pytest.mark.parametrize("value", [-1, "x", 1_000_001])
def test_votes_are_whole_numbers_within_bounds(make_activity, tree, roster, value):
    with pytest.raises(ActivityError) as excinfo:
        _resolution(_started(make_activity, tree), value, 0, 0)
    assert excinfo.value.code == "invalid_votes"
