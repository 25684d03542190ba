import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from branches.models import Branch
from members import selectors
from members.models import Member, MemberEvent
from tests.factories import MemberFactory, make_branch, new_id_number

pytestmark = pytest.mark.django_db

PASSWORD = "Hongqi-2024-activate"


def url(name: str, member: Member | None = None) -> str:
    return reverse(f"members:{name}", args=[member.pk] if member else [])


def assert_login_redirect(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.fixture
def probationary_a(tree):
    return MemberFactory(
        branch=tree.branch_a, name="周预备", status=Member.Status.PROBATIONARY, confirmed_on=None,
        joined_on=datetime.date(2023, 6, 1), birth_date=datetime.date(1995, 3, 2),
    )  # fmt: skip


def member_post(tree, **changes) -> dict:
    data = {
        "name": "孙新",
        "id_number": new_id_number(datetime.date(1990, 2, 3), "F"),
        "sex": "",
        "birth_date": "",
        "ethnicity": "汉族",
        "education": "undergraduate",
        "phone": "138 0013 8000",
        "branch": tree.branch_a.code,
        "group": tree.group_a.code,
        "household": "",
        "occupation": Member.Occupation.EMPLOYED,
        "situation": Member.Situation.NORMAL,
        "status": Member.Status.FULL,
        "joined_on": "2015-07-01",
        "confirmed_on": "2016-07-01",
    }
    data.update(changes)
    return data


# --- the roster list ---------------------------------------------------------


def test_roster_sends_anonymous_to_login(login_as):
    assert_login_redirect(login_as("anonymous").get(url("list")))


@pytest.mark.parametrize("persona", ["member_a", "outsider"])
def test_roster_refuses_users_without_any_branch_grant(login_as, member_a, persona):
    assert login_as(persona).get(url("list")).status_code == 403


def test_roster_of_secretary_lists_own_branch_only(login_as, member_a, member_b):
    response = login_as("secretary_a").get(url("list"))
    assert response.status_code == 200
    assert "李明" in response.text and "王芳" not in response.text


@pytest.mark.parametrize(
    "persona, params",
    [("secretary_b", {"branch": "BA"}), ("other_orgdept", {"branch": "TOWN"}), ("orgdept", {"group": "BA"})],
)
def test_roster_filter_outside_scope_is_an_error_on_the_filter(login_as, member_a, persona, params):
    response = login_as(persona).get(url("list"), params)
    assert response.status_code == 200 and response.context["branch"] is response.context["group"] is None
    assert "找不到该党组织，或不在您的管理范围内" in response.text
    if persona != "orgdept":
        assert "李明" not in response.text and "城关镇党委" not in response.text


def test_roster_filters_by_a_branchs_name_and_shows_it_in_the_picker(login_as, member_a, member_b):
    response = login_as("orgdept").get(url("list"), {"branch": "西村党总支"})
    assert "王芳" in response.text and "李明" not in response.text
    assert 'name="branch" value="VB"' in response.text and ">西村党总支</span>" in response.text


def test_roster_subtree_filter_inside_scope_narrows(login_as, member_a, member_b):
    response = login_as("orgdept").get(url("list"), {"branch": "VB"})
    assert "王芳" in response.text and "李明" not in response.text


def test_roster_filters_from_query_string_and_search_posted(login_as, tree, member_a, member_b, probationary_a):
    client = login_as("orgdept")
    response = client.get(url("list"), {"status": "probationary"})
    assert "周预备" in response.text and "李明" not in response.text
    response = client.post(url("list"), {"q": "王"}, follow=True)
    assert "王芳" in response.text and "李明" not in response.text
    response = client.get(url("list"), {"group": "GA"})
    assert "李明" in response.text and "周预备" not in response.text


def test_roster_search_form_posts(login_as, member_a):
    html = login_as("secretary_a").get(url("list")).text
    assert '<form method="post" class="filters" role="search">' in html


def test_roster_search_redirects_with_filters_and_an_opaque_token(login_as, tree, member_a):
    response = login_as("orgdept").post(url("list"), {"q": member_a.phone, "branch": "VA", "status": "full"})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(url("list") + "?") and "branch=VA" in location and "status=full" in location
    assert "qt=" in location and "q=" not in location.replace("qt=", "")
    assert member_a.phone not in location and member_a.phone[-4:] not in location


def test_roster_search_by_name_keeps_the_name_out_of_the_url(login_as, member_a):
    location = login_as("secretary_a").post(url("list"), {"q": "李明"})["Location"]
    assert "李明" not in location and "%E6%9D%8E" not in location.upper()


def test_roster_ignores_a_search_text_in_the_query_string(login_as, member_a, member_b):
    """Only the token is read: a hand-made ``?q=`` is not applied, nor carried into the page's links."""
    response = login_as("orgdept").get(url("list"), {"q": "王", "sort": "joined_on"})
    assert "王芳" in response.text and "李明" in response.text
    assert "q=" not in response.context["sort_links"]["name"]["url"].replace("qt=", "")


def test_roster_with_a_crafted_token_searches_nothing_and_says_so(login_as, member_a):
    response = login_as("secretary_a").get(url("list"), {"qt": "not-a-token"})
    assert response.status_code == 200 and "李明" in response.text
    assert "搜索条件已失效" in response.text


def test_roster_urls_never_carry_a_phone_or_id_number(login_as, tree, bulk_members, orgdept):
    """Links and redirects of a search by phone or ID number: sorting, paging, the next page."""
    members = bulk_members(tree.branch_a, 60)
    client = login_as("orgdept")
    for text, wanted in ((members[0].phone[:7], 0), (members[0].phone, 1), (members[0].id_number, 1)):
        response = client.post(url("list"), {"q": text, "sort": "-name"})
        location = response["Location"]
        page = client.get(location)
        assert len(page.context["page"].members) == (50 if wanted == 0 else wanted)
        hrefs = re.findall(r'href="([^"]*)"', page.text) + [location]
        for number in (text, members[0].phone, members[0].id_number):
            assert not [h for h in hrefs if number in h or number.lower() in h.lower()]


def test_roster_search_pages_and_sorts_with_the_token(login_as, tree, bulk_members, orgdept):
    bulk_members(tree.branch_a, 60)
    client = login_as("orgdept")
    first = client.get(client.post(url("list"), {"q": "成员", "sort": "-name"})["Location"])
    assert first.context["params"]["q"] == "成员" and first.context["page"].has_next
    assert "qt=" in first.context["next_url"] and "sort=-name" in first.context["next_url"]
    second = client.get(url("list") + first.context["next_url"])
    assert len(second.context["page"].members) == 10 and second.context["params"]["q"] == "成员"
    by_name = client.get(url("list") + first.context["sort_links"]["name"]["url"])
    assert by_name.context["params"]["q"] == "成员" and by_name.context["params"]["sort"] == "name"


def test_roster_ignores_unknown_filter_values(login_as, member_a):
    # (a bad ``page`` is branches.params' to answer: tests/test_params.py)
    response = login_as("secretary_a").get(url("list"), {"status": "bogus", "sort": "password"})
    assert response.status_code == 200 and "李明" in response.text


def test_roster_filter_form_keeps_the_chosen_values_selected(login_as, member_a):
    html = login_as("orgdept").get(url("list"), {"status": "probationary", "state": "all"}).text
    assert '<option value="probationary" selected>预备党员</option>' in html
    assert '<option value="full">正式党员</option>' in html
    assert '<option value="all" selected>全部</option>' in html
    assert '<option value="active">在册</option>' in html
    assert html.count('<option value="">全部</option>') == 3  # status, occupation, situation: "any", never preselected


def test_roster_shows_left_members_only_when_asked(login_as, member_a, member_b):
    Member.objects.filter(pk=member_b.pk).update(is_active=False, left_on=datetime.date(2024, 1, 1))
    client = login_as("orgdept")
    assert "王芳" not in client.get(url("list")).text
    assert "王芳" in client.get(url("list"), {"state": "left"}).text


def test_roster_sort_link_toggles_direction(login_as, member_a):
    response = login_as("secretary_a").get(url("list"), {"sort": "joined_on"})
    assert "sort=-joined_on" in response.text


def test_roster_pages_by_fifty(login_as, tree, secretary_a, bulk_members):
    bulk_members(tree.branch_a, 60)
    client = login_as("secretary_a")
    first = client.get(url("list"))
    assert len(first.context["page"].members) == 50 and first.context["page"].has_next
    second = client.get(url("list"), {"page": 2})
    assert len(second.context["page"].members) == 10 and not second.context["page"].has_next


def test_roster_masks_id_and_phone_without_view_sensitive(login_as, member_a):
    for persona in ("secretary_a", "viewer"):
        response = login_as(persona).get(url("list"))
        assert member_a.id_number_masked in response.text
        assert member_a.id_number not in response.text
        assert member_a.phone not in response.text


def test_roster_masks_id_and_phone_with_view_sensitive_too(login_as, member_a):
    """Masked by default for everyone: the full values are shown one member at a time (``reveal``)."""
    response = login_as("orgdept").get(url("list"))
    assert member_a.id_number_masked in response.text
    assert member_a.id_number not in response.text and member_a.phone not in response.text


@pytest.mark.parametrize("persona", ["secretary_a", "viewer", "orgdept"])
def test_roster_shows_an_age_not_the_birth_date(login_as, member_a, persona):
    age = selectors.age_on(member_a.birth_date, timezone.localdate())
    response = login_as(persona).get(url("list"))
    assert f'data-label="年龄">{age}</td>' in response.text  # a labelled cell: a card's line on a phone
    assert "1980-05-17" not in response.text and "出生日期" not in response.text


@pytest.mark.parametrize("size", [10, 300])
def test_roster_runs_the_same_queries_for_any_size(login_as, tree, bulk_members, size, django_assert_num_queries):
    bulk_members(tree.branch_a, size)
    client = login_as("orgdept")
    # session, user, grants, one page of rows carrying the capped count
    with django_assert_num_queries(4):
        response = client.get(url("list"), {"sort": "branch"})
    assert response.context["page"].total == size


def test_roster_above_the_count_cap_runs_the_same_queries(
    login_as, tree, bulk_members, monkeypatch, django_assert_num_queries
):
    from members import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 100)
    bulk_members(tree.branch_a, 300)
    client = login_as("orgdept")
    with django_assert_num_queries(4):
        response = client.get(url("list"))
    assert response.context["page"].total_is_capped
    assert "100 人以上" in response.text


