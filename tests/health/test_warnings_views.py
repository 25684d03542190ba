"""Warnings on the secretary's page (a branch's checks) and the department's overview: the 党章
art. 9 warning (activities.lapse; its boundaries in tests/activities/test_lapse.py), and probation
ending within 30 days."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity
from members.models import Member
from members.rules import add_years
from tests.factories import MemberFactory
from tests.health.builders import PRESENT, dues_month, meeting

BRANCH_PAGE = "health:branch"
OVERVIEW = "health:review"


def on_roster_for_years() -> None:
    """Every member put on the site's roster long ago (``created_at`` is now in a test)."""
    Member.objects.update(created_at=timezone.now() - datetime.timedelta(days=3 * 365))


def last_month() -> datetime.date:
    return (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def assert_refused(response, expected):
    if expected == "login":
        assert response.status_code == 302 and reverse("login") in response["Location"]
    else:
        assert response.status_code == expected


@pytest.fixture
def warned(tree, member_a, member_b):
    """member_a and member_b have done nothing for years; a probationer of A ends in 10 days;
    a member of A paid and attended last month."""
    today = timezone.localdate()
    probationer = MemberFactory(
        branch=tree.branch_a,
        name="孙预备",
        status=Member.Status.PROBATIONARY,
        joined_on=add_years(today + datetime.timedelta(days=10), -1),
        confirmed_on=None,
    )
    payer = MemberFactory(branch=tree.branch_a, name="周按时")
    dues_month(payer, last_month(), due="10", paid="10", paid_on=last_month().replace(day=10))
    meeting(tree.branch_a, Activity.Kind.THEME_DAY, last_month().replace(day=5), {payer: PRESENT})
    on_roster_for_years()
    return probationer, payer


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("anonymous", "login"),
        ("member_a", 404),
        ("secretary_b", 404),
        ("other_orgdept", 404),
        ("viewer", 403),
        ("secretary_a", 200),
        ("reviewer", 200),
    ],
)
def test_secretarys_page_warnings_are_shown_only_to_those_allowed(login_as, warned, persona, expected):
    response = login_as(persona).get(reverse(BRANCH_PAGE, args=["BA"]))
    assert_refused(response, expected)
    if expected == 200:
        body = response.content.decode()
        assert "连续六个月未参加组织生活或未交纳党费" in body and "孙预备" in body


def test_secretarys_page_lists_the_probation_ending_and_links_the_art_9_list(login_as, warned, member_a, member_b):
    probationer, payer = warned
    response = login_as("secretary_a").get(reverse(BRANCH_PAGE, args=["BA"]))
    assert [(m.name, m.days_left) for m in response.context["probation"]] == [("孙预备", 10)]
    body = response.content.decode()
    assert reverse("members:detail", args=[probationer.pk]) in body
    assert "还有 10 天" in body and "1 名预备党员预备期 30 天内届满" in body
    assert "王芳" not in body  # branch B is not on branch A's page
    # The art. 9 list is not repeated here: a link to the workbench's list of the branch, which has it
    assert "inactive" not in response.context and reverse("members:detail", args=[member_a.pk]) not in body
    lapse_url = f"{reverse('activities:workbench')}?branch=BA&amp;show=lapsed"
    assert lapse_url in body
    listed = login_as("secretary_a").get(lapse_url.replace("&amp;", "&"))
    # 周按时 paid and attended last month; the probationer, admitted almost a year ago, did nothing either
    assert {m.name for m in listed.context["page"].items} == {"李明", "孙预备"}
    assert "最近参加组织生活" in listed.content.decode()


def test_a_reviewer_is_sent_to_the_overview_for_the_art_9_list(login_as, warned):
    """The department reviews a 党支部 without managing it: the workbench would refuse it."""
    body = login_as("reviewer").get(reverse(BRANCH_PAGE, args=["BA"])).content.decode()
    assert f'href="{reverse(OVERVIEW, args=["BA"])}"' in body and "show=lapsed" not in body
    listed = login_as("reviewer").get(reverse(OVERVIEW, args=["BA"]))
    assert {m.name for m in listed.context["inactive"]} == {"李明", "孙预备"}


