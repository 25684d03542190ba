import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from branches import access
from members.models import Position
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

START = datetime.date(2024, 1, 10)


def _appoint_url(code: str) -> str:
    return reverse("members:position_appoint", args=[code])


def _end_url(position: Position) -> str:
    return reverse("members:position_end", args=[position.pk])


@pytest.fixture
def grid_leader(tree, member_a):
    return Position.objects.create(member=member_a, branch=tree.branch_a, title="grid_leader", started_on=START)


def _assert_login_redirect(response):
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# Refusals


def test_anonymous_is_sent_to_login(client, tree, grid_leader):
    _assert_login_redirect(client.get(_appoint_url("BA")))
    _assert_login_redirect(client.post(_appoint_url("BA"), {"title": "secretary"}))
    _assert_login_redirect(client.post(_end_url(grid_leader), {"on": "2024-02-01"}))


@pytest.mark.parametrize("persona", ["secretary_b", "other_orgdept", "member_a"])
def test_outside_the_subtree_is_404(login_as, tree, grid_leader, persona):
    client = login_as(persona)
    assert client.get(_appoint_url("BA")).status_code == 404
    assert client.post(_appoint_url("BA"), {"member": grid_leader.member_id, "title": "secretary"}).status_code == 404
    assert client.post(_end_url(grid_leader), {"on": "2024-02-01"}).status_code == 404
    assert not Position.objects.filter(title="secretary").exists()


@pytest.mark.parametrize("persona", ["viewer", "reviewer"])
def test_inside_without_manage_is_403(login_as, tree, grid_leader, persona):
    client = login_as(persona)
    assert client.get(_appoint_url("BA")).status_code == 403
    assert client.post(_end_url(grid_leader), {"on": "2024-02-01"}).status_code == 403
    grid_leader.refresh_from_db()
    assert grid_leader.ended_on is None


def test_appointing_someone_outside_the_branch_is_refused(login_as, tree, member_a, member_b):
    response = login_as("orgdept").post(
        _appoint_url("BA"), {"member": member_b.pk, "title": "committee", "on": "2024-02-01"}
    )
    assert response.status_code == 200 and "member" in response.context["form"].errors
    assert not Position.objects.exists()


# Appointing and ending through the pages


def test_appoint_page_lists_members_of_the_branch(login_as, tree, member_a, member_b):
    form = login_as("secretary_a").get(_appoint_url("BA")).context["form"]
    labels = [label for _, label in form.fields["member"].choices]
    assert "李明（东村第一网格党支部）" in labels and not any("王芳" in label for label in labels)


def test_appoint_page_searches_by_name(login_as, tree, member_a):
    MemberFactory(branch=tree.branch_a, name="赵强")
    form = login_as("secretary_a").get(_appoint_url("BA"), {"q": "赵"}).context["form"]
    assert [label for _, label in form.fields["member"].choices][1:] == ["赵强（东村第一网格党支部）"]


def test_group_leader_is_chosen_among_the_groups_members(login_as, tree, member_a):
    MemberFactory(branch=tree.branch_a, name="无小组")
    form = login_as("secretary_a").get(_appoint_url("GA")).context["form"]
    assert [label for _, label in form.fields["member"].choices][1:] == ["李明（东村第一网格党支部）"]


def _confirm_through_the_pages(client, member, issuer) -> None:
    """``issuer`` issues the 任职确认码 on the member page; the member enters it on their own page."""
    client.force_login(issuer)
    code = client.post(reverse("members:position_code", args=[member.pk])).context["code"]
    client.force_login(member.user)
    client.post(reverse("members:confirm_position"), {"code": code})
    client.force_login(issuer)


def test_appointing_a_secretary_grants_manage_and_ending_revokes(login_as, tree, member_a, orgdept):
    client = login_as("orgdept")
    response = client.post(_appoint_url("BA"), {"member": member_a.pk, "title": "secretary", "on": "2024-02-01"})
    assert response.status_code == 302 and response.url == reverse("branches:detail", args=["BA"])
    position = Position.objects.get(member=member_a, branch=tree.branch_a, title="secretary")
    assert position.started_on == datetime.date(2024, 2, 1)
    assert not access.has_perm(member_a.user, access.MANAGE, tree.branch_a)  # the account was not vouched for
    _confirm_through_the_pages(client, member_a, orgdept)
    access.forget(member_a.user)
    assert access.has_perm(member_a.user, access.MANAGE, tree.branch_a)

    page = client.get(reverse("branches:detail", args=["BA"])).content.decode()
    assert "书记" in page and _end_url(position) in page

    response = client.post(_end_url(position), {"on": timezone.localdate().isoformat()})
    assert response.status_code == 302
    position.refresh_from_db()
    assert position.ended_on == timezone.localdate()
    access.forget(member_a.user)
    assert not access.has_perm(member_a.user, access.MANAGE, tree.branch_a)


def test_new_secretary_can_then_manage_the_branch(client, tree, member_a, orgdept):
    client.force_login(orgdept)
    client.post(_appoint_url("BA"), {"member": member_a.pk, "title": "secretary", "on": "2024-02-01"})
    client.force_login(member_a.user)
    assert client.get(reverse("branches:rename", args=["BA"])).status_code == 404  # pending
    _confirm_through_the_pages(client, member_a, orgdept)
    client.force_login(member_a.user)
    assert client.get(reverse("branches:rename", args=["BA"])).status_code == 200


def test_second_secretary_shows_service_error_and_keeps_choice(login_as, tree, member_a):
    other = MemberFactory(branch=tree.branch_a, name="周杰")
    Position.objects.create(member=other, branch=tree.branch_a, title="secretary", started_on=START)
    response = login_as("secretary_a").post(
        _appoint_url("BA"), {"member": member_a.pk, "title": "secretary", "on": "2024-02-01"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["title"] == ["“东村第一网格党支部”已有在任书记，请先办理离任"]
    assert f'<option value="{member_a.pk}" selected>' in response.content.decode()
    assert Position.objects.filter(title="secretary").count() == 1


def test_end_before_start_shows_service_error(login_as, tree, grid_leader):
    response = login_as("secretary_a").post(_end_url(grid_leader), {"on": "2024-01-01"})
    assert response.status_code == 200
    assert response.context["form"].errors["on"] == ["离任日期不能早于任职日期"]
    grid_leader.refresh_from_db()
    assert grid_leader.ended_on is None


def test_end_page_refuses_a_position_already_ended(login_as, tree, grid_leader):
    client = login_as("secretary_a")
    client.post(_end_url(grid_leader), {"on": "2024-02-01"})
    response = client.post(_end_url(grid_leader), {"on": "2024-03-01"})
    assert response.context["form"].non_field_errors() == ["该职务已离任"]
    grid_leader.refresh_from_db()
    assert grid_leader.ended_on == datetime.date(2024, 2, 1)


def test_appoint_refuses_a_future_date(login_as, tree, member_a):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = login_as("secretary_a").post(
        _appoint_url("BA"), {"member": member_a.pk, "title": "grid_leader", "on": tomorrow.isoformat()}
    )
    assert response.context["form"].errors["on"] == ["日期不能晚于今天"]
