import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from branches.models import Branch

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, tree):
    client.force_login(get_user_model().objects.create_superuser("admin", password="pw-for-tests-1"))
    return client


def _add(admin_client, **fields):
    data = {"name": "新组织", "code": "NEW", "grid_name": "", "treebeard_position": "first-child", **fields}
    return admin_client.post(reverse("admin:branches_branch_add"), data)


def test_changelist_lists_code_kind_and_dissolved(admin_client):
    page = admin_client.get(reverse("admin:branches_branch_changelist")).content.decode()
    assert "城关镇党委" in page and "TOWN" in page and "撤销日期" in page


def test_add_under_allowed_parent(admin_client, tree):
    response = _add(admin_client, kind="group", treebeard_ref_node=tree.branch_b.pk)
    assert response.status_code == 302
    assert Branch.objects.get_parent(Branch.objects.get(code="NEW")).code == "BB"


def test_add_refuses_kind_not_allowed_under_parent(admin_client, tree):
    response = _add(admin_client, kind="branch", treebeard_ref_node=tree.branch_b.pk)
    assert response.status_code == 200
    assert "党支部下不能设立党支部" in response.content.decode()
    assert not Branch.objects.filter(code="NEW").exists()


def test_add_refuses_a_root_that_is_not_a_committee(admin_client):
    response = _add(admin_client, kind="group", treebeard_ref_node="")
    assert "只有党委可以作为最上级组织" in response.content.decode()
    assert not Branch.objects.filter(code="NEW").exists()


def test_drag_and_drop_refuses_disallowed_parent(admin_client, tree):
    url = reverse("admin:branches_branch_changelist") + "move/"
    data = {"node": tree.branch_a.pk, "target": tree.branch_b.pk, "relation": "child"}
    assert admin_client.post(url, data).status_code == 400
    tree.branch_a.refresh_from_db()
    assert Branch.objects.get_parent(tree.branch_a).code == "VA"
    data = {"node": tree.branch_a.pk, "target": tree.village_b.pk, "relation": "child"}
    assert admin_client.post(url, data).status_code == 200
    tree.branch_a.refresh_from_db()
    assert Branch.objects.get_parent(tree.branch_a).code == "VB"


def test_branches_cannot_be_deleted_in_admin(admin_client, tree):
    response = admin_client.get(reverse("admin:branches_branch_delete", args=[tree.household_a.pk]))
    assert response.status_code == 403
    assert Branch.objects.filter(code="HA").exists()


def test_change_of_kind_must_fit_existing_children(admin_client, tree):
    data = {
        "name": tree.branch_a.name,
        "code": "BA",
        "kind": "general_branch",  # may sit under the town, but may not hold its group
        "grid_name": "",
        "treebeard_position": "first-child",
        "treebeard_ref_node": tree.town.pk,
    }
    response = admin_client.post(reverse("admin:branches_branch_change", args=[tree.branch_a.pk]), data)
    assert "现有的下级组织不符合设立规则" in response.content.decode()
    tree.branch_a.refresh_from_db()
    assert tree.branch_a.kind == "branch"


# The admin is for superusers only (issue 12, item 9; partysite/admin_site.py) ------------------


def _changelists() -> list[str]:
    from django.contrib import admin

    return sorted(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist" for m in admin.site._registry)


@pytest.fixture
def staff_with_grants(tree):
    """A staff user (not a superuser) with every model permission and every branch grant."""
    from django.contrib.auth.models import Permission

    from branches import access

    user = get_user_model().objects.create_user("staff", password="pw-for-tests-1", is_staff=True)
    user.user_permissions.add(*Permission.objects.all())
    for perm in access.ALL_PERMS:
        access.grant(user, perm, tree.town)
    return user


def test_every_registered_model_is_in_the_list():
    names = _changelists()
    assert "admin:activities_attendance_changelist" in names and "admin:branches_branch_changelist" in names
    assert len(names) >= 15


@pytest.mark.parametrize("name", _changelists())
def test_staff_who_are_not_superusers_get_no_admin_page(client, staff_with_grants, name):
    client.force_login(staff_with_grants)
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("name", _changelists())
def test_superusers_still_get_every_admin_page(admin_client, name):
    assert admin_client.get(reverse(name)).status_code == 200


def test_staff_who_are_not_superusers_cannot_post_a_change(client, staff_with_grants, tree):
    """The report's case was an attendance row of another village changed through the admin; a branch here."""
    client.force_login(staff_with_grants)
    assert client.get(reverse("admin:index")).status_code == 302
    response = client.post(reverse("admin:branches_branch_change", args=[tree.branch_b.pk]), {"name": "改名"})
    assert response.status_code == 302
    tree.branch_b.refresh_from_db()
    assert tree.branch_b.name == "西村第一网格党支部"


def test_logging_in_through_the_admin_form_does_not_let_staff_in(client, staff_with_grants):
    client.post(reverse("admin:login"), {"username": "staff", "password": "pw-for-tests-1"})
    assert client.session.get("_auth_user_id") == str(staff_with_grants.pk)  # logged in to the site, no more
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
