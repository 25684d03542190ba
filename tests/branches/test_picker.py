"""The branch picker (branches/picker.py): the search view's scope, the field's errors, the widget."""

from __future__ import annotations

import pytest
from django import forms
from django.urls import reverse

from branches import access, picker
from branches.models import Branch
from tests.factories import make_branch

pytestmark = pytest.mark.django_db

SEARCH = reverse("branches:search")
# session, user, grants, the matches, their ancestors' names
SEARCH_QUERIES = 5


def _codes(response) -> list[str]:
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return [row["code"] for row in response.json()["results"]]


def test_search_finds_names_and_codes_in_the_users_subtree(tree, login_as):
    client = login_as("orgdept")
    assert _codes(client.get(SEARCH, {"q": "东村"})) == ["VA", "BA"]
    assert _codes(client.get(SEARCH, {"q": "BB"})) == ["BB"]
    row = client.get(SEARCH, {"q": "BA"}).json()["results"][0]
    assert row == {
        "code": "BA",
        "name": "东村第一网格党支部",
        "label": "城关镇党委 › 东村党总支 › 东村第一网格党支部",
        "kind": "党支部",
        "dissolved": False,
    }


def test_search_never_finds_another_subtree_and_never_answers_404(tree, login_as):
    assert _codes(login_as("secretary_b").get(SEARCH, {"q": "东村"})) == []
    assert _codes(login_as("secretary_b").get(SEARCH, {"q": "BA"})) == []
    assert _codes(login_as("other_orgdept").get(SEARCH, {"q": "城关"})) == []
    assert _codes(login_as("other_orgdept").get(SEARCH, {"q": "南村"})) == ["VC", "BC"]


def test_the_label_names_only_ancestors_the_user_may_see(tree, login_as):
    row = login_as("secretary_a").get(SEARCH, {"q": "GA"}).json()["results"][0]
    assert row["label"] == "东村第一网格党支部 › 东一第一党小组"  # the town and the village are above secretary_a


def test_the_exact_code_comes_first_then_names_that_begin_with_the_text(tree, login_as):
    make_branch(tree.branch_b, Branch.Kind.GROUP, name="西村党小组GA", code="WG")
    assert _codes(login_as("orgdept").get(SEARCH, {"q": "GA"})) == ["GA", "WG"]
    assert _codes(login_as("orgdept").get(SEARCH, {"q": "西村"})) == ["VB", "BB", "WG"]


def test_search_scope_by_permission_kind_and_dissolution(tree, login_as):
    assert _codes(login_as("viewer").get(SEARCH, {"q": "村", "perm": "manage"})) == []
    assert "BA" in _codes(login_as("viewer").get(SEARCH, {"q": "村"}))
    assert _codes(login_as("orgdept").get(SEARCH, {"q": "村", "kind": "branch"})) == ["BA", "BB"]
    Branch.objects.filter(code="BB").update(dissolved_on="2025-01-01")
    assert _codes(login_as("orgdept").get(SEARCH, {"q": "村", "kind": "branch", "current": "1"})) == ["BA"]
    assert login_as("orgdept").get(SEARCH, {"q": "村", "kind": "branch"}).json()["results"][1]["dissolved"] is True


def test_search_returns_at_most_twenty(tree, login_as):
    for i in range(25):
        make_branch(tree.village_b, Branch.Kind.BRANCH, name=f"西村第{i + 2}网格党支部")
    assert len(_codes(login_as("orgdept").get(SEARCH, {"q": "网格"}))) == picker.SEARCH_LIMIT == 20


def test_an_empty_search_finds_nothing(tree, login_as):
    assert _codes(login_as("orgdept").get(SEARCH, {"q": "  "})) == []


@pytest.mark.parametrize("params", [{"q": "村", "perm": "all"}, {"q": "村", "kind": "town"}])
def test_a_scope_out_of_shape_answers_400(tree, login_as, params):
    assert login_as("orgdept").get(SEARCH, params).status_code == 400


