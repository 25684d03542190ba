"""Volunteer teams: a request dispatched to a team is accepted and completed by its leader, a current registrant."""

from __future__ import annotations

import pytest
from django.urls import reverse

from service import services
from service.errors import ServiceError
from service.models import ServiceRequest, VolunteerTeam


@pytest.fixture
def team(tree, registered_a, member_a):
    return services.team_create(community=tree.branch_a, name="红色先锋服务队", leader=member_a, by=None)


def test_a_team_is_led_by_a_current_registrant_of_the_community(tree, member_c):
    with pytest.raises(ServiceError) as error:
        services.team_create(community=tree.branch_a, name="服务队", leader=member_c, by=None)
    assert error.value.code == "not_registered"
    assert not VolunteerTeam.objects.exists()


def test_a_team_dispatch_goes_to_its_leader_and_back_to_the_pool_if_late(team, member_a, new_request):
    import datetime

    from django.utils import timezone

    now = timezone.now()
    services.request_dispatch(request=new_request, team=team, by=None, now=now)
    item = ServiceRequest.objects.get(pk=new_request.pk)
    assert (item.assignee, item.team, item.status) == (member_a, team, "dispatched")
    assert services.requests_return_overdue(now=now + datetime.timedelta(hours=48)) == 1
    item.refresh_from_db()
    assert (item.assignee, item.team, item.status) == (None, None, "new")


def test_the_leader_accepts_and_completes_for_the_team(team, member_a, new_request):
    services.request_dispatch(request=new_request, team=team, by=None)
    services.request_accept(request=new_request, member=member_a, by=None)
    done = services.request_complete(request=new_request, member=member_a, hours="2", note="", by=None)
    assert (done.status, done.team) == ("done", team)


def test_a_team_of_another_community_or_no_one_is_refused(team, tree, new_request, registered_b, member_b):
    other = VolunteerTeam.objects.create(community=tree.branch_b, name="别处服务队", leader=member_b)
    with pytest.raises(ServiceError) as error:
        services.request_dispatch(request=new_request, team=other, by=None)
    assert error.value.code == "wrong_team"
    with pytest.raises(ServiceError) as error:
        services.request_dispatch(request=new_request, by=None)
    assert error.value.code == "no_assignee"
    assert ServiceRequest.objects.get(pk=new_request.pk).status == "new"


def test_the_secretary_founds_a_team_and_dispatches_to_it(login_as, tree, registered_a, member_a, new_request):
    client = login_as("secretary_a")
    client.post(
        reverse("service:setup", args=[tree.branch_a.code]), {"kind": "team", "name": "先锋队", "leader": member_a.pk}
    )
    team = VolunteerTeam.objects.get()
    assert team.leader == member_a
    assert "先锋队" in client.get(reverse("service:request", args=[new_request.pk])).content.decode()
    client.post(reverse("service:dispatch", args=[new_request.pk]), {"team": team.pk})
    assert ServiceRequest.objects.get(pk=new_request.pk).team == team
