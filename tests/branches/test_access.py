import pytest

from branches import access


@pytest.mark.django_db
def test_grant_holds_for_whole_subtree(tree, orgdept):
    assert access.has_perm(orgdept, access.MANAGE, tree.household_a)
    assert not access.has_perm(orgdept, access.MANAGE, tree.branch_c)


@pytest.mark.django_db
def test_secretary_sees_only_own_subtree(tree, secretary_a):
    codes = set(access.visible_branches(secretary_a).values_list("code", flat=True))
    assert codes == {"BA", "GA", "HA"}


@pytest.mark.django_db
def test_grants_read_once_per_user(tree, secretary_a, django_assert_num_queries):
    access.forget(secretary_a)
    with django_assert_num_queries(1):
        access.has_perm(secretary_a, access.MANAGE, tree.branch_a)
        access.has_perm(secretary_a, access.REVIEW, tree.branch_a)
        access.can_view(secretary_a, tree.branch_b)


@pytest.mark.django_db
def test_require_answers_404_outside_and_403_inside(tree, secretary_a, viewer):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with pytest.raises(Http404):
        access.require(secretary_a, access.MANAGE, tree.branch_b)
    with pytest.raises(PermissionDenied):
        access.require(viewer, access.MANAGE, tree.branch_a)
    access.require(secretary_a, access.MANAGE, tree.group_a)


@pytest.mark.django_db
def test_revoke_removes_the_grant(tree, secretary_a):
    access.revoke(secretary_a, access.MANAGE, tree.branch_a)
    assert not access.can_view(secretary_a, tree.branch_a)


@pytest.mark.django_db
def test_any_grant_implies_view(tree, secretary_a):
    assert access.has_perm(secretary_a, access.VIEW, tree.group_a)
    assert not access.has_perm(secretary_a, access.VIEW, tree.branch_b)


@pytest.mark.django_db
def test_superuser_top_branches_are_the_roots(tree):
    from tests.factories import UserFactory

    admin = UserFactory(username="root", is_superuser=True)
    assert list(access.top_branches(admin).values_list("code", flat=True)) == ["TOWN", "OTHER"]


@pytest.mark.django_db
def test_grant_through_a_group_holds_for_the_subtree(tree):
    from django.contrib.auth.models import Group, Permission

    from branches.models import BranchGroupObjectPermission
    from tests.factories import UserFactory

    inspectors = Group.objects.create(name="巡察组")
    BranchGroupObjectPermission.objects.create(
        group=inspectors,
        permission=Permission.objects.get(codename=access.VIEW, content_type__app_label="branches"),
        content_object=tree.village_b,
    )
    user = UserFactory(username="inspector")
    user.groups.add(inspectors)
    assert access.can_view(user, tree.branch_b)
    assert not access.can_view(user, tree.branch_a)
    assert not access.has_perm(user, access.MANAGE, tree.branch_b)