def test_under_lists_a_visible_branchs_children_of_a_kind(tree, login_as):
    make_branch(tree.branch_a, Branch.Kind.GROUP, name="东一第二党小组", code="GA2")
    params = {"under": "BA", "kind": "group", "perm": "manage", "current": "1"}
    assert _codes(login_as("orgdept").get(SEARCH, params)) == ["GA", "GA2"]
    assert _codes(login_as("orgdept").get(SEARCH, {**params, "kind": "household"})) == ["HA"]
    assert _codes(login_as("secretary_b").get(SEARCH, params)) == []  # not theirs: an empty list, not a 404
    assert _codes(login_as("orgdept").get(SEARCH, {**params, "under": "NOPE"})) == []


@pytest.mark.parametrize("persona, status", [("anonymous", 302), ("member_a", 403), ("outsider", 403)])
def test_search_is_for_staff(tree, login_as, persona, status):
    assert login_as(persona).get(SEARCH, {"q": "村"}).status_code == status


def test_search_runs_the_same_queries_whatever_it_finds(tree, login_as, django_assert_num_queries):
    client = login_as("orgdept")
    client.get(SEARCH, {"q": "村"})
    with django_assert_num_queries(SEARCH_QUERIES):
        assert len(_codes(client.get(SEARCH, {"q": "村"}))) == 4
    for i in range(10):
        make_branch(tree.village_b, Branch.Kind.BRANCH, name=f"西村第{i + 2}网格党支部")
    with django_assert_num_queries(SEARCH_QUERIES):
        assert len(_codes(client.get(SEARCH, {"q": "村"}))) == 14


# ---------------------------------------------------------------------------- the field


class PickForm(forms.Form):
    branch = picker.BranchChoiceField(label="党组织", scope=picker.Scope(perm=access.MANAGE, current=True))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].for_user(user)


@pytest.mark.parametrize("text", ["BA", " BA ", "东村第一网格党支部"])
def test_the_field_takes_a_code_or_an_exact_name(tree, secretary_a, text):
    form = PickForm({"branch": text}, user=secretary_a)
    assert form.is_valid() and form.cleaned_data["branch"] == tree.branch_a


@pytest.mark.parametrize("text", ["NOPE", "BB", "西村第一网格党支部", "TOWN", "x" * 101])
def test_an_unknown_or_out_of_scope_code_is_one_form_error(tree, secretary_a, text):
    form = PickForm({"branch": text}, user=secretary_a)
    assert not form.is_valid()
    assert form.errors["branch"] == ["找不到该党组织，或不在您的管理范围内"]


def test_a_dissolved_branch_is_refused_where_the_scope_wants_current_ones(tree, secretary_a):
    Branch.objects.filter(code="BA").update(dissolved_on="2025-01-01")
    assert PickForm({"branch": "BA"}, user=secretary_a).errors["branch"] == ["找不到该党组织，或不在您的管理范围内"]


def test_a_name_shared_by_two_branches_asks_for_a_choice(tree, orgdept):
    make_branch(tree.village_b, Branch.Kind.BRANCH, name="东村第一网格党支部", code="BA2")
    form = PickForm({"branch": "东村第一网格党支部"}, user=orgdept)
    assert form.errors["branch"] == ["有多个党组织名为“东村第一网格党支部”，请从搜索结果中选择，或输入组织编码"]
    assert PickForm({"branch": "BA2"}, user=orgdept).is_valid()


def test_the_field_is_required_unless_told_otherwise(tree, secretary_a):
    assert PickForm({"branch": ""}, user=secretary_a).errors["branch"] == ["这个字段是必填项。"]


def test_the_widget_shows_the_chosen_name_and_its_search_url(tree, secretary_a, django_assert_num_queries):
    bound = PickForm({"branch": "BA"}, user=secretary_a)
    assert bound.is_valid()
    with django_assert_num_queries(0):
        html = str(bound["branch"])
    assert 'value="BA"' in html and ">东村第一网格党支部</span>" in html
    assert f'data-search="{SEARCH}?perm=manage&amp;current=1"' in html
    assert 'src="/static/js/branch_picker.js"' in html and "<select" not in html
    unbound = str(PickForm(user=secretary_a, initial={"branch": tree.branch_a})["branch"])
    assert 'value="BA"' in unbound and ">东村第一网格党支部</span>" in unbound
    typed = str(PickForm({"branch": "NOPE"}, user=secretary_a)["branch"])
    assert 'value="NOPE"' in typed and 'aria-live="polite"></span>' in typed