# --- the member page ---------------------------------------------------------


def test_detail_sends_anonymous_to_login(login_as, member_a):
    assert_login_redirect(login_as("anonymous").get(url("detail", member_a)))


@pytest.mark.parametrize("persona", ["secretary_b", "other_orgdept"])
def test_detail_outside_subtree_is_404(login_as, member_a, persona):
    assert login_as(persona).get(url("detail", member_a)).status_code == 404


def test_detail_shows_fields_positions_and_history(login_as, tree, member_a, orgdept):
    from members import services

    services.position_appoint(member=member_a, branch=tree.group_a, title="group_leader", on=datetime.date(2024, 1, 1))
    services.member_transfer(member=member_a, to_branch=tree.branch_b, on=timezone.localdate(), by=orgdept)
    response = login_as("orgdept").get(url("detail", member_a))
    assert response.status_code == 200
    text = response.text
    assert "党小组长" in text and "组织关系转接" in text and "西村第一网格党支部" in text and "orgdept" in text


def test_detail_shows_party_standing_from_confirmation(login_as, tree):
    member = MemberFactory(
        branch=tree.branch_a, joined_on=datetime.date(2010, 7, 1), confirmed_on=datetime.date(2011, 7, 1)
    )
    years = member.party_standing_years(timezone.localdate())
    html = login_as("secretary_a").get(url("detail", member)).text
    assert "党龄" in html and f"{years} 年" in html


