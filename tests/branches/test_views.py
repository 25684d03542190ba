import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from branches import access
from branches.models import Branch
from members.models import Member, Position
from tests.factories import MemberFactory, UserFactory, make_branch

pytestmark = pytest.mark.django_db

TREE_QUERIES = 7  # session, user, grants, top branches, the root's size (branches.summaries), branches, member counts
# session, user, grants, branch, ancestors, the branch's size (branches.summaries), branches, counts, positions,
# members, probation decisions awaiting approval (activities/branch_panels.py), trail
DETAIL_QUERIES = 12


def _url(name: str, code: str) -> str:
    return reverse(f"branches:{name}", args=[code])


def _assert_login_redirect(response):
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def _grow(tree, branches: int) -> None:
    """Add branches under village B, each with a member, and a position on the town."""
    for i in range(branches):
        branch = make_branch(tree.village_b, Branch.Kind.BRANCH, name=f"西村第{i + 2}网格党支部")
        MemberFactory(branch=branch)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


# The tree


def test_tree_sends_anonymous_to_login(client, tree):
    _assert_login_redirect(client.get(reverse("branches:tree")))


def test_tree_refuses_a_member_without_grants(login_as, member_a):
    assert login_as("member_a").get(reverse("branches:tree")).status_code == 403


def test_tree_shows_only_the_users_subtrees(login_as, tree):
    page = login_as("orgdept").get(reverse("branches:tree"), {"depth": 6}).content.decode()
    assert all(name in page for name in ("城关镇党委", "东村党总支", "张家中心户", "西村第一网格党支部"))
    assert "南岭镇党委" not in page and "南村党支部" not in page
    page = login_as("secretary_a").get(reverse("branches:tree")).content.decode()
    assert "东村第一网格党支部" in page and "东一第一党小组" in page
    assert "东村党总支" not in page and "西村" not in page


def test_tree_nodes_are_nested_details_with_their_counts(login_as, tree):
    MemberFactory(branch=tree.branch_b)
    MemberFactory(branch=tree.branch_b, status=Member.Status.PROBATIONARY, confirmed_on=None)
    response = login_as("orgdept").get(reverse("branches:tree"), {"root": "VB"})
    page = response.content.decode()
    assert page.count("<details") == 1  # VB opens onto BB, a leaf
    row = page[page.index(_url("detail", "BB")) :]
    assert [node.totals for node in response.context["nodes"]] == [{"full": 1, "probationary": 1, "left": 0}]
    assert '<span class="visually-hidden">正式党员</span>1</span>' in row


def test_tree_html_nests_every_level(login_as, tree):
    page = login_as("orgdept").get(reverse("branches:tree"), {"depth": 6}).content.decode()
    assert page.count("<details") == page.count("</details>") == 5  # TOWN, VA, BA, GA, VB
    assert page.count('<li class="tree-node') == page.count("</li>") == 7
    assert page.index("张家中心户") < page.index("西村党总支")


def test_tree_cut_at_depth_links_deeper(login_as, tree):
    page = login_as("orgdept").get(reverse("branches:tree"), {"depth": 2}).content.decode()
    assert "东村第一网格党支部" not in page
    assert "?root=VA&amp;depth=2" in page


def test_tree_under_a_root_shows_the_trail(login_as, tree):
    page = login_as("orgdept").get(reverse("branches:tree"), {"root": "BA"}).content.decode()
    assert "?root=TOWN" in page and "?root=VA" in page
    assert "西村党总支" not in page


def test_tree_root_outside_the_subtree_is_404(login_as, tree):
    assert login_as("secretary_b").get(reverse("branches:tree"), {"root": "BA"}).status_code == 404
    assert login_as("orgdept").get(reverse("branches:tree"), {"root": "OTHER"}).status_code == 404


def test_tree_search_stays_in_scope(login_as, tree):
    response = login_as("secretary_a").get(reverse("branches:tree"), {"q": "网格"})
    assert [b.code for b in response.context["found"]] == ["BA"]


def test_tree_hides_dissolved_unless_asked(login_as, tree):
    old = make_branch(tree.village_b, Branch.Kind.BRANCH, name="旧网格党支部", code="OLD")
    old.dissolved_on = datetime.date(2024, 1, 1)
    old.save(update_fields=["dissolved_on"])
    client = login_as("orgdept")
    assert "旧网格党支部" not in client.get(reverse("branches:tree")).content.decode()
    assert "旧网格党支部" in client.get(reverse("branches:tree"), {"dissolved": "1"}).content.decode()


def test_tree_queries_constant_for_3_or_30_branches(login_as, tree, django_assert_num_queries):
    client = login_as("orgdept")
    url = reverse("branches:tree") + "?depth=6"
    small = _queries(client, url)
    _grow(tree, 27)
    with django_assert_num_queries(TREE_QUERIES):
        response = client.get(url)
    assert small == TREE_QUERIES
    assert response.context["nodes"][0].totals["full"] == 27


# The branch page


