import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from branches import selectors
from branches.models import Branch
from branches.services import branch_dissolve
from members.models import Member
from tests.factories import MemberFactory, make_branch

pytestmark = pytest.mark.django_db

PROBATIONARY = {"status": Member.Status.PROBATIONARY, "confirmed_on": None}
LEFT = {"is_active": False, "left_on": datetime.date(2023, 5, 1), "left_reason": Member.LeftReason.DIED}


@pytest.fixture
def roster(tree):
    """Members placed by hand; the expected counts below are counted from this list."""
    t = tree
    MemberFactory(branch=t.branch_a, group=t.group_a, household=t.household_a)
    MemberFactory(branch=t.branch_a, group=t.group_a)
    MemberFactory(branch=t.branch_a)
    MemberFactory(branch=t.branch_a, **PROBATIONARY)
    MemberFactory(branch=t.branch_a, group=t.group_a, **LEFT)
    MemberFactory(branch=t.village_a)
    MemberFactory(branch=t.branch_b)
    MemberFactory(branch=t.branch_b)
    MemberFactory(branch=t.branch_b, **PROBATIONARY)
    MemberFactory(branch=t.branch_c)
    MemberFactory(branch=t.branch_c, **LEFT)
    return t


def _totals(nodes) -> dict[str, tuple[int, int, int]]:
    """code -> (full, probationary, left) for every node of the trees."""
    found = {}
    stack = list(nodes)
    while stack:
        node = stack.pop()
        found[node.branch.code] = (node.totals["full"], node.totals["probationary"], node.totals["left"])
        stack.extend(node.children)
    return found


def test_counts_cover_each_whole_subtree_by_status(roster):
    nodes = selectors.tree_with_counts([roster.town], depth=6)
    assert _totals(nodes) == {
        "TOWN": (6, 2, 1),
        "VA": (4, 1, 1),
        "BA": (3, 1, 1),
        "GA": (2, 0, 1),
        "HA": (1, 0, 0),
        "VB": (2, 1, 0),
        "BB": (2, 1, 0),
    }


def test_counts_stay_whole_when_the_tree_is_cut(roster):
    (town,) = selectors.tree_with_counts([roster.town], depth=2)
    assert [child.branch.code for child in town.children] == ["VA", "VB"]
    assert all(child.cut and not child.children for child in town.children)
    assert _totals([town]) == {"TOWN": (6, 2, 1), "VA": (4, 1, 1), "VB": (2, 1, 0)}


def test_a_group_as_root_counts_its_own_members(roster):
    assert _totals(selectors.tree_with_counts([roster.group_a], depth=3)) == {"GA": (2, 0, 1), "HA": (1, 0, 0)}


def test_several_roots_each_get_their_counts(roster):
    nodes = selectors.tree_with_counts([roster.town, roster.other_town], depth=1)
    assert _totals(nodes) == {"TOWN": (6, 2, 1), "OTHER": (1, 0, 1)}


def test_dissolved_branches_hidden_unless_asked(roster):
    old = branch_dissolve(
        branch=make_branch(roster.village_b, Branch.Kind.BRANCH, code="OLD"), on=datetime.date(2024, 1, 1)
    )
    assert "OLD" not in _totals(selectors.tree_with_counts([roster.town], depth=6))
    assert "OLD" in _totals(selectors.tree_with_counts([roster.town], depth=6, dissolved=True))
    assert "OLD" in _totals(selectors.tree_with_counts([old]))


def _query_count(call) -> int:
    with CaptureQueriesContext(connection) as ctx:
        call()
    return len(ctx.captured_queries)


def test_tree_with_counts_runs_two_queries_for_3_or_30_branches(tree, django_assert_num_queries):
    small = _query_count(lambda: selectors.tree_with_counts([tree.town], depth=6))
    for i in range(27):
        branch = make_branch(tree.village_b, Branch.Kind.BRANCH)
        MemberFactory(branch=branch, **(PROBATIONARY if i % 2 else {}))
    assert Branch.objects.in_subtree(tree.town).count() >= 30
    with django_assert_num_queries(2):  # the branches, and one aggregate per count source
        nodes = selectors.tree_with_counts([tree.town], depth=6)
    assert small == 2
    assert _totals(nodes)["VB"] == (14, 13, 0)


def test_top_branches_are_the_roots_of_grants(tree, secretary_a, orgdept):
    assert [b.code for b in selectors.top_branches(secretary_a)] == ["BA"]
    assert [b.code for b in selectors.top_branches(orgdept)] == ["TOWN"]


def test_top_branches_of_superuser_are_all_roots(tree):
    admin = get_user_model().objects.create_superuser("root", password="pw-for-tests-1")
    assert [b.code for b in selectors.top_branches(admin)] == ["TOWN", "OTHER"]


def test_search_finds_only_visible_branches(tree, secretary_a, orgdept):
    assert [b.code for b in selectors.search_visible(orgdept, "网格")] == ["BA", "BB"]
    assert [b.code for b in selectors.search_visible(secretary_a, "网格")] == ["BA"]
    assert selectors.search_visible(orgdept, "南村") == []


def test_ancestors_root_first(tree):
    assert [b.code for b in selectors.ancestors(tree.household_a)] == ["TOWN", "VA", "BA", "GA"]


def test_flatten_closes_each_opened_level_once(tree):
    rows = selectors.flatten(selectors.tree_with_counts([tree.town], depth=6))
    assert [row.node.branch.code for row in rows] == ["TOWN", "VA", "BA", "GA", "HA", "VB", "BB"]
    assert [len(row.closes) for row in rows] == [0, 0, 0, 0, 3, 0, 2]  # HA ends GA, BA, VA; BB ends VB, TOWN
    assert [row.is_top for row in rows] == [True] + [False] * 6
