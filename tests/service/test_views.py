"""The service pages: the whole loop through the pages, refusals, masking, rate limits, constant queries."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from core.periods import Period, add_months
from service import services
from service.models import Registration, ServiceRequest
from tests.factories import MemberFactory

Status = ServiceRequest.Status


@pytest.fixture(autouse=True)
def _fresh_cache(own_cache):
    pass


def test_the_loop_through_the_pages(client, login_as, tree, grid, registered_a, member_a):
    # a resident scans the grid's poster and asks
    client.logout()
    page = client.get(reverse("service:ask", args=[grid.poster_key]))
    assert page.status_code == 200 and "东一网格" in page.content.decode()
    answer = client.post(
        reverse("service:ask", args=[grid.poster_key]),
        {"category": "daily", "text": "楼道灯坏了，请帮忙修理", "name": "赵大妈", "phone": "13800138000"},
    )
    item = ServiceRequest.objects.get()
    secret = re.search(r'查询码<br><strong class="big">(\w+)</strong>', answer.content.decode())[1]
    # the secretary sees it on the board, the phone masked, and dispatches
    secretary = login_as("secretary_a")
    board = secretary.get(reverse("service:board", args=[tree.branch_a.code]))
    assert item.receipt in board.content.decode()
    detail = secretary.get(reverse("service:request", args=[item.pk])).content.decode()
    assert "138****8000" in detail and "13800138000" not in detail
    secretary.post(reverse("service:dispatch", args=[item.pk]), {"member": member_a.pk})
    # the member accepts on the phone and completes
    member = login_as("member_a")
    assert item.text in member.get(reverse("service:mine")).content.decode()
    member.post(reverse("service:accept", args=[item.pk]))
    member.post(reverse("service:complete", args=[item.pk]), {"hours": "1.5", "note": "已更换灯泡"})
    item.refresh_from_db()
    assert (item.status, item.hours) == (Status.DONE, 1.5)
    # the resident follows it and rates it, once
    client.logout()
    tracked = client.post(reverse("service:track"), {"receipt": item.receipt, "secret": secret}).content.decode()
    link = re.search(r'href="(/service/rate/[^"]+)"', tracked)[1]
    client.post(link, {"stars": "5", "comment": "很好"})
    item.refresh_from_db()
    assert (item.status, item.rating) == (Status.RATED, 5)
    assert client.get(link).status_code == 404


def test_a_wrong_secret_shows_nothing(client, new_request):
    page = client.post(
        reverse("service:track"), {"receipt": new_request.receipt, "secret": "WRONG123"}
    ).content.decode()
    assert "受理编号或查询码不正确" in page and new_request.text not in page


def test_the_form_is_limited_per_phone(client, grid, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "service_ask_phone": (2, 86400)}
    data = {"category": "daily", "text": "楼道灯坏了，请帮忙修理", "name": "赵", "phone": "13800138000"}
    url = reverse("service:ask", args=[grid.poster_key])
    assert [client.post(url, data).status_code for _ in range(3)] == [200, 200, 429]
    assert client.post(url, {**data, "phone": "13900139000"}).status_code == 200
    assert ServiceRequest.objects.count() == 3


def test_the_form_is_limited_per_ip(client, grid, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "service_ask": (1, 86400)}
    url = reverse("service:ask", args=[grid.poster_key])
    data = {"category": "daily", "text": "楼道灯坏了，请帮忙修理", "name": "赵", "phone": "13800138000"}
    assert client.post(url, data).status_code == 200
    assert client.post(url, {**data, "phone": "13900139000"}).status_code == 429


def test_bad_input_is_told_where_and_writes_nothing(client, grid):
    page = client.post(
        reverse("service:ask", args=[grid.poster_key]),
        {"category": "daily", "text": "楼道灯坏了，请帮忙修理", "name": "赵", "phone": "12345"},
    ).content.decode()
    assert "手机号码应为11位" in page and not ServiceRequest.objects.exists()


def test_an_inactive_or_unknown_grid_is_not_found(client, grid):
    assert client.get(reverse("service:ask", args=["nope"])).status_code == 404
    type(grid).objects.filter(pk=grid.pk).update(is_active=False)
    assert client.get(reverse("service:ask", args=[grid.poster_key])).status_code == 404


@pytest.mark.parametrize(
    ("persona", "status"), [("secretary_b", 404), ("viewer", 403), ("member_a", 404), ("secretary_a", 200)]
)
def test_the_board_is_for_those_who_manage_the_community(login_as, tree, grid, persona, status):
    assert login_as(persona).get(reverse("service:board", args=[tree.branch_a.code])).status_code == status


@pytest.mark.parametrize(("persona", "status"), [("secretary_b", 404), ("viewer", 403), ("secretary_a", 302)])
def test_dispatch_is_refused_outside_or_without_manage(login_as, new_request, member_a, registered_a, persona, status):
    response = login_as(persona).post(reverse("service:dispatch", args=[new_request.pk]), {"member": member_a.pk})
    assert response.status_code == status
    assert ServiceRequest.objects.get(pk=new_request.pk).status == (Status.DISPATCHED if status == 302 else Status.NEW)


def test_a_member_not_registered_there_cannot_claim(login_as, new_request, member_a):
    assert login_as("member_a").post(reverse("service:claim", args=[new_request.pk])).status_code == 404


def test_registrations_mask_phones_without_view_sensitive(login_as, tree, registered_a, member_a):
    page = login_as("secretary_a").get(reverse("service:registrations", args=[tree.branch_a.code])).content.decode()
    assert member_a.name in page and member_a.phone not in page
    page = login_as("orgdept").get(reverse("service:registrations", args=[tree.branch_a.code])).content.decode()
    assert member_a.phone in page


def test_the_home_secretary_sees_where_their_members_reported(login_as, tree, registered_b, member_b):
    page = login_as("secretary_b").get(reverse("service:registrations", args=[tree.branch_b.code])).content.decode()
    assert member_b.name in page and tree.branch_a.name in page


def test_the_member_reports_through_the_page(login_as, tree, grid, post, member_a):
    page = login_as("member_a")
    page.post(
        reverse("service:register"),
        {"community": tree.branch_a.code, "grid": grid.pk, "post": post.pk, "skills": "电工"},
    )
    reg = Registration.objects.get(member=member_a)
    assert (reg.community, reg.grid, reg.post, reg.skills) == (tree.branch_a, grid, post, "电工")


@pytest.mark.parametrize("size", [1, 8])
def test_the_board_keeps_its_queries(login_as, tree, grid, size, django_assert_num_queries, registered_a, member_a):
    for i in range(size):
        item, _ = services.request_create(
            grid=grid, category="daily", text=f"第{i}件事情需要帮忙", name="赵", phone="13800138000"
        )
        services.request_dispatch(request=item, member=member_a, by=None)
    client = login_as("secretary_a")
    url = reverse("service:board", args=[tree.branch_a.code])
    client.get(url)
    with django_assert_num_queries(7):  # session, user, grants, community, grids, counts, rows
        client.get(url)


@pytest.mark.parametrize("size", [1, 8])
def test_the_figures_keep_their_queries(login_as, tree, grid, size, django_assert_num_queries):
    for _i in range(size):
        MemberFactory(branch=tree.branch_b)
        services.request_create(grid=grid, category="daily", text="楼道灯坏了请修理", name="赵", phone="13800138000")
    client = login_as("orgdept")
    this_year = timezone.localdate().year
    url = reverse("service:figures", args=[tree.town.code]) + f"?period={this_year}"  # a running period: computed
    client.get(url)
    with django_assert_num_queries(8):  # session, user, grants, branch; requests, registrations, communities, units
        client.get(url)


def test_the_figures_export_to_excel(login_as, tree, grid):
    response = login_as("orgdept").get(reverse("service:figures", args=[tree.town.code]) + "?format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_bad_period_is_told_and_the_last_month_shown(login_as, tree):
    page = login_as("orgdept").get(reverse("service:figures", args=[tree.town.code]) + "?period=abc").content.decode()
    last_month = Period.containing("month", add_months(timezone.localdate(), -1)).label
    assert "abc" in page and "统计期" in page and f'value="{last_month}"' in page


def test_the_figures_show_the_last_month_by_default(login_as, tree):
    """The last month ended: its figures are stored with the reports (read, not computed), the year a link away."""
    page = login_as("orgdept").get(reverse("service:figures", args=[tree.town.code])).content.decode()
    last_month = Period.containing("month", add_months(timezone.localdate(), -1)).label
    assert f'value="{last_month}"' in page and f"?period={timezone.localdate().year}" in page


def test_the_reports_dashboard_links_the_figures(login_as, tree):
    page = login_as("orgdept").get(reverse("reports:dashboard", args=[tree.town.code])).content.decode()
    assert reverse("service:figures", args=[tree.town.code]) in page


@pytest.fixture
def photo(grid):
    from django.core.files.uploadedfile import SimpleUploadedFile

    item, _ = services.request_create(
        grid=grid,
        category="daily",
        text="楼道灯坏了请修理",
        name="赵",
        phone="13800138000",
        photos=[SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)],
    )
    return item.photos.get()


@pytest.mark.parametrize(
    ("persona", "status"), [("secretary_a", 200), ("secretary_b", 404), ("viewer", 403), ("member_a", 404)]
)
def test_a_photo_is_for_those_who_manage_the_community(login_as, photo, persona, status):
    assert login_as(persona).get(reverse("service:photo", args=[photo.pk])).status_code == status


def test_the_member_in_charge_sees_the_photos(login_as, photo, registered_a, member_a):
    services.request_claim(request=photo.request, member=member_a, by=None)
    client = login_as("member_a")
    assert client.get(reverse("service:photo", args=[photo.pk])).status_code == 200
    assert (
        reverse("service:photo", args=[photo.pk])
        in client.get(reverse("service:complete", args=[photo.request.pk])).content.decode()
    )


def test_the_resident_form_takes_photos(client, grid):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(
        reverse("service:ask", args=[grid.poster_key]),
        {
            "category": "daily",
            "text": "楼道灯坏了，请帮忙修理",
            "name": "赵",
            "phone": "13800138000",
            "photos": [SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)],
        },
    )
    assert ServiceRequest.objects.get().photos.count() == 1


def test_dispatch_to_someone_not_registered_is_told_and_changes_nothing(login_as, new_request, member_c):
    client = login_as("orgdept")
    response = client.post(reverse("service:dispatch", args=[new_request.pk]), {"member": member_c.pk}, follow=True)
    assert "未在本社区报到" in response.content.decode()
    assert ServiceRequest.objects.get(pk=new_request.pk).status == Status.NEW
    response = client.post(reverse("service:dispatch", args=[new_request.pk]), {"member": "x"}, follow=True)
    assert "请选择派单对象" in response.content.decode()


def test_an_unknown_community_code_is_told_on_the_register_page(login_as, member_a):
    page = login_as("member_a").post(reverse("service:register"), {"community": "NOPE"}).content.decode()
    assert "没有这个名称或组织编码的社区党组织" in page and not Registration.objects.exists()


def test_closing_without_a_reason_is_told(login_as, new_request):
    response = login_as("secretary_a").post(
        reverse("service:close", args=[new_request.pk]), {"reason": ""}, follow=True
    )
    assert "关闭诉求须填写原因" in response.content.decode()
    assert ServiceRequest.objects.get(pk=new_request.pk).status == Status.NEW


def test_the_board_ignores_a_bad_filter(login_as, tree, new_request):
    page = login_as("secretary_a").get(reverse("service:board", args=[tree.branch_a.code]) + "?grid=x&status=nope")
    assert page.status_code == 200 and new_request.receipt in page.content.decode()


def test_completing_with_bad_hours_says_where(login_as, registered_a, member_a, new_request):
    services.request_claim(request=new_request, member=member_a, by=None)
    page = (
        login_as("member_a").post(reverse("service:complete", args=[new_request.pk]), {"hours": "30"}).content.decode()
    )
    assert "服务时长应大于0" in page
    assert ServiceRequest.objects.get(pk=new_request.pk).status == Status.IN_PROGRESS
