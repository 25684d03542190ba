"""The 为民服务 figures stored with the periodic reports (service.models.ServiceFigures, written by
reports.services.reports_compute): equal to the live computation, read by the figures page of an ended period and
by the reports dashboard's section at a constant number of queries."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.periods import MONTH, Period, add_months
from members.models import Member
from reports.services import reports_compute
from service import services
from service.figures import figures, stored
from service.models import Registration, ServiceFigures, ServiceRequest

TODAY = timezone.localdate()
LAST_MONTH = Period.containing(MONTH, add_months(TODAY, -1))


def _in_last_month(request, day: int, hours: int = 0) -> None:
    at = timezone.make_aware(datetime.datetime(LAST_MONTH.year, LAST_MONTH.index, day, 9))
    ServiceRequest.objects.filter(pk=request.pk).update(created_at=at)
    if hours:
        ServiceRequest.objects.filter(pk=request.pk).update(completed_at=at + datetime.timedelta(hours=hours))


@pytest.fixture
def loop_data(tree, grid, member_a, member_b, registered_a, registered_b):
    """Two employed members (branches A and B) registered at branch A; four requests of last month: one done in
    5 hours and rated 4, one done in 9 hours, one open, one closed; one of this month (not counted)."""
    Member.objects.filter(pk__in=[member_a.pk, member_b.pk]).update(occupation=Member.Occupation.EMPLOYED)
    Registration.objects.update(registered_on=LAST_MONTH.start, confirmed_on=LAST_MONTH.start)
    made = []
    for _i in range(5):
        request, _secret = services.request_create(
            grid=grid, category="daily", text="楼道灯坏了请修理", name="赵", phone="13800138000"
        )
        made.append(request)
    first, second, _open, closed, _later = made
    for request, hours, day in ((first, 5, 3), (second, 9, 10)):
        services.request_claim(request=request, member=member_a, by=None)
        services.request_complete(request=request, member=member_a, hours="1", note="", by=None)
        _in_last_month(request, day, hours)
    ServiceRequest.objects.filter(pk=first.pk).update(rating=4, status=ServiceRequest.Status.RATED)
    services.request_close(request=closed, reason="重复", by=None)
    for request, day in ((_open, 12), (closed, 20)):
        _in_last_month(request, day)
    return made


def _summary(data):
    loop = lambda x: (x.received, x.completed, x.rate, x.median_hours, x.satisfaction)  # noqa: E731
    return {
        "total": loop(data.total),
        "rate": (data.registered, data.employed, data.rate),
        "communities": sorted((b.pk, n, loop(x)) for b, n, x in data.communities),
        "units": [(u.branch_id, u.name, u.employed, u.registered, u.rate) for u in data.units],
        "months": [(label, x.received, x.completed, x.rate, x.satisfaction) for label, x in data.months],
    }


@pytest.mark.parametrize("root", ["town", "village_a", "branch_b"])
def test_the_stored_figures_equal_the_live_ones(tree, loop_data, root):
    reports_compute(period=LAST_MONTH.label, branch=tree.town, today=TODAY)
    branch = getattr(tree, root)
    live = figures(root=branch, period=LAST_MONTH, today=TODAY)
    kept = stored(root=branch, period=LAST_MONTH)
    assert kept is not None and kept.computed_at is not None
    assert _summary(kept) == _summary(live)
    if root == "town":
        assert live.total.received == 4 and live.total.completed == 2 and str(live.total.median_hours) == "7.0"
        assert (live.registered, live.employed) == (2, 2)


def test_a_year_keeps_its_months(tree, loop_data):
    year = Period.containing("year", datetime.date(TODAY.year - 1, 1, 1))
    march = timezone.make_aware(datetime.datetime(year.year, 3, 15, 9))
    ServiceRequest.objects.filter(pk=loop_data[0].pk).update(created_at=march)
    reports_compute(period=year.label, branch=tree.town, today=TODAY)
    live, kept = figures(root=tree.town, period=year, today=TODAY), stored(root=tree.town, period=year)
    assert _summary(kept) == _summary(live) and len(kept.months) == 12
    assert kept.months[2][1].received == 1


def test_recomputing_rewrites_the_same_rows(tree, loop_data):
    reports_compute(period=LAST_MONTH.label, branch=tree.town, today=TODAY)
    count = ServiceFigures.objects.count()
    reports_compute(period=LAST_MONTH.label, branch=tree.town, today=TODAY)
    assert ServiceFigures.objects.count() == count > 0


def test_a_running_period_is_not_read_from_stored_rows(tree, loop_data):
    this_month = Period.containing(MONTH, TODAY)
    reports_compute(period=this_month.label, branch=tree.town, today=TODAY)
    assert stored(root=tree.town, period=this_month) is None


@pytest.mark.parametrize("size", [1, 6])
def test_the_figures_page_of_an_ended_period_reads_the_stored_rows(
    login_as, tree, loop_data, grid, size, django_assert_num_queries
):
    for i in range(size):
        services.grid_create(community=tree.branch_b, name=f"西{i}网格", by=None)
    reports_compute(period=LAST_MONTH.label, branch=tree.town, today=TODAY)
    ServiceRequest.objects.all().update(rating=1)  # after the computation: the page shows what was stored
    client = login_as("orgdept")
    url = reverse("service:figures", args=[tree.town.code]) + f"?period={LAST_MONTH.label}"
    client.get(url)
    with django_assert_num_queries(6):  # session, user, grants, branch; the subtree's size, the stored rows
        page = client.get(url).content.decode()
    assert "4.00" in page and tree.branch_a.name in page


def test_the_dashboard_shows_the_stored_service_section(login_as, tree, loop_data):
    reports_compute(period=LAST_MONTH.label, branch=tree.town, today=TODAY)
    page = login_as("orgdept").get(reverse("reports:dashboard", args=[tree.town.code]), {"period": LAST_MONTH.label})
    text = page.content.decode()
    assert "为民服务" in text and "100.0%" in text  # both employed members registered
    assert "2/4" in text and tree.village_a.name in text  # completed/received; a child's row


def test_the_figures_page_reads_the_last_month_stored_by_default(login_as, tree, loop_data, django_assert_num_queries):
    reports_compute(period=LAST_MONTH.label, branch=tree.town, today=TODAY)
    client = login_as("orgdept")
    url = reverse("service:figures", args=[tree.town.code])
    client.get(url)
    with django_assert_num_queries(6):  # session, user, grants, branch; the subtree's size, the stored rows
        assert "数据计算于" in client.get(url).content.decode()


def test_a_large_subtree_shows_its_units_per_child(login_as, tree, loop_data, settings, django_assert_num_queries):
    """Over more than LARGE_SUBTREE_BRANCHES nodes (a city) the stored page sums the units per child, each a link
    to the child's own page; the Excel file still lists every unit."""
    settings.LARGE_SUBTREE_BRANCHES = 3
    reports_compute(period=LAST_MONTH.label, branch=tree.town, today=TODAY)
    client = login_as("orgdept")
    url = reverse("service:figures", args=[tree.town.code]) + f"?period={LAST_MONTH.label}"
    client.get(url)
    with django_assert_num_queries(6):  # session, user, grants, branch; the subtree's size, the stored rows
        page = client.get(url).content.decode()
    child = reverse("service:figures", args=[tree.village_a.code]) + f"?period={LAST_MONTH.label}"
    assert child in page and "按下级组织" in page
    assert tree.branch_a.name in page  # the community's own row stays
    data = stored(root=tree.town, period=LAST_MONTH, per_child=True)
    assert [(u.code, u.employed, u.registered) for u in data.units] == [("VA", 1, 1), ("VB", 1, 1)]
    response = client.get(url + "&format=xlsx")
    assert response.status_code == 200
