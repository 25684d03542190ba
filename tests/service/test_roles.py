"""Grid heads (网格长) and grid workers (网格员) act on the community's requests through their position: the grid
titles grant ``dispatch_requests`` and ``serve_community`` at the position's branch, once the holder's account
is vouched for there (a 任职确认码), and lose them when the position ends (docs/rules/service.md, "Who may do
what")."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from branches import access
from members.accounts import activation_code_issue, position_code_issue, position_grant_confirm
from members.models import Position
from members.services import position_appoint, position_end
from service import services
from service.models import ServiceRequest, ServiceRequestEvent
from tests.factories import MemberFactory, UserFactory


def _holder(tree, secretary, title: str, *, username: str, confirm: bool = True, branch=None):
    """A member of branch A with an account, appointed to ``title`` (at branch A unless ``branch``), and the
    grant confirmed with a 任职确认码 the secretary issued (unless ``confirm`` is False)."""
    member = MemberFactory(branch=tree.branch_a, user=UserFactory(username=username))
    position_appoint(member=member, branch=branch or tree.branch_a, title=title, on=timezone.localdate(), by=secretary)
    if confirm:
        position_grant_confirm(member=member, code=position_code_issue(member=member, by=secretary))
    member.user.refresh_from_db()
    return member


@pytest.fixture
def grid_head(tree, secretary_a):
    return _holder(tree, secretary_a, Position.Title.GRID_LEADER, username="grid_head")


@pytest.fixture
def grid_worker(tree, secretary_a):
    return _holder(tree, secretary_a, Position.Title.GRID_WORKER, username="grid_worker")


@pytest.fixture
def request_b(tree, secretary_b):
    grid_b = services.grid_create(community=tree.branch_b, name="西一网格", by=secretary_b)
    item, _secret = services.request_create(
        grid=grid_b, category="daily", text="西村的诉求", name="钱", phone="13900139000"
    )
    return item


def _answers(client, tree, item, grid) -> dict[str, int]:
    code = tree.branch_a.code
    return {
        "board": client.get(reverse("service:board", args=[code])).status_code,
        "request": client.get(reverse("service:request", args=[item.pk])).status_code,
        "enter": client.get(reverse("service:enter", args=[code])).status_code,
        "poster": client.get(reverse("service:poster", args=[grid.pk])).status_code,
        "setup": client.get(reverse("service:setup", args=[code])).status_code,
        "registrations": client.get(reverse("service:registrations", args=[code])).status_code,
    }


def test_a_grid_head_has_the_board_requests_and_posters_not_the_setup(client, tree, grid, grid_head, new_request):
    client.force_login(grid_head.user)
    assert _answers(client, tree, new_request, grid) == {
        "board": 200,
        "request": 200,
        "enter": 200,
        "poster": 200,
        "setup": 403,
        "registrations": 403,
    }


def test_a_grid_worker_has_the_board_requests_and_entering_only(client, tree, grid, grid_worker, new_request):
    client.force_login(grid_worker.user)
    assert _answers(client, tree, new_request, grid) == {
        "board": 200,
        "request": 200,
        "enter": 200,
        "poster": 403,
        "setup": 403,
        "registrations": 403,
    }


def test_a_grid_head_dispatches_notes_and_closes(client, grid_head, new_request, registered_a, member_a):
    client.force_login(grid_head.user)
    client.post(reverse("service:note", args=[new_request.pk]), {"note": "已电话联系"})
    client.post(reverse("service:dispatch", args=[new_request.pk]), {"member": member_a.pk})
    new_request.refresh_from_db()
    assert (new_request.status, new_request.assignee) == ("dispatched", member_a)
    client.post(reverse("service:close", args=[new_request.pk]), {"reason": "居民已自行解决"})
    new_request.refresh_from_db()
    assert new_request.status == "closed"
    kinds = list(new_request.events.filter(by=grid_head.user).values_list("kind", flat=True))
    assert set(kinds) == {
        ServiceRequestEvent.Kind.NOTE,
        ServiceRequestEvent.Kind.DISPATCHED,
        ServiceRequestEvent.Kind.CLOSED,
    }


def test_a_grid_worker_notes_and_enters_but_may_not_dispatch_or_close(
    client, tree, grid, grid_worker, new_request, registered_a, member_a
):
    client.force_login(grid_worker.user)
    page = client.get(reverse("service:request", args=[new_request.pk])).content.decode()
    assert reverse("service:note", args=[new_request.pk]) in page
    assert reverse("service:dispatch", args=[new_request.pk]) not in page
    assert reverse("service:close", args=[new_request.pk]) not in page
    assert client.post(reverse("service:dispatch", args=[new_request.pk]), {"member": member_a.pk}).status_code == 403
    assert client.post(reverse("service:close", args=[new_request.pk]), {"reason": "不办了"}).status_code == 403
    new_request.refresh_from_db()
    assert (new_request.status, new_request.assignee) == ("new", None)
    client.post(reverse("service:note", args=[new_request.pk]), {"note": "已上门了解"})
    entered = {
        "category": "daily",
        "text": "独居老人需要买药",
        "name": "孙奶奶",
        "phone": "13700137000",
        "grid": grid.pk,
    }
    client.post(reverse("service:enter", args=[tree.branch_a.code]), entered)
    created = ServiceRequest.objects.exclude(pk=new_request.pk).get()
    assert created.events.get().by == grid_worker.user
    assert new_request.events.get(kind=ServiceRequestEvent.Kind.NOTE).by == grid_worker.user


def test_the_board_links_nothing_a_grid_worker_is_refused(client, tree, grid, grid_worker, new_request):
    client.force_login(grid_worker.user)
    page = client.get(reverse("service:board", args=[tree.branch_a.code])).content.decode()
    assert reverse("service:enter", args=[tree.branch_a.code]) in page
    for refused in ("service:setup", "service:registrations"):
        assert reverse(refused, args=[tree.branch_a.code]) not in page
    assert reverse("service:poster", args=[grid.pk]) not in page


def test_another_communitys_requests_are_not_found(client, tree, grid_head, request_b):
    client.force_login(grid_head.user)
    assert client.get(reverse("service:board", args=[tree.branch_b.code])).status_code == 404
    assert client.get(reverse("service:request", args=[request_b.pk])).status_code == 404
    assert client.post(reverse("service:close", args=[request_b.pk]), {"reason": "x"}).status_code == 404
    request_b.refresh_from_db()
    assert request_b.status == "new"


def test_serving_reads_nothing_else_of_the_branch(client, tree, grid_head, member_a):
    client.force_login(grid_head.user)
    assert not access.can_view(grid_head.user, tree.branch_a)
    assert client.get(reverse("branches:detail", args=[tree.branch_a.code])).status_code == 404
    assert client.get(reverse("members:detail", args=[member_a.pk])).status_code == 404


def test_an_unconfirmed_grid_position_grants_nothing(client, tree, secretary_a, new_request):
    pending = _holder(tree, secretary_a, Position.Title.GRID_LEADER, username="pending_head", confirm=False)
    assert pending.positions.get().grant_pending
    client.force_login(pending.user)
    assert client.get(reverse("service:board", args=[tree.branch_a.code])).status_code == 404
    assert client.post(reverse("service:close", args=[new_request.pk]), {"reason": "x"}).status_code == 404
    new_request.refresh_from_db()
    assert new_request.status == "new"


def test_an_ended_position_loses_the_right(client, tree, grid_worker, secretary_a):
    client.force_login(grid_worker.user)
    assert client.get(reverse("service:board", args=[tree.branch_a.code])).status_code == 200
    position_end(position=grid_worker.positions.get(), on=timezone.localdate(), by=secretary_a)
    assert client.get(reverse("service:board", args=[tree.branch_a.code])).status_code == 404
    assert access.holders_branches(grid_worker.user, access.SERVE) == []


def test_a_grid_position_needs_an_activation_code_like_a_committee_one(tree, secretary_a):
    member = MemberFactory(branch=tree.branch_a)
    position_appoint(
        member=member,
        branch=tree.branch_a,
        title=Position.Title.GRID_WORKER,
        on=timezone.localdate() - datetime.timedelta(days=1),
    )
    assert activation_code_issue(member=member, by=secretary_a)  # refused ("code_not_needed") for a plain member


def test_a_grid_position_below_the_community_serves_only_there(client, tree, secretary_a):
    head = _holder(tree, secretary_a, Position.Title.GRID_LEADER, username="group_head", branch=tree.group_a)
    client.force_login(head.user)
    assert client.get(reverse("service:board", args=[tree.branch_a.code])).status_code == 404


def test_the_menu_leads_a_grid_worker_to_the_board(client, tree, grid_worker):
    client.force_login(grid_worker.user)
    home = client.get(reverse("home")).content.decode()
    assert reverse("service:serving") in home
    answer = client.get(reverse("service:serving"))
    assert answer.status_code == 302 and answer["Location"] == reverse("service:board", args=[tree.branch_a.code])


def test_the_menu_has_no_board_for_a_plain_member(login_as, member_a):
    client = login_as("member_a")
    assert reverse("service:serving") not in client.get(reverse("home")).content.decode()
    assert client.get(reverse("service:serving")).status_code == 404


def test_a_grid_worker_is_not_remembered_on_a_phone_by_default(grid_worker, settings):
    from members import accounts

    settings.REMEMBER_PHONE_STAFF = False
    assert not accounts.may_stay_logged_in(grid_worker.user)
    settings.REMEMBER_PHONE_STAFF = True
    assert accounts.may_stay_logged_in(grid_worker.user)


@pytest.mark.parametrize("crafted", ["9" * 30, "²"])
def test_crafted_ids_on_the_community_pages_never_fail(login_as, tree, grid, new_request, crafted):
    client = login_as("secretary_a")
    code = tree.branch_a.code
    assert client.get(reverse("service:board", args=[code]), {"grid": crafted}).status_code == 200
    dispatched = client.post(reverse("service:dispatch", args=[new_request.pk]), {"member": crafted, "team": crafted})
    assert dispatched.status_code == 302
    founded = client.post(reverse("service:setup", args=[code]), {"kind": "team", "name": "服务队", "leader": crafted})
    assert founded.status_code == 200
    new_request.refresh_from_db()
    assert (new_request.status, new_request.assignee) == ("new", None)
