"""The site menu (issue 15): only what the user may open, 我的 only with a member record, one
row with a menu button on a phone (branches/menu.py, templates/_nav.html, static/js/menu.js)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from branches import access
from branches.menu import MEMBER_SESSION_KEY
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

MINE = ("activities:mine", "members:me", "health:me")
STAFF = ("branches:tree", "members:list", "members:import", "activities:index", "health:index", "reports:home")


def _nav(html: str) -> str:
    return html.split('<nav class="mainnav">', 1)[1].split("</nav>", 1)[0]


def _links(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', _nav(html))


@pytest.fixture
def secretary_member(tree):
    """A branch secretary who is a member of the branch too."""
    user = UserFactory(username="secretary_member")
    access.grant(user, access.MANAGE, tree.branch_a)
    MemberFactory(branch=tree.branch_a, name="周书记", user=user)
    return user


@pytest.mark.parametrize(
    "persona",
    ["member_a", "secretary_a", "secretary_b", "orgdept", "other_orgdept", "reviewer", "viewer", "secretary_member"],
)
def test_every_menu_entry_of_every_persona_opens(login_as, tree, member_a, persona):
    client = login_as(persona)
    links = _links(client.get(reverse("home")).text)
    assert reverse("home") in links
    for link in links:
        response = client.get(link, follow=True)
        assert response.status_code == 200, (persona, link, response.status_code)


def test_a_member_sees_only_the_my_pages(login_as, member_a):
    links = _links(login_as("member_a").get(reverse("home")).text)
    assert links == [reverse("home")] + [reverse(name) for name in MINE]


def test_staff_without_a_member_record_see_no_my_pages(login_as, secretary_a, orgdept):
    for persona in ("secretary_a", "orgdept"):
        nav = _nav(login_as(persona).get(reverse("home")).text)
        for name in MINE:
            assert f'href="{reverse(name)}"' not in nav, (persona, name)
        assert "nav-mine" not in nav


def test_staff_with_a_member_record_see_the_my_group(login_as, secretary_member):
    nav = _nav(login_as("secretary_member").get(reverse("home")).text)
    mine = nav.split('class="nav-mine"', 1)[1]
    assert [f'href="{reverse(name)}"' in mine for name in MINE] == [True, True, True]
    assert f'href="{reverse("members:list")}"' in nav.split('class="nav-mine"', 1)[0]


def test_import_is_offered_only_to_those_who_manage(login_as, reviewer, viewer, secretary_a):
    assert f'href="{reverse("members:import")}"' in _nav(login_as("secretary_a").get(reverse("home")).text)
    for persona in ("reviewer", "viewer"):
        nav = _nav(login_as(persona).get(reverse("home")).text)
        assert f'href="{reverse("members:import")}"' not in nav, persona
        assert f'href="{reverse("members:list")}"' in nav, persona


def test_an_account_without_grant_or_member_record_sees_only_home(login_as, outsider):
    assert _links(login_as("outsider").get(reverse("home")).text) == [reverse("home")]


def test_the_member_record_is_noted_at_log_in_so_the_menu_costs_no_query(client, member_a, django_assert_num_queries):
    client.force_login(member_a.user)
    assert client.session[MEMBER_SESSION_KEY] is True
    # session, user, the grants (asked by the menu), member, upcoming, open activities, leave, history, 学时
    with django_assert_num_queries(9):
        client.get(reverse("activities:mine"))


def test_a_session_from_before_the_note_reads_it_once(client, secretary_a, django_assert_num_queries):
    client.force_login(secretary_a)
    session = client.session
    del session[MEMBER_SESSION_KEY]
    session.save()
    response = client.get(reverse("members:list"))
    assert client.session[MEMBER_SESSION_KEY] is False
    assert f'href="{reverse("members:me")}"' not in _nav(response.text)


def test_the_current_page_is_marked_in_the_menu(login_as, member_a):
    nav = _nav(login_as("member_a").get(reverse("activities:mine")).text)
    assert f'<a href="{reverse("activities:mine")}" aria-current="page">' in nav


def test_on_a_phone_the_menu_folds_behind_one_button_without_inline_script(login_as, member_a):
    html = login_as("member_a").get(reverse("home")).text
    assert '<button type="button" class="menu-button" aria-controls="site-menu" aria-expanded="false">' in html
    assert 'id="site-menu"' in html and "/static/js/menu.js" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # the Content-Security-Policy allows no inline script


def test_the_menu_css_folds_the_menu_only_on_a_phone_with_script(settings):
    from pathlib import Path

    css = (Path(settings.BASE_DIR) / "static/css/site.css").read_text(encoding="utf-8")
    desktop, phone = css.split("@media (max-width: 40rem)", 1)
    assert ".menu-button { display: none; }" in desktop
    phone = phone.split("\n}\n", 1)[0]
    assert ".js .site-menu { display: none; }" in phone and ".js .menu-open .site-menu { display: block;" in phone
    js = (Path(settings.BASE_DIR) / "static/js/menu.js").read_text(encoding="utf-8")
    assert 'classList.add("js")' in js and "aria-expanded" in js
