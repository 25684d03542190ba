"""The department's review over a large subtree (issue 15, "Every page at city scale"): one row per child
with its 党支部 at each step, its checks and warnings, each child a drill-down; kept a few minutes."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from health.services import health_checks_compute, health_checks_submit
from members.models import Member
from members.rules import add_years
from tests.factories import MemberFactory
from tests.health.test_warnings_views import on_roster_for_years

pytestmark = pytest.mark.django_db
P = "2025"
URL = reverse("health:review", args=["TOWN"])


@pytest.fixture(autouse=True)
def _empty_cache(own_cache):
    pass


def test_a_large_subtree_is_reviewed_per_child_and_its_figures_kept(login_as, tree, secretary_a, settings):
    settings.LARGE_SUBTREE_BRANCHES = 3  # the town has 7 nodes
    MemberFactory(branch=tree.branch_a)
    MemberFactory(branch=tree.branch_a)
    ending = add_years(timezone.localdate() + datetime.timedelta(days=10), -1)
    MemberFactory(branch=tree.branch_b, status=Member.Status.PROBATIONARY, joined_on=ending, confirmed_on=None)
    on_roster_for_years()  # and nobody attended nor paid: all under the art. 9 warning
    health_checks_compute(period=P, branch=tree.town)
    health_checks_submit(branch=tree.branch_a, period=P, by=secretary_a)
    client = login_as("orgdept")

    with CaptureQueriesContext(connection) as computed:
        first = client.get(URL, {"period": P})
    with CaptureQueriesContext(connection) as kept:
        again = client.get(URL, {"period": P})

    children = {c.branch.code: c for c in first.context["children"]}
    assert set(children) == {"VA", "VB"} and first.context["rows"] == []
    assert (children["VA"].checks, children["VA"].branches["submitted"], children["VA"].warned) == (2, 1, 2)
    assert (children["VB"].checks, children["VB"].branches["draft"], children["VB"].probation) == (1, 1, 1)
    assert reverse("health:review", args=["VA"]) in again.text and "统计于" in again.text
    assert len(computed) - len(kept) >= 4  # the branches' counts and names, the two warnings
    # The drill-down below the threshold: its branches and warnings, as before.
    branch = client.get(reverse("health:review", args=["BA"]), {"period": P})
    assert [r.branch.code for r in branch.context["rows"]] == ["BA"] and len(branch.context["inactive"]) == 2
