import datetime

import pytest

from branches.errors import BranchError
from branches.models import Branch
from branches.services import branch_create, branch_dissolve, branch_move, branch_rename
from members.services import member_leave
from tests.factories import MemberFactory, make_branch

pytestmark = pytest.mark.django_db

DAY = datetime.date(2024, 3, 1)


def _refusal(call, **kwargs) -> BranchError:
    with pytest.raises(BranchError) as caught:
        call(**kwargs)
    return caught.value


# branch_create


def test_create_child_of_allowed_kind_lands_under_parent(tree):
    group = branch_create(parent=tree.branch_b, name="西一党小组", kind=Branch.Kind.GROUP, code="GB")
    assert Branch.objects.get_parent(group).pk == tree.branch_b.pk
    assert group.path.startswith(tree.branch_b.path)


@pytest.mark.parametrize(
    ("parent_attr", "kind"),
    [
        ("village_a", Branch.Kind.GENERAL_BRANCH),
        ("village_a", Branch.Kind.GROUP),
        ("branch_a", Branch.Kind.BRANCH),
        ("group_a", Branch.Kind.GROUP),
        ("household_a", Branch.Kind.HOUSEHOLD),
    ],
)
def test_create_refuses_kind_not_allowed_under_parent(tree, parent_attr, kind):
    error = _refusal(branch_create, parent=getattr(tree, parent_attr), name="新组织", kind=kind, code="NEW")
    assert error.code == "kind_not_allowed"
    assert error.field == "kind"
    assert not Branch.objects.filter(code="NEW").exists()


@pytest.mark.parametrize("kind", [Branch.Kind.GENERAL_BRANCH, Branch.Kind.BRANCH, Branch.Kind.GROUP])
def test_create_refuses_root_that_is_not_a_committee(db, kind):
    error = _refusal(branch_create, parent=None, name="根", kind=kind, code="ROOT")
    assert error.code == "invalid_root_kind"


def test_create_root_committee(db):
    root = branch_create(parent=None, name="市委", kind=Branch.Kind.COMMITTEE, code="CITY")
    assert root.is_root()


def test_create_refuses_duplicate_code(tree):
    error = _refusal(branch_create, parent=tree.town, name="另一个总支", kind=Branch.Kind.GENERAL_BRANCH, code="BA")
    assert error.code == "duplicate_code"
    assert error.field == "code"
    assert Branch.objects.filter(code="BA").count() == 1


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"name": "  ", "code": "X1", "kind": Branch.Kind.GROUP}, "name_required"),
        ({"name": "小组", "code": " ", "kind": Branch.Kind.GROUP}, "code_required"),
        ({"name": "小组", "code": "X1", "kind": "club"}, "unknown_kind"),
    ],
)
def test_create_refuses_missing_or_unknown_values(tree, fields, code):
    assert _refusal(branch_create, parent=tree.branch_b, **fields).code == code


def test_create_refuses_dissolved_parent(tree):
    branch_dissolve(branch=tree.branch_b, on=DAY)
    error = _refusal(branch_create, parent=tree.branch_b, name="小组", kind=Branch.Kind.GROUP, code="X1")
    assert error.code == "parent_dissolved"


# branch_rename


def test_rename_changes_name_and_grid_only(tree):
    branch_rename(branch=tree.branch_a, name=" 东村一网格党支部 ", grid_name="东村一网格")
    tree.branch_a.refresh_from_db()
    assert (tree.branch_a.name, tree.branch_a.grid_name, tree.branch_a.code) == ("东村一网格党支部", "东村一网格", "BA")


def test_rename_refuses_blank_name(tree):
    assert _refusal(branch_rename, branch=tree.branch_a, name=" ").code == "name_required"


# branch_move


def test_move_takes_the_whole_subtree(tree):
    branch_move(branch=tree.branch_a, new_parent=tree.village_b)
    for branch in (tree.branch_a, tree.group_a, tree.household_a):
        branch.refresh_from_db()
    assert Branch.objects.get_parent(tree.branch_a).code == "VB"
    assert Branch.objects.get_parent(tree.group_a).code == "BA"
    assert tree.household_a.path.startswith(tree.village_b.path)
    assert set(Branch.objects.in_subtree(tree.village_a).values_list("code", flat=True)) == {"VA"}