def test_detail_shows_when_the_probation_ends_and_no_party_standing(login_as, probationary_a):
    probationary_a.probation_extension_months = 6
    probationary_a.save()
    html = login_as("secretary_a").get(url("detail", probationary_a)).text
    assert "预备期至" in html and "2024年12月1日" in html and "延长6个月" in html
    assert "党龄" not in html


@pytest.mark.parametrize("persona", ["secretary_a", "orgdept"])
def test_detail_masks_for_everyone_by_default(login_as, member_a, persona):
    response = login_as(persona).get(url("detail", member_a))
    assert member_a.id_number not in response.text and member_a.phone not in response.text
    assert member_a.id_number_masked in response.text


@pytest.mark.parametrize("persona", ["secretary_a", "viewer", "orgdept"])
def test_detail_shows_an_age_not_the_birth_date(login_as, member_a, persona):
    age = selectors.age_on(member_a.birth_date, timezone.localdate())
    response = login_as(persona).get(url("detail", member_a))
    assert f"{age} 岁" in response.text and "<dt>年龄</dt>" in response.text
    assert "1980" not in response.text and "<dt>出生日期</dt>" not in response.text


def test_detail_offers_the_reveal_only_with_view_sensitive(login_as, member_a):
    assert url("reveal", member_a) in login_as("orgdept").get(url("detail", member_a)).text
    for persona in ("secretary_a", "viewer", "reviewer"):
        assert url("reveal", member_a) not in login_as(persona).get(url("detail", member_a)).text