def test_departments_overview_warns_about_the_whole_subtree(login_as, warned, member_a, member_b, member_c):
    response = login_as("orgdept").get(reverse(OVERVIEW, args=["TOWN"]))
    assert {m.name for m in response.context["inactive"]} == {"李明", "王芳", "孙预备"}
    body = response.content.decode()
    assert "孙预备" in body and "陈刚" not in body  # 陈刚 is in the other town
    assert "3 名党员连续六个月未参加组织生活或未交纳党费" in body


@pytest.mark.parametrize(
    "persona, expected",
    [("anonymous", "login"), ("secretary_a", 404), ("other_orgdept", 404), ("viewer", 403), ("orgdept", 200)],
)
def test_overview_warnings_permissions(login_as, warned, persona, expected):
    response = login_as(persona).get(reverse(OVERVIEW, args=["TOWN"]))
    assert_refused(response, expected)
    if expected == 200:
        assert "孙预备" in response.content.decode()


def test_a_member_who_paid_and_attended_in_the_last_six_months_is_not_warned(login_as, tree, member_a):
    dues_month(member_a, last_month(), due="10", paid="10", paid_on=timezone.localdate())
    meeting(tree.branch_a, Activity.Kind.THEME_DAY, last_month().replace(day=5), {member_a: PRESENT})
    on_roster_for_years()
    response = login_as("orgdept").get(reverse(OVERVIEW, args=["BA"]))
    assert response.context["inactive"] == [] and "查看名单" not in response.content.decode()


def test_paying_alone_does_not_clear_the_warning(login_as, tree, member_a):
    dues_month(member_a, last_month(), due="10", paid="10", paid_on=timezone.localdate())
    on_roster_for_years()
    response = login_as("orgdept").get(reverse(OVERVIEW, args=["BA"]))
    assert [(m.no_org_life, m.no_dues) for m in response.context["inactive"]] == [(True, False)]
    assert "未参加组织生活" in response.content.decode()


@pytest.mark.parametrize("size", [3, 20])
@pytest.mark.parametrize(
    "url, persona, queries, warned_branches",
    [
        # session, user, grants, branch, the year shown (health.selectors.yearly_checks_period), the checks'
        # counts by status, a page of checks, their events, probation, bulk events (branches/audit.py); the
        # art. 9 list is a link
        (reverse(BRANCH_PAGE, args=["BA"]), "secretary_a", 10, 1),
        # session, user, grants, branch, the year shown, the subtree's size (branches.summaries), branches'
        # counts, inactive, probation (no checks: no branches to read)
        (reverse(OVERVIEW, args=["TOWN"]), "orgdept", 9, 2),
    ],
)
def test_warning_pages_run_a_constant_number_of_queries(
    login_as, tree, bulk_members, django_assert_num_queries, url, persona, queries, warned_branches, size
):
    bulk_members(tree.branch_a, size)
    bulk_members(tree.branch_b, size)
    # branch B's members end their probation in 10 days (and have done nothing for 11 months)
    Member.objects.filter(branch=tree.branch_b).update(
        status=Member.Status.PROBATIONARY,
        joined_on=add_years(timezone.localdate() + datetime.timedelta(days=10), -1),
        confirmed_on=None,
    )
    on_roster_for_years()
    client = login_as(persona)
    with django_assert_num_queries(queries):
        response = client.get(url)
    if url == reverse(OVERVIEW, args=["TOWN"]):
        assert len(response.context["inactive"]) == size * warned_branches
    assert len(response.context["probation"]) == size * (warned_branches - 1)


def test_the_warnings_read_as_english_in_english(login_as, warned, member_a):
    """No Chinese brackets or commas around the names and dates in English: one phrase each."""
    body = login_as("orgdept").get(reverse(OVERVIEW, args=["TOWN"]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    section = body[body.index('id="warnings-title"') :]
    section = section[: section.index("</section>")]
    assert "joined on" in section and "probation ends" in section and "(10 days left)" in section
    assert "Last organizational life: None; last paid dues: None" in section
    assert not any(mark in section for mark in "（），；：")