@pytest.mark.parametrize("persona", ["secretary_b", "other_orgdept", "member_a"])
def test_detail_outside_the_subtree_is_404(login_as, tree, persona):
    assert login_as(persona).get(_url("detail", "BA")).status_code == 404


def test_detail_sends_anonymous_to_login(client, tree):
    _assert_login_redirect(client.get(_url("detail", "BA")))


def test_detail_for_secretary_shows_facts_positions_children_members(login_as, tree, member_a):
    Position.objects.create(
        member=member_a, branch=tree.branch_a, title="grid_leader", started_on=datetime.date(2023, 1, 1)
    )
    page = login_as("secretary_a").get(_url("detail", "BA")).content.decode()
    for text in (
        "东村第一网格党支部",
        "党支部",
        "BA",
        "东一网格",
        "网格长",
        "李明",
        "东一第一党小组",
        "/members/?branch=BA",
    ):
        assert text in page
    assert _url("rename", "BA") in page and _url("create_child", "BA") in page
    assert _url("dissolve", "BA") not in page  # decided by village A, which the secretary does not manage


def test_detail_for_viewer_has_no_management_links(login_as, tree):
    page = login_as("viewer").get(_url("detail", "BA")).content.decode()
    assert "东村第一网格党支部" in page
    for name in ("rename", "create_child", "move", "dissolve"):
        assert _url(name, "BA") not in page
    assert reverse("members:position_appoint", args=["BA"]) not in page


def test_detail_for_orgdept_offers_move_and_dissolve(login_as, tree):
    page = login_as("orgdept").get(_url("detail", "BA")).content.decode()
    assert _url("move", "BA") in page and _url("dissolve", "BA") in page


def test_detail_lists_at_most_50_members(login_as, tree):
    for i in range(51):
        MemberFactory(branch=tree.branch_b, name=f"成员{i:02d}")
    response = login_as("orgdept").get(_url("detail", "BB"))
    panel = next(p for p in response.context["panels"] if "members" in p.context)
    assert len(panel.context["members"]) == 50 and panel.context["more"]


def test_detail_queries_constant_for_3_or_30_children(login_as, tree, django_assert_num_queries):
    client = login_as("orgdept")
    small = _queries(client, _url("detail", "VB"))
    _grow(tree, 27)
    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(_url("detail", "VB"))
    assert small == DETAIL_QUERIES
    assert len(response.context["node"].children) == 28


# Branch management: refusals


ACTIONS = ["create_child", "rename", "move", "dissolve"]


@pytest.mark.parametrize("action", ACTIONS)
def test_management_sends_anonymous_to_login(client, tree, action):
    _assert_login_redirect(client.get(_url(action, "BA")))
    _assert_login_redirect(client.post(_url(action, "BA"), {"name": "x"}))


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("persona", ["secretary_b", "other_orgdept"])
def test_management_outside_the_subtree_is_404(login_as, tree, action, persona):
    client = login_as(persona)
    assert client.get(_url(action, "GA")).status_code == 404
    assert client.post(_url(action, "GA"), {"name": "改名", "new_parent": "BB"}).status_code == 404


@pytest.mark.parametrize("action", ACTIONS)
def test_management_by_viewer_is_403(login_as, tree, action):
    client = login_as("viewer")
    assert client.get(_url(action, "GA")).status_code == 403
    assert client.post(_url(action, "GA"), {"name": "改名"}).status_code == 403
    tree.group_a.refresh_from_db()
    assert tree.group_a.name == "东一第一党小组"


@pytest.mark.parametrize("action", ["move", "dissolve"])
def test_secretary_may_not_move_or_dissolve_own_branch(login_as, tree, action):
    assert login_as("secretary_a").get(_url(action, "BA")).status_code == 403


def test_management_posts_need_the_csrf_token(tree, orgdept):
    client = Client(enforce_csrf_checks=True)
    client.force_login(orgdept)
    response = client.post(_url("rename", "BA"), {"name": "新名称"})
    assert response.status_code == 403
    tree.branch_a.refresh_from_db()
    assert tree.branch_a.name == "东村第一网格党支部"


# Branch management: changes


def test_secretary_sets_up_a_group(login_as, tree):
    data = {"name": "东一第二党小组", "kind": "group", "code": "GA2", "established_on": "2024-02-01"}
    response = login_as("secretary_a").post(_url("create_child", "BA"), data)
    assert response.status_code == 302 and response.url == _url("detail", "GA2")
    group = Branch.objects.get(code="GA2")
    assert (Branch.objects.get_parent(group).code, group.kind, group.established_on) == (
        "BA",
        "group",
        datetime.date(2024, 2, 1),
    )


def test_create_offers_only_allowed_kinds(login_as, tree):
    form = login_as("orgdept").get(_url("create_child", "VA")).context["form"]
    assert [value for value, _ in form.fields["kind"].choices] == ["branch"]