def test_detail_offers_actions_only_to_managers(login_as, member_a):
    assert url("edit", member_a) in login_as("secretary_a").get(url("detail", member_a)).text
    assert url("edit", member_a) not in login_as("viewer").get(url("detail", member_a)).text


# --- create ------------------------------------------------------------------


def test_create_sends_anonymous_to_login(login_as, tree):
    assert_login_redirect(login_as("anonymous").get(url("create")))


def test_create_refuses_a_viewer(login_as, tree):
    assert login_as("viewer").get(url("create")).status_code == 403
    assert login_as("viewer").post(url("create"), member_post(tree)).status_code == 403


def test_create_for_a_branch_outside_scope_is_404_from_a_link_and_a_form_error_when_typed(login_as, tree):
    assert login_as("secretary_b").get(url("create"), {"branch": "BA"}).status_code == 404
    response = login_as("secretary_b").post(url("create"), member_post(tree))
    assert response.status_code == 200 and not Member.objects.filter(name="孙新").exists()
    assert response.context["form"].errors["branch"] == ["找不到该党组织，或不在您的管理范围内"]


def test_the_member_form_offers_the_chosen_branchs_groups_only(login_as, tree):
    for i in range(30):
        make_branch(tree.village_b, Branch.Kind.BRANCH, name=f"西村第{i + 2}网格党支部")
    client = login_as("orgdept")
    blank = client.get(url("create")).text
    assert "西村第31网格党支部" not in blank and 'class="branch-picker"' in blank
    assert blank.count("<option") < 40  # sex, education, occupation, situation, status, languages: no branch
    assert 'data-parent="id_branch"' in blank and "东一第一党小组" not in blank  # no branch, no group yet
    chosen = client.get(url("create"), {"branch": "BA"}).context["form"]
    assert list(chosen.fields["group"].queryset) == [tree.group_a]
    assert list(chosen.fields["household"].queryset) == [tree.household_a]
    posted = client.post(url("create"), member_post(tree, branch="BB", group="GA")).context["form"]
    assert list(posted.fields["group"].queryset) == []
    assert posted.errors["group"] == ["“GA”不是所选党组织的下级组织"]


def test_create_adds_a_member_with_history(login_as, tree, secretary_a):
    response = login_as("secretary_a").post(url("create"), member_post(tree))
    member = Member.objects.get(name="孙新")
    assert response.status_code == 302 and response["Location"] == url("detail", member)
    assert member.branch == tree.branch_a and member.phone == "13800138000" and member.sex == "F"
    assert member.events.get().by == secretary_a


def test_create_shows_service_problems_on_their_field_and_keeps_input(login_as, tree):
    data = member_post(tree, joined_on="2000-01-01", confirmed_on="2000-01-01")
    response = login_as("secretary_a").post(url("create"), data)
    form = response.context["form"]
    assert "入党日期早于年满18周岁之日" in form.errors["joined_on"][0]
    assert "转正日期应晚于入党日期" in form.errors["confirmed_on"][0]
    assert 'value="孙新"' in response.text
    assert not Member.objects.filter(name="孙新").exists()


def test_create_refuses_a_wrong_check_digit_on_the_id_field(login_as, tree):
    number = new_id_number()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    response = login_as("secretary_a").post(url("create"), member_post(tree, id_number=wrong))
    assert "校验位错误" in response.context["form"].errors["id_number"][0]


def test_create_refuses_a_duplicate_id_number(login_as, tree, member_b):
    response = login_as("orgdept").post(url("create"), member_post(tree, id_number=member_b.id_number))
    assert "已在册" in response.context["form"].errors["id_number"][0]


# --- edit --------------------------------------------------------------------


