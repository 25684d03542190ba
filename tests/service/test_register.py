"""The member's register page: the community with the site's branch picker (organizations that accept
registrations, whoever asks), then its grid and post; without script a plain form posting the code."""

from __future__ import annotations

import datetime

from django.urls import reverse

from service import services
from service.models import Registration


def test_the_picker_searches_the_communities_for_a_member(login_as, tree):
    response = login_as("member_a").get(reverse("service:communities"), {"q": "东"})
    codes = [r["code"] for r in response.json()["results"]]
    assert "BA" in codes and "VA" in codes  # a 党支部 and a 党总支 accept registrations
    assert "GA" not in codes and "HA" not in codes  # a group and a household do not


def test_the_picker_leaves_out_dissolved_organizations(login_as, tree):
    tree.branch_a.dissolved_on = datetime.date(2026, 1, 1)
    tree.branch_a.save()
    codes = [r["code"] for r in login_as("member_a").get(reverse("service:communities"), {"q": "BA"}).json()["results"]]
    assert "BA" not in codes


def test_the_page_shows_the_picker_wired_to_the_communities(login_as, member_a):
    page = login_as("member_a").get(reverse("service:register")).content.decode()
    assert 'class="branch-picker"' in page and reverse("service:communities") + "?scope=community" in page


def test_a_name_picks_the_community_then_its_grids_and_posts(login_as, tree, grid, post, member_a):
    page = login_as("member_a").get(reverse("service:register"), {"community": tree.branch_a.name}).content.decode()
    assert grid.name in page and post.name in page and f'value="{tree.branch_a.code}"' in page


def test_a_group_is_not_a_community(login_as, tree, member_a):
    page = login_as("member_a").get(reverse("service:register"), {"community": "GA"}).content.decode()
    assert "没有这个名称或组织编码的社区党组织" in page and 'name="grid"' not in page


def test_a_grid_of_another_community_is_a_form_error(login_as, tree, member_a, secretary_b):
    foreign = services.grid_create(community=tree.branch_b, name="西一网格", by=secretary_b)
    response = login_as("member_a").post(reverse("service:register"), {"community": "BA", "grid": foreign.pk})
    assert response.status_code == 200 and "所选网格不属于该社区或已停用" in response.content.decode()
    assert not Registration.objects.exists()


def test_crafted_input_never_fails(login_as, member_a):
    client = login_as("member_a")
    for data in ({"community": "x" * 500}, {"community": "BA", "grid": "abc", "post": "-1"}, {"community": ""}):
        assert client.post(reverse("service:register"), data).status_code == 200
    assert client.get(reverse("service:communities"), {"q": "%" * 300}).status_code == 200
    assert not Registration.objects.exists()
