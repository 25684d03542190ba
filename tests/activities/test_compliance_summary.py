"""The compliance page over a large subtree (issue 15, "Every page at city scale"): its totals per child,
kept a few minutes (branches.summaries), each child a drill-down to its units."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db
URL = reverse("activities:compliance")


@pytest.fixture(autouse=True)
def _empty_cache(own_cache):
    pass


def test_a_large_subtree_shows_its_totals_per_child_and_no_unit_then_keeps_them(login_as, tree, settings):
    settings.LARGE_SUBTREE_BRANCHES = 3  # the town has 7 nodes
    MemberFactory(branch=tree.branch_a)
    MemberFactory(branch=tree.branch_b)
    small = login_as("orgdept").get(URL, {"kind": "year", "year": 2026, "branch": "BA"})
    client = login_as("orgdept")

    with CaptureQueriesContext(connection) as computed:
        first = client.get(URL, {"kind": "year", "year": 2026})
    with CaptureQueriesContext(connection) as kept:
        again = client.get(URL, {"kind": "year", "year": 2026})

    assert first.context["rows"] == [] and first.context["units"] is None
    assert [child.code for child, _ in first.context["children"]] == ["VA", "VB"]
    assert first.context["total"].required == sum(t.required for _, t in first.context["children"]) > 0
    assert first.context["unit_count"] == 2 and "统计于" in again.text and "branch=VA" in again.text
    assert again.context["computed_at"] == first.context["computed_at"] is not None
    assert len(computed) - len(kept) >= 6  # the report's five and the children
    # A subtree under the threshold lists its units, computed at once.
    assert [row.branch.code for row in small.context["rows"]] == ["BA"] and small.context["computed_at"] is None