def test_edit_sends_anonymous_to_login(login_as, member_a):
    assert_login_redirect(login_as("anonymous").get(url("edit", member_a)))


def test_edit_outside_subtree_is_404(login_as, member_a):
    assert login_as("secretary_b").get(url("edit", member_a)).status_code == 404


@pytest.mark.parametrize("persona", ["viewer", "member_a"])
def test_edit_without_manage_is_403(login_as, member_a, persona):
    assert login_as(persona).get(url("edit", member_a)).status_code == 403


def test_edit_saves_through_the_service(login_as, tree, member_a, secretary_a):
    client = login_as("secretary_a")
    page = client.get(url("edit", member_a))
    assert member_a.id_number not in page.text
    data = member_post(tree, name="李明", phone="13912340000", sex="M", birth_date="1980-05-17")
    data.pop("id_number"), data.pop("branch")
    response = client.post(url("edit", member_a), data)
    assert response.status_code == 302
    member_a.refresh_from_db()
    assert member_a.phone == "13912340000" and member_a.education == "undergraduate"
    assert member_a.events.filter(kind=MemberEvent.Kind.UPDATED, by=secretary_a).exists()


@pytest.mark.parametrize("persona", ["secretary_a", "orgdept"])
def test_edit_form_neither_shows_nor_asks_the_birth_date(login_as, member_a, persona):
    """The birth date is the ID number's, which never changes: nothing to edit, and not to be shown."""
    page = login_as(persona).get(url("edit", member_a))
    assert "birth_date" not in page.context["form"].fields
    assert "1980-05-17" not in page.text and "出生日期" not in page.text


def test_edit_shows_a_bad_phone_on_the_phone_field(login_as, tree, member_a):
    data = member_post(tree, name="李明", phone="12345", sex="M")
    response = login_as("secretary_a").post(url("edit", member_a), data)
    assert "手机号码" in response.context["form"].errors["phone"][0]
    assert 'value="12345"' in response.text


# --- transfer ----------------------------------------------------------------


def test_transfer_sends_anonymous_to_login(login_as, member_a):
    assert_login_redirect(login_as("anonymous").get(url("transfer", member_a)))


def test_transfer_outside_subtree_is_404(login_as, member_a):
    assert login_as("secretary_b").get(url("transfer", member_a)).status_code == 404


def test_transfer_without_manage_is_403(login_as, member_a):
    assert login_as("viewer").post(url("transfer", member_a), {"to_branch": "BB"}).status_code == 403


def test_transfer_to_a_branch_the_secretary_does_not_manage_is_refused(login_as, tree, member_a):
    today = timezone.localdate().isoformat()
    response = login_as("secretary_a").post(url("transfer", member_a), {"to_branch": "BB", "on": today})
    assert "to_branch" in response.context["form"].errors
    member_a.refresh_from_db()
    assert member_a.branch == tree.branch_a


def test_transfer_by_orgdept_moves_the_member_and_keeps_history(login_as, tree, member_a, orgdept):
    today = timezone.localdate().isoformat()
    response = login_as("orgdept").post(url("transfer", member_a), {"to_branch": "BB", "on": today, "note": "搬迁"})
    assert response.status_code == 302
    member_a.refresh_from_db()
    assert member_a.branch == tree.branch_b and member_a.group is None
    event = member_a.events.get(kind=MemberEvent.Kind.TRANSFERRED)
    assert (event.from_branch, event.to_branch, event.by) == (tree.branch_a, tree.branch_b, orgdept)


def test_transfer_shows_a_group_outside_the_target_on_the_group_field(login_as, tree, member_b):
    today = timezone.localdate().isoformat()
    response = login_as("orgdept").post(url("transfer", member_b), {"to_branch": "VB", "group": "GA", "on": today})
    assert "不是" in response.context["form"].errors["group"][0]


def test_transfer_offers_the_target_branchs_groups_and_a_picker_for_the_branch(login_as, tree, member_b):
    client = login_as("orgdept")
    page = client.get(url("transfer", member_b))
    assert 'class="branch-picker"' in page.text and list(page.context["form"].fields["group"].queryset) == []
    today = timezone.localdate().isoformat()
    posted = client.post(url("transfer", member_b), {"to_branch": "BA", "group": "", "on": "x"}).context["form"]
    assert list(posted.fields["group"].queryset) == [tree.group_a]
    response = client.post(url("transfer", member_b), {"to_branch": "东村第一网格党支部", "group": "GA", "on": today})
    assert response.status_code == 302
    member_b.refresh_from_db()
    assert (member_b.branch, member_b.group) == (tree.branch_a, tree.group_a)