def test_create_shows_service_error_and_keeps_input(login_as, tree):
    data = {"name": "重复编码党小组", "kind": "group", "code": "GA", "grid_name": "东二网格"}
    response = login_as("secretary_a").post(_url("create_child", "BA"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["组织编码“GA”已被使用"]
    page = response.content.decode()
    assert 'value="重复编码党小组"' in page and 'value="东二网格"' in page
    assert not Branch.objects.filter(name="重复编码党小组").exists()


def test_create_under_dissolved_branch_shows_refusal(login_as, tree):
    tree.branch_b.dissolved_on = datetime.date(2024, 1, 1)
    tree.branch_b.save(update_fields=["dissolved_on"])
    response = login_as("orgdept").post(_url("create_child", "BB"), {"name": "小组", "kind": "group", "code": "X"})
    assert "已撤销" in response.context["form"].non_field_errors()[0]


def test_secretary_renames_own_branch_and_grid(login_as, tree):
    response = login_as("secretary_a").post(
        _url("rename", "BA"), {"name": "东村一网格党支部", "grid_name": "东村一网格"}
    )
    assert response.status_code == 302
    tree.branch_a.refresh_from_db()
    assert (tree.branch_a.name, tree.branch_a.grid_name) == ("东村一网格党支部", "东村一网格")


def test_orgdept_moves_a_branch_with_its_subtree(login_as, tree):
    response = login_as("orgdept").post(_url("move", "BA"), {"new_parent": "VB"})
    assert response.status_code == 302
    tree.household_a.refresh_from_db()
    assert tree.household_a.path.startswith(tree.village_b.path)


def test_move_into_own_subtree_shows_refusal(login_as, tree):
    response = login_as("orgdept").post(_url("move", "VA"), {"new_parent": "BA"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["不能把组织移到它自己或它的下级组织之下"]
    assert 'value="BA"' in response.content.decode()


def test_move_offers_a_picker_searching_the_kinds_that_may_hold_the_branch(login_as, tree):
    page = login_as("orgdept").get(_url("move", "BA")).content.decode()
    search = reverse("branches:search")
    assert f'data-search="{search}?perm=manage&amp;kind=committee%2Cgeneral_branch&amp;current=1"' in page
    assert "<datalist" not in page and "<option" not in page.split("<footer")[0]
    group = login_as("orgdept").get(_url("move", "GA")).content.decode()
    assert f'data-search="{search}?perm=manage&amp;kind=branch&amp;current=1"' in group


def test_move_takes_the_new_parents_name(login_as, tree):
    assert login_as("orgdept").post(_url("move", "BA"), {"new_parent": "西村党总支"}).status_code == 302
    tree.branch_a.refresh_from_db()
    assert tree.branch_a.path.startswith(tree.village_b.path)


def test_move_under_wrong_kind_shows_refusal(login_as, tree):
    response = login_as("orgdept").post(_url("move", "BA"), {"new_parent": "BB"})
    assert response.context["form"].non_field_errors() == ["党支部下不能设立党支部"]


def test_move_needs_a_visible_managed_new_parent(login_as, tree):
    village_manager = UserFactory(username="village_manager")
    access.grant(village_manager, access.MANAGE, tree.village_a)
    access.grant(village_manager, access.VIEW, tree.town)
    client = login_as("orgdept")
    assert client.post(_url("move", "BA"), {"new_parent": "VC"}).context["form"].errors["new_parent"] == [
        "找不到该党组织，或不在您的管理范围内"
    ]
    client.force_login(village_manager)
    errors = client.post(_url("move", "BA"), {"new_parent": "VB"}).context["form"].errors["new_parent"]
    assert errors == ["找不到该党组织，或不在您的管理范围内"]  # seen, not managed: the same words
    tree.branch_a.refresh_from_db()
    assert tree.branch_a.path.startswith(tree.village_a.path)


def test_secretary_dissolves_a_group_of_own_branch(login_as, tree):
    client = login_as("secretary_a")
    assert client.post(_url("dissolve", "HA"), {"on": "2024-03-01"}).status_code == 302
    assert client.post(_url("dissolve", "GA"), {"on": "2024-03-01"}).status_code == 302
    assert set(Branch.objects.filter(dissolved_on=datetime.date(2024, 3, 1)).values_list("code", flat=True)) == {
        "HA",
        "GA",
    }


def test_dissolve_shows_refusal_for_children_and_members(login_as, tree, member_b):
    client = login_as("orgdept")
    response = client.post(_url("dissolve", "BA"), {"on": "2024-03-01"})
    assert "还有未撤销的下级组织" in response.context["form"].non_field_errors()[0]
    response = client.post(_url("dissolve", "BB"), {"on": "2024-03-01"})
    assert "1名在册党员" in response.context["form"].non_field_errors()[0]
    assert not Branch.objects.filter(dissolved_on__isnull=False).exists()


def test_dissolve_refuses_a_future_date(login_as, tree):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = login_as("orgdept").post(_url("dissolve", "HA"), {"on": tomorrow.isoformat()})
    assert response.context["form"].errors["on"] == ["撤销日期不能晚于今天"]


def test_detail_links_a_group_to_the_roster_filtered_by_group(login_as, tree):
    page = login_as("secretary_a").get(_url("detail", "GA")).content.decode()
    assert "/members/?group=GA" in page