@pytest.mark.parametrize("target", ["branch_a", "group_a", "household_a"])
def test_move_refuses_into_own_subtree(tree, target):
    error = _refusal(branch_move, branch=tree.branch_a, new_parent=getattr(tree, target))
    assert error.code == "move_into_subtree"


@pytest.mark.parametrize(
    ("branch_attr", "target"),
    [("branch_a", "branch_b"), ("group_a", "village_b"), ("village_a", "village_b"), ("village_a", "branch_c")],
)
def test_move_refuses_parent_of_disallowed_kind(tree, branch_attr, target):
    branch = getattr(tree, branch_attr)
    old_path = branch.path
    error = _refusal(branch_move, branch=branch, new_parent=getattr(tree, target))
    assert error.code == "kind_not_allowed"
    branch.refresh_from_db()
    assert branch.path == old_path


def test_move_refuses_dissolved_branch_and_dissolved_parent(tree):
    empty = make_branch(tree.village_b, Branch.Kind.BRANCH, code="EMPTY")
    branch_dissolve(branch=empty, on=DAY)
    assert _refusal(branch_move, branch=empty, new_parent=tree.village_a).code == "dissolved"
    assert _refusal(branch_move, branch=tree.branch_a, new_parent=_dissolved_general(tree)).code == "parent_dissolved"


def _dissolved_general(tree) -> Branch:
    general = make_branch(tree.town, Branch.Kind.GENERAL_BRANCH, code="OLDV")
    return branch_dissolve(branch=general, on=DAY)


# branch_dissolve


def test_dissolve_refuses_branch_with_current_children(tree):
    error = _refusal(branch_dissolve, branch=tree.branch_a, on=DAY)
    assert error.code == "has_children"
    tree.branch_a.refresh_from_db()
    assert tree.branch_a.dissolved_on is None


def test_dissolve_refuses_branch_with_active_members(tree, member_b):
    error = _refusal(branch_dissolve, branch=tree.branch_b, on=DAY)
    assert error.code == "not_empty"
    assert "1名在册党员" in error.message


def test_dissolve_allowed_once_members_left_and_keeps_them(tree, member_b):
    member_leave(member=member_b, on=DAY, reason="transferred_out")
    branch_dissolve(branch=tree.branch_b, on=DAY)
    tree.branch_b.refresh_from_db()
    member_b.refresh_from_db()
    assert tree.branch_b.dissolved_on == DAY
    assert member_b.branch_id == tree.branch_b.pk


def test_dissolve_never_deletes(tree):
    count = Branch.objects.count()
    for branch in (tree.household_a, tree.group_a):
        branch_dissolve(branch=branch, on=DAY)
    assert Branch.objects.count() == count
    assert set(Branch.objects.filter(dissolved_on=DAY).values_list("code", flat=True)) == {"HA", "GA"}
    assert not Branch.objects.current().filter(code__in=["HA", "GA"]).exists()


def test_dissolve_after_children_dissolved_ignores_left_members(tree):
    branch_dissolve(branch=tree.household_a, on=DAY)
    branch_dissolve(branch=tree.group_a, on=DAY)
    MemberFactory(branch=tree.branch_a, is_active=False, left_on=DAY, left_reason="died")
    assert branch_dissolve(branch=tree.branch_a, on=DAY).is_dissolved


def test_dissolve_refuses_twice_and_before_establishment(tree):
    branch_dissolve(branch=tree.household_a, on=DAY)
    assert _refusal(branch_dissolve, branch=tree.household_a, on=DAY).code == "already_dissolved"
    young = make_branch(tree.branch_b, Branch.Kind.GROUP, established_on=DAY)
    error = _refusal(branch_dissolve, branch=young, on=DAY - datetime.timedelta(days=1))
    assert error.code == "dissolved_before_established"
