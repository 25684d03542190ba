"""The workbench at any size (issue 15, "Every page at city scale"): each section a count and its first
rows, one section in full by pages (``?show=``), one managed subtree (``?branch=``), and a large
subtree summarized per child with the figures kept a few minutes (branches.summaries)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities import leave as leave_services
from activities.models import Activity
from activities.page_selectors import WORKBENCH_LIMIT
from branches import access
from tests.activities.test_lapse import on_roster_since
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)
URL = reverse("activities:workbench")


@pytest.fixture(autouse=True)
def _empty_cache(own_cache):
    pass


def _silent(branch, name: str):
    """A member under the art. 9 warning: on the roster for years, no meeting, no dues."""
    return on_roster_since(MemberFactory(branch=branch, name=name, joined_on=datetime.date(2010, 1, 1)),
                           datetime.date(2020, 1, 1))  # fmt: skip


def test_each_section_counts_all_its_rows_and_shows_the_first_ones(login_as, make_activity, tree):
    for i in range(WORKBENCH_LIMIT + 2):
        make_activity(tree.branch_a, Activity.Kind.THEME_DAY, start=timezone.now() - (i + 5) * HOUR)

    response = login_as("secretary_a").get(URL)

    wb = response.context["wb"]
    assert wb.counts["to_log"] == WORKBENCH_LIMIT + 2 and len(wb.to_log) == WORKBENCH_LIMIT
    assert "?show=to_log" in response.text and "查看全部 12 项" in response.text


def test_to_log_and_upcoming_come_in_the_order_they_end(login_as, make_activity, tree):
    now = timezone.now()
    long = make_activity(tree.branch_a, start=now - 9 * HOUR, hours=6)  # ended 3 hours ago
    short = make_activity(tree.branch_a, start=now - 8 * HOUR, hours=1)  # ended 7 hours ago

    wb = login_as("secretary_a").get(URL).context["wb"]

    assert [a.pk for a in wb.to_log] == [short.pk, long.pk]


@pytest.mark.parametrize("size", [1, 35])
def test_a_section_in_full_comes_by_pages_of_30_in_the_same_queries(
    login_as, make_activity, tree, size, django_assert_num_queries
):
    for i in range(size):
        make_activity(tree.branch_a, Activity.Kind.THEME_DAY, start=timezone.now() - (i + 5) * HOUR)
    client = login_as("secretary_a")

    with django_assert_num_queries(6):  # session, user, grants, roots, the root's size, the page's rows
        response = client.get(URL, {"show": "to_log"})

    page = response.context["page"]
    assert len(page.items) == min(size, 30) and page.has_next == (size > 30)
    if size > 30:
        assert len(client.get(URL, {"show": "to_log", "page": 2}).context["page"].items) == size - 30


def test_the_art9_section_in_full_lists_every_member_warned(login_as, tree):
    names = {f"沉默{i:02d}" for i in range(WORKBENCH_LIMIT + 3)}
    for name in names:
        _silent(tree.branch_a, name)

    response = login_as("secretary_a").get(URL, {"show": "lapsed"})

    assert {m.name for m in response.context["page"].items} == names


def test_leave_to_decide_in_full(login_as, make_activity, tree, member_a):
    coming = make_activity(tree.branch_a, start=timezone.now() + 24 * HOUR)
    leave_services.leave_request_create(activity=coming, member=member_a, reason="出差")

    response = login_as("secretary_a").get(URL, {"show": "leave"})

    assert [leave.member_id for leave in response.context["page"].items] == [member_a.pk]
    assert "出差" in response.text


def test_one_managed_subtree_alone(login_as, make_activity, tree):
    make_activity(tree.branch_a, title="东村的会", start=timezone.now() - 5 * HOUR)
    make_activity(tree.branch_b, title="西村的会", start=timezone.now() - 5 * HOUR)

    response = login_as("orgdept").get(URL, {"branch": "BB"})

    assert [a.title for a in response.context["wb"].to_log] == ["西村的会"]
    assert [r.code for r in response.context["wb"].roots] == ["BB"]


def test_a_subtree_outside_the_users_is_not_found_and_one_they_only_read_is_forbidden(login_as, tree, client):
    assert login_as("secretary_a").get(URL, {"branch": "BB"}).status_code == 404
    reader = UserFactory(username="reads_the_town")
    access.grant(reader, access.MANAGE, tree.branch_a)
    access.grant(reader, access.VIEW, tree.town)
    client.force_login(reader)
    assert client.get(URL, {"branch": "BB"}).status_code == 403
    assert client.get(URL, {"branch": "BA"}).status_code == 200


def test_a_large_subtree_is_summarized_per_child_in_every_section_and_its_figures_kept(
    login_as, make_activity, tree, member_a, settings
):
    settings.LARGE_SUBTREE_BRANCHES = 3  # the town has 7 nodes
    _silent(tree.branch_a, "东村沉默")
    _silent(tree.branch_b, "西村沉默")
    make_activity(tree.branch_b, title="西村的会", start=timezone.now() - 5 * HOUR)
    coming = make_activity(tree.branch_a, start=timezone.now() + 24 * HOUR)
    leave_services.leave_request_create(activity=coming, member=member_a, reason="出差")
    client = login_as("orgdept")

    with CaptureQueriesContext(connection) as computed:
        first = client.get(URL)
    with CaptureQueriesContext(connection) as kept:
        again = client.get(URL)

    wb = first.context["wb"]
    assert wb.lapsed == wb.missing == wb.to_log == wb.upcoming == wb.leave_requests == []
    per_child = {s: {(c.branch.code, c.count) for c in rows} for s, rows in wb.by_child.items()}
    assert per_child["lapsed"] == {("VA", 1), ("VB", 1)} and per_child["to_log"] == {("VB", 1)}
    assert per_child["leave"] == {("VA", 1)} and per_child["upcoming"] == {("VA", 1)}
    assert {code for code, _ in per_child["missing"]} == {"VA", "VB"}
    assert wb.totals["lapsed"] == 2 and wb.totals["missing"] == sum(n for _, n in per_child["missing"])
    assert again.context["wb"].computed_at == wb.computed_at is not None
    assert "?branch=VA" in again.text and "统计于" in again.text
    # Kept: neither the compliance report (five queries) nor the sections' rows per child (four) again.
    assert len(computed) - len(kept) >= 9
    assert not any("activities_attendance" in q["sql"] for q in kept.captured_queries)
    # The drill-down: the village (4 nodes) per child again, its branch (3) computed at once, row by row.
    assert [c.branch.code for c in client.get(URL, {"branch": "VA"}).context["wb"].by_child["lapsed"]] == ["BA"]
    branch = client.get(URL, {"branch": "BA"}).context["wb"]
    assert [m.name for m in branch.lapsed] == ["东村沉默"] and branch.computed_at is None
    assert [leave.reason for leave in branch.leave_requests] == ["出差"]
