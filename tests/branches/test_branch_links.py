"""The branch page links its members (the roster filtered to it) and its activities (issue 15)."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import services as activity_services
from activities.models import Activity

pytestmark = pytest.mark.django_db


def links(body: str) -> list[str]:
    nav = re.search(r'<nav class="branch-actions branch-links".*?</nav>', body, flags=re.S).group(0)
    return [html.unescape(href) for href in re.findall(r'href="([^"]+)"', nav)]


def _plan(branch, by, title):
    start = timezone.now() + datetime.timedelta(days=3)
    return activity_services.activity_create(
        branch=branch,
        kind=Activity.Kind.THEME_DAY,
        title=title,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        by=by,
    )


def test_a_branch_page_links_its_roster_and_its_activities(login_as, tree, member_a, member_b, orgdept):
    _plan(tree.branch_a, orgdept, "东村主题党日")
    _plan(tree.branch_b, orgdept, "西村主题党日")
    client = login_as("orgdept")
    roster, activities = links(client.get(reverse("branches:detail", args=["BA"])).content.decode())
    assert roster == reverse("members:list") + "?branch=BA"
    assert activities == reverse("activities:list") + "?branch=BA"
    listed = client.get(roster).content.decode()
    assert member_a.name in listed and member_b.name not in listed
    listed = client.get(activities).content.decode()
    assert "东村主题党日" in listed and "西村主题党日" not in listed


def test_a_group_page_links_the_roster_by_group_and_a_household_only_activities(login_as, tree, member_a):
    client = login_as("orgdept")
    group_links = links(client.get(reverse("branches:detail", args=["GA"])).content.decode())
    assert group_links[0] == reverse("members:list") + "?group=GA"
    assert member_a.name in client.get(group_links[0]).content.decode()
    household_links = links(client.get(reverse("branches:detail", args=["HA"])).content.decode())
    assert household_links == [reverse("activities:list") + "?branch=HA"]


def test_a_secretary_can_open_both_links_of_their_branch(login_as, tree, member_a):
    client = login_as("secretary_a")
    for url in links(client.get(reverse("branches:detail", args=["BA"])).content.decode()):
        assert client.get(url).status_code == 200