@pytest.mark.parametrize(
    "code, message", [("BC", "找不到该党组织，或不在您的管理范围内"), ("BA", "转入组织与当前组织相同")]
)
def test_transfer_to_a_branch_out_of_scope_or_the_members_own_is_a_form_error(login_as, member_a, code, message):
    today = timezone.localdate().isoformat()
    response = login_as("orgdept").post(url("transfer", member_a), {"to_branch": code, "on": today})
    assert response.context["form"].errors["to_branch"] == [message]


# --- leave -------------------------------------------------------------------


def test_leave_sends_anonymous_to_login(login_as, member_a):
    assert_login_redirect(login_as("anonymous").get(url("leave", member_a)))


def test_leave_outside_subtree_is_404(login_as, member_a):
    assert login_as("other_orgdept").get(url("leave", member_a)).status_code == 404


def test_leave_without_manage_is_403(login_as, member_a):
    assert login_as("viewer").get(url("leave", member_a)).status_code == 403


def test_leave_keeps_the_record_with_date_and_reason(login_as, member_a):
    response = login_as("secretary_a").post(url("leave", member_a), {"on": "2024-03-01", "reason": "died"})
    assert response.status_code == 302
    member_a.refresh_from_db()
    assert not member_a.is_active and member_a.left_on == datetime.date(2024, 3, 1) and member_a.left_reason == "died"
    assert member_a.events.filter(kind=MemberEvent.Kind.LEFT).exists()


def test_leave_in_the_future_is_shown_on_the_date_field(login_as, member_a):
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    response = login_as("secretary_a").post(url("leave", member_a), {"on": future, "reason": "died"})
    assert "不能晚于今天" in response.context["form"].errors["on"][0]


# --- confirm -----------------------------------------------------------------


def test_confirm_sends_anonymous_to_login(login_as, probationary_a):
    assert_login_redirect(login_as("anonymous").get(url("confirm", probationary_a)))


def test_confirm_outside_subtree_is_404(login_as, probationary_a):
    assert login_as("secretary_b").get(url("confirm", probationary_a)).status_code == 404


def test_confirm_without_manage_is_403(login_as, probationary_a):
    assert login_as("viewer").post(url("confirm", probationary_a), {"confirmed_on": "2024-06-02"}).status_code == 403


def test_confirm_makes_a_full_member(login_as, probationary_a):
    response = login_as("secretary_a").post(url("confirm", probationary_a), {"confirmed_on": "2024-06-01"})
    assert response.status_code == 302
    probationary_a.refresh_from_db()
    assert probationary_a.status == Member.Status.FULL
    assert probationary_a.confirmed_on == datetime.date(2024, 6, 1)


def test_confirm_offers_the_end_of_the_probation(login_as, probationary_a):
    response = login_as("secretary_a").get(url("confirm", probationary_a))
    assert 'value="2024-06-01"' in response.text


def test_confirm_on_another_date_without_a_reason_asks_for_one(login_as, probationary_a):
    response = login_as("secretary_a").post(url("confirm", probationary_a), {"confirmed_on": "2024-06-02"})
    assert "请填写原因" in response.context["form"].errors["reason"][0]
    assert Member.objects.get(pk=probationary_a.pk).status == Member.Status.PROBATIONARY


def test_a_full_member_created_without_a_confirmation_date_is_confirmed_when_the_probation_ended(login_as, tree):
    login_as("secretary_a").post(url("create"), member_post(tree, joined_on="2015-07-01", confirmed_on=""))
    assert Member.objects.get(name="孙新").confirmed_on == datetime.date(2016, 7, 1)


def test_the_leave_form_does_not_offer_other(login_as, member_a):
    html = login_as("secretary_a").get(url("leave", member_a)).text
    assert 'value="other"' not in html and 'value="probation_cancelled"' in html


def test_confirm_before_joining_is_shown_on_the_date_field(login_as, probationary_a):
    response = login_as("secretary_a").post(
        url("confirm", probationary_a), {"confirmed_on": "2023-01-01", "reason": "x"}
    )
    assert "晚于入党日期" in response.context["form"].errors["confirmed_on"][0]


