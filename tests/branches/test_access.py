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


# The vocabulary every view uses (issue 13): one answer for each question.


@pytest.mark.django_db
def test_has_any_holds_when_one_of_the_permissions_does(tree, secretary_a, reviewer):
    perms = (access.MANAGE, access.REVIEW)
    assert access.has_any(secretary_a, perms, tree.group_a) and access.has_any(reviewer, perms, tree.branch_a)
    assert not access.has_any(secretary_a, perms, tree.branch_b)
    assert not access.has_any(reviewer, (access.MANAGE, access.SENSITIVE), tree.branch_a)


@pytest.mark.django_db
def test_require_any_is_404_outside_403_inside_and_silent_with_one_permission(tree, secretary_a, reviewer):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with pytest.raises(Http404):
        access.require_any(secretary_a, (access.MANAGE, access.REVIEW), tree.branch_b)
    with pytest.raises(PermissionDenied, match="只读"):
        access.require_any(reviewer, (access.MANAGE,), tree.branch_a, "只读")
    access.require_any(reviewer, (access.MANAGE, access.REVIEW), tree.branch_a)


@pytest.mark.django_db
def test_deny_unless_is_403_even_where_the_user_sees_nothing(tree, secretary_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):  # the parent deciding a move, above the secretary's subtree
        access.deny_unless(secretary_a, (access.MANAGE,), tree.village_a)
    access.deny_unless(secretary_a, (access.MANAGE,), tree.branch_a)


@pytest.mark.django_db
def test_manages_any_and_require_manager(tree, secretary_a, reviewer):
    from django.core.exceptions import PermissionDenied

    assert access.manages_any(secretary_a) and not access.manages_any(reviewer)
    with pytest.raises(PermissionDenied):
        access.require_manager(reviewer)
    access.require_manager(secretary_a)


@pytest.mark.django_db
def test_managed_or_404_is_404_outside_the_queryset_and_403_without_the_permission(
    tree, secretary_a, viewer, member_a, member_b
):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from members.models import Member

    mine = Member.objects.visible_to(secretary_a).select_related("branch")
    assert access.managed_or_404(secretary_a, mine, pk=member_a.pk) == member_a
    with pytest.raises(Http404):
        access.managed_or_404(secretary_a, mine, pk=member_b.pk)
    with pytest.raises(PermissionDenied):
        access.managed_or_404(viewer, Member.objects.visible_to(viewer), pk=member_a.pk)


@pytest.mark.django_db
def test_holds_and_path_test_answer_for_paths(tree, orgdept, secretary_a):
    assert access.within(tree.household_a.path, [tree.branch_a.path])
    assert not access.within(tree.branch_b.path, [tree.branch_a.path])
    assert access.holds(orgdept, access.SENSITIVE, tree.household_a.path)
    assert not access.holds(secretary_a, access.SENSITIVE, tree.branch_a.path)
    assert access.holds(secretary_a, access.VIEW, tree.group_a.path)  # every grant implies reading
    manages = access.path_test(secretary_a, access.MANAGE)
    assert manages(tree.group_a.path) and not manages(tree.branch_b.path)
    assert access.path_test(None, access.MANAGE)(tree.branch_c.path)  # the system: everywhere


@pytest.mark.django_db
def test_top_branches_for_a_permission(tree, orgdept, secretary_a):
    assert list(access.top_branches(secretary_a, access.MANAGE)) == [tree.branch_a]
    assert list(access.top_branches(secretary_a, access.REVIEW)) == []
    assert list(access.top_branches(orgdept, access.REVIEW)) == [tree.town]


@pytest.mark.django_db
def test_the_decorator_accepts_any_of_several_permissions(rf, tree, secretary_a, reviewer, viewer):
    from django.core.exceptions import PermissionDenied

    @access.branch_permission_required(access.MANAGE, access.REVIEW)
    def view(request, branch):
        return branch

    for user in (secretary_a, reviewer):
        request = rf.get("/")
        request.user = user
        assert view(request, code="BA") == tree.branch_a
    request = rf.get("/")
    request.user = viewer
    with pytest.raises(PermissionDenied):
        view(request, code="BA")
