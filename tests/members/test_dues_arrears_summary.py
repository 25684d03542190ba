"""Dues arrears over a large subtree (issue 15, "Every page at city scale"): per child of the branch, each
row its whole subtree and a drill-down, the figures kept a few minutes (branches.summaries)."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.dues.payments import dues_generate_month
from members.dues.selectors import dues_arrears_by_branch
from members.models import DuesPayment
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db
JAN = datetime.date(2026, 1, 1)


@pytest.fixture(autouse=True)
def _empty_cache(own_cache):
    pass


@pytest.fixture
def owing(tree):
    """Branch A: two members owing January (15 and 30 yuan); branch B: one who paid."""
    a1 = MemberFactory(branch=tree.branch_a, monthly_income=D("3000"))
    a2 = MemberFactory(branch=tree.branch_a, group=tree.group_a, monthly_income=D("5000"))
    b1 = MemberFactory(branch=tree.branch_b, monthly_income=D("3000"))
    dues_generate_month(branch=tree.town, month=JAN)
    DuesPayment.objects.filter(member=b1).update(paid=D("15"), paid_on=JAN)
    return a1, a2, b1


def test_per_child_each_row_is_its_whole_subtree_and_members_count_once(tree, owing):
    rows = {r.branch_code: r for r in dues_arrears_by_branch(branch=tree.town, per_child=True)}

    assert set(rows) == {"VA", "VB"}
    assert (rows["VA"].due, rows["VA"].owed, rows["VA"].members_in_arrears) == (D("65.00"), D("65.00"), 2)
    assert (rows["VB"].owed, rows["VB"].months_in_arrears) == (D("0.00"), 0)
    per_branch = {r.branch_code: r for r in dues_arrears_by_branch(branch=tree.village_a)}
    assert per_branch["BA"].owed == rows["VA"].owed  # the drill-down adds up


def test_a_large_subtree_lists_its_children_as_drill_downs_and_keeps_the_figures(login_as, tree, owing, settings):
    settings.LARGE_SUBTREE_BRANCHES = 3
    client = login_as("orgdept")
    url = reverse("members:dues_arrears", args=["TOWN"])

    with CaptureQueriesContext(connection) as computed:
        first = client.get(url, {"start": "2026-01", "end": "2026-01"})
    with CaptureQueriesContext(connection) as kept:
        again = client.get(url, {"start": "2026-01", "end": "2026-01"})

    assert [r.branch_code for r in first.context["page"]] == ["VA", "VB"] and first.context["per_child"]
    assert reverse("members:dues_arrears", args=["VA"]) in first.text and "统计于" in first.text
    assert len(computed) - len(kept) == 2  # the GROUP BY and the children's names
    assert again.context["total_owed"] == D("65.00")
    village = client.get(reverse("members:dues_arrears", args=["VA"]))  # 4 nodes: per child again
    branch = client.get(reverse("members:dues_arrears", args=["BA"]))  # 3 nodes: per branch, at once
    assert [r.branch_code for r in village.context["page"]] == ["BA"]
    assert not branch.context["per_child"] and reverse("members:dues_branch", args=["BA"]) in branch.text