# --- the member's own page ---------------------------------------------------


def test_me_sends_anonymous_to_login(login_as):
    assert_login_redirect(login_as("anonymous").get(url("me")))


def test_me_shows_own_record_masked(login_as, member_a):
    response = login_as("member_a").get(url("me"))
    assert response.status_code == 200
    assert "李明" in response.text and "东村第一网格党支部" in response.text
    assert member_a.id_number_masked in response.text
    assert member_a.id_number not in response.text and member_a.phone not in response.text


def test_me_shows_own_birth_date(login_as, member_a):
    response = login_as("member_a").get(url("me"))
    assert response.context["birth_date"] == member_a.birth_date and "出生日期" in response.text


def test_me_without_a_member_record_is_404(login_as):
    assert login_as("outsider").get(url("me")).status_code == 404


# --- account activation ------------------------------------------------------


def activation(member: Member, **changes) -> dict:
    data = {
        "name": member.name,
        "id_number": member.id_number,
        "phone": member.phone,
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(changes)
    return data


def test_login_page_links_to_activation(client):
    assert url("activate") in client.get(reverse("login")).text


def test_activate_is_open_to_anonymous(client):
    assert client.get(url("activate")).status_code == 200


def test_activated_member_logs_in_with_phone_or_id_number(client, member_b):
    response = client.post(url("activate"), activation(member_b))
    assert response.status_code == 302 and response["Location"] == reverse("home")  # logged in (login_views)
    member_b.refresh_from_db()
    assert member_b.user is not None
    client.logout()
    assert client.login(username=member_b.phone, password=PASSWORD)
    client.logout()
    assert client.login(username=member_b.id_number, password=PASSWORD)
    assert client.get(url("me")).status_code == 200


def test_activate_with_details_not_on_the_roster_is_refused(client, member_b):
    response = client.post(url("activate"), activation(member_b, phone="13000000000"))
    assert "不一致" in str(response.context["form"].non_field_errors())
    member_b.refresh_from_db()
    assert member_b.user is None


def test_activate_with_different_passwords_is_refused(client, member_b):
    response = client.post(url("activate"), activation(member_b, password2="something-else-1"))
    assert "password2" in response.context["form"].errors


def test_activate_with_a_weak_password_is_shown_on_the_password_field(client, member_b):
    response = client.post(url("activate"), activation(member_b, password1="12345678", password2="12345678"))
    assert response.context["form"].errors["password1"]


def test_activate_twice_is_refused(client, member_a):
    response = client.post(url("activate"), activation(member_a))
    assert "已激活" in str(response.context["form"].non_field_errors())


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["secretary_a", "orgdept"])  # masked with view_sensitive too
def test_edit_form_masks_the_phone_and_keeps_it_when_sent_back_unchanged(tree, persona, client, request):
    from core.masking import mask_phone
    from tests.factories import MemberFactory

    member = MemberFactory(branch=tree.branch_a, phone="13812345678")
    client.force_login(request.getfixturevalue(persona))
    page = client.get(reverse("members:edit", args=[member.pk]))
    assert "13812345678" not in page.content.decode()
    assert mask_phone("13812345678") in page.content.decode()
    data = {
        "name": "新名字",
        "ethnicity": "汉族",
        "phone": mask_phone("13812345678"),
        "occupation": member.occupation,
        "situation": member.situation,
        "status": member.status,
        "joined_on": member.joined_on.isoformat(),
        "confirmed_on": member.confirmed_on.isoformat(),
    }
    response = client.post(reverse("members:edit", args=[member.pk]), data)
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.name, member.phone) == ("新名字", "13812345678")


def test_roster_and_branch_page_show_occupation_and_a_situation_other_than_normal(login_as, tree):
    MemberFactory(branch=tree.branch_a, name="流动甲", occupation="farmer", situation="mobile")
    MemberFactory(branch=tree.branch_a, name="正常乙", occupation="retired")
    client = login_as("secretary_a")
    roster = client.get(url("list"), {"situation": "mobile"}).text
    assert "流动甲" in roster and "农民 · 流动" in roster and "正常乙" not in roster
    page = client.get(reverse("branches:detail", args=["BA"])).text
    assert "农民 · 流动" in page and "离退休 · " not in page
