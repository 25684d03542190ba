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
