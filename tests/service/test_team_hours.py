"""A team's request credits its hours to each team member who took part, not only the leader (issue 16): the
team's members (registered at the community, managed by the secretary on the setup page), the participants
recorded at completion (all of them by default; the leader may untick), their hours in the health check."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.periods import Period
from health.selectors import member_facts
from service import services
from service.errors import ServiceError
from service.models import ServiceParticipant, ServiceRequest, TeamMembership
from service.selectors import completed_hours
from tests.factories import MemberFactory, UserFactory


@pytest.fixture
def teammate(tree, grid, post):
    """A member of branch A registered at the community, to join the team."""
    member = MemberFactory(branch=tree.branch_a, name="周强", user=UserFactory(username="teammate"))
    services.registration_create(member=member, community=tree.branch_a, grid=grid, post=post, by=None)
    return member


@pytest.fixture
def team(tree, registered_a, member_a, teammate):
    team = services.team_create(community=tree.branch_a, name="红色先锋服务队", leader=member_a, by=None)
    services.team_member_add(team=team, member=teammate, by=None)
    return team


@pytest.fixture
def team_request(team, member_a, new_request):
    services.request_dispatch(request=new_request, team=team, by=None)
    services.request_accept(request=new_request, member=member_a, by=None)
    return new_request


def _hours(tree, *members):
    facts = member_facts(period=Period.containing("year", timezone.localdate()), branch=tree.town)
    return [facts[m.pk].facts.volunteer_hours for m in members]


def test_every_participant_gets_the_hours_in_the_health_check(tree, team_request, member_a, teammate, member_b):
    before = _hours(tree, member_a, teammate)
    services.request_complete(request=team_request, member=member_a, hours="3", note="", by=None)
    assert [b - a for a, b in zip(before, _hours(tree, member_a, teammate), strict=True)] == [3, 3]
    year = Period.containing("year", timezone.localdate())
    assert completed_hours(member_ids=[member_a.pk, teammate.pk, member_b.pk], period=year) == {
        member_a.pk: Decimal("3"),
        teammate.pk: Decimal("3"),
    }


def test_an_unticked_member_gets_none(tree, team_request, member_a, teammate):
    services.request_complete(
        request=team_request, member=member_a, hours="2", note="", by=None, participants=[teammate]
    )
    year = Period.containing("year", timezone.localdate())
    assert completed_hours(member_ids=[member_a.pk, teammate.pk], period=year) == {teammate.pk: Decimal("2")}


def test_a_member_outside_the_team_cannot_take_part(team_request, member_a, registered_b, member_b):
    with pytest.raises(ServiceError) as error:
        services.request_complete(
            request=team_request, member=member_a, hours="2", note="", by=None, participants=[member_a, member_b]
        )
    assert error.value.code == "not_in_team" and "王芳" in error.value.message
    with pytest.raises(ServiceError) as error:
        services.request_complete(request=team_request, member=member_a, hours="2", note="", by=None, participants=[])
    assert error.value.code == "no_participants"
    assert ServiceRequest.objects.get(pk=team_request.pk).status == "in_progress"
    assert not ServiceParticipant.objects.exists()


def test_a_member_who_left_the_team_takes_no_part(team, team_request, member_a, teammate):
    services.team_member_remove(membership=TeamMembership.objects.get(member=teammate), by=None)
    with pytest.raises(ServiceError) as error:
        services.request_complete(
            request=team_request, member=member_a, hours="1", note="", by=None, participants=[teammate]
        )
    assert error.value.code == "not_in_team"
    services.request_complete(request=team_request, member=member_a, hours="1", note="", by=None)
    assert list(ServiceParticipant.objects.values_list("member_id", flat=True)) == [member_a.pk]


def test_a_team_member_must_be_registered_at_the_community(team, member_c, member_a):
    with pytest.raises(ServiceError) as error:
        services.team_member_add(team=team, member=member_c, by=None)
    assert error.value.code == "not_registered"
    with pytest.raises(ServiceError) as error:
        services.team_member_add(team=team, member=member_a, by=None)
    assert error.value.code == "is_leader"
    assert TeamMembership.objects.count() == 1


def test_a_request_held_alone_credits_its_member_only(registered_a, member_a, new_request):
    services.request_claim(request=new_request, member=member_a, by=None)
    services.request_complete(request=new_request, member=member_a, hours="1.5", note="", by=None)
    assert list(ServiceParticipant.objects.values_list("member_id", "hours")) == [(member_a.pk, Decimal("1.5"))]


def test_the_completion_page_lists_the_team_and_records_the_ticked(
    login_as, team_request, member_a, teammate, member_b
):
    client = login_as("member_a")
    url = reverse("service:complete", args=[team_request.pk])
    page = client.get(url).content.decode()
    assert "周强" in page and 'name="participant"' in page
    refused = client.post(
        url, {"hours": "2", "participants_shown": "1", "participant": [str(teammate.pk), str(member_b.pk), "x"]}
    )
    assert refused.status_code == 200 and "不是“红色先锋服务队”的队员" in refused.content.decode()
    assert not ServiceParticipant.objects.exists()
    client.post(url, {"hours": "2", "participants_shown": "1", "participant": [str(teammate.pk)]})
    assert list(ServiceParticipant.objects.values_list("member_id", flat=True)) == [teammate.pk]


def test_the_secretary_manages_the_team_on_the_setup_page(login_as, tree, team, teammate, member_c):
    client = login_as("secretary_a")
    url = reverse("service:setup", args=[tree.branch_a.code])
    assert "周强" in client.get(url).content.decode()
    membership = TeamMembership.objects.get(member=teammate)
    client.post(url, {"kind": "team_leave", "membership": membership.pk})
    membership.refresh_from_db()
    assert membership.left_on == timezone.localdate() and membership.removed_by.username == "secretary_a"
    answer = client.post(url, {"kind": "team_member", "team": team.pk, "member": member_c.pk}, follow=True)
    assert "队员须是在本社区报到" in answer.content.decode()
    client.post(url, {"kind": "team_member", "team": team.pk, "member": teammate.pk})
    added = TeamMembership.objects.get(member=teammate, left_on=None)
    assert added.added_by.username == "secretary_a"


def test_a_grid_head_may_not_change_a_team(client, tree, team, teammate, secretary_a):
    from members.accounts import position_code_issue, position_grant_confirm
    from members.services import position_appoint

    head = MemberFactory(branch=tree.branch_a, user=UserFactory(username="head"))
    position_appoint(member=head, branch=tree.branch_a, title="grid_leader", on=timezone.localdate(), by=secretary_a)
    position_grant_confirm(member=head, code=position_code_issue(member=head, by=secretary_a))
    client.force_login(head.user)
    membership = TeamMembership.objects.get(member=teammate)
    url = reverse("service:setup", args=[tree.branch_a.code])
    assert client.post(url, {"kind": "team_leave", "membership": membership.pk}).status_code == 403
    membership.refresh_from_db()
    assert membership.left_on is None


def test_the_migration_credits_past_completions_to_their_member(registered_a, member_a, new_request):
    import importlib

    from django.apps import apps

    services.request_claim(request=new_request, member=member_a, by=None)
    services.request_complete(request=new_request, member=member_a, hours="2", note="", by=None)
    ServiceParticipant.objects.all()._raw_delete(ServiceParticipant.objects.db)  # as before the migration
    migration = importlib.import_module("service.migrations.0007_team_participants")
    migration.credit_past_completions(apps, None)
    assert list(ServiceParticipant.objects.values_list("member_id", "hours")) == [(member_a.pk, Decimal("2"))]


def test_the_feedback_card_counts_a_team_members_part(team_request, member_a, teammate):
    from core.periods import QUARTER
    from service.feedback import feedback_cards_make
    from service.models import FeedbackCard

    services.request_complete(request=team_request, member=member_a, hours="2.5", note="", by=None)
    feedback_cards_make(period=Period.containing(QUARTER, timezone.localdate()))
    card = FeedbackCard.objects.get(member=teammate)
    assert (card.requests_done, card.hours) == (1, Decimal("2.5"))


@pytest.mark.parametrize("crafted", ["9" * 30, "²", "-1", ""])
def test_crafted_ids_are_told_and_change_nothing(login_as, tree, team, team_request, member_a, crafted):
    client = login_as("secretary_a")
    url = reverse("service:setup", args=[tree.branch_a.code])
    for data in (
        {"kind": "team_member", "team": crafted, "member": crafted},
        {"kind": "team_leave", "membership": crafted},
    ):
        assert client.post(url, data, follow=True).status_code == 200
    assert TeamMembership.objects.filter(left_on=None).count() == 1
    leader = login_as("member_a")
    done = reverse("service:complete", args=[team_request.pk])
    answer = leader.post(done, {"hours": "1", "participants_shown": "1", "participant": [crafted]})
    assert answer.status_code == 200 and "请至少选择一名参与服务的队员" in answer.content.decode()
    assert not ServiceParticipant.objects.exists()
