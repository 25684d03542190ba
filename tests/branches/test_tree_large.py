"""The tree page over a large subtree (issue 15, "Every page at city scale": 120 KB and 84 ms for a city):
it opens two levels deep, and its member counts are kept a few minutes (branches.summaries)."""

from unittest import mock

import pytest
from django.urls import reverse

from branches import selectors
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache(own_cache):
    pass


def test_a_large_subtree_opens_on_its_children_with_counts_kept(login_as, tree, settings):
    settings.LARGE_SUBTREE_BRANCHES = 3  # the town has 7 nodes
    MemberFactory(branch=tree.branch_a)
    client = login_as("orgdept")

    with mock.patch("branches.selectors.subtree_counts", wraps=selectors.subtree_counts) as counted:
        first = client.get(reverse("branches:tree"))
        again = client.get(reverse("branches:tree"))
    deeper = client.get(reverse("branches:tree"), {"depth": 3})

    assert first.context["depth"] == 2 and [r.node.branch.code for r in first.context["rows"]] == ["TOWN", "VA", "VB"]
    assert [r.node.totals for r in again.context["rows"]] == [r.node.totals for r in first.context["rows"]]
    assert sum(first.context["rows"][1].node.totals.values()) == 1  # village A: the one member
    assert counted.call_count == 1  # kept after the first request
    assert "BA" in {r.node.branch.code for r in deeper.context["rows"]}
    settings.LARGE_SUBTREE_BRANCHES = 200
    assert login_as("orgdept").get(reverse("branches:tree")).context["depth"] == 3


def test_a_large_branchs_page_shares_the_kept_counts_of_its_children(login_as, tree, settings):
    settings.LARGE_SUBTREE_BRANCHES = 3
    MemberFactory(branch=tree.branch_a)
    client = login_as("orgdept")

    with mock.patch("branches.selectors.subtree_counts", wraps=selectors.subtree_counts) as counted:
        tree_page = client.get(reverse("branches:tree"))
        detail = client.get(reverse("branches:detail", args=["TOWN"]))

    assert counted.call_count == 1  # the tree two levels deep and the town's page: the same counts
    assert tree_page.status_code == detail.status_code == 200
