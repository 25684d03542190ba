import datetime

import pytest

from branches import access
from members import selectors
from members.models import Member
from tests.factories import MemberFactory


def names(queryset) -> list[str]:
    return [m.name for m in queryset]


@pytest.mark.django_db
def test_roster_of_secretary_holds_only_their_branch(tree, secretary_a, member_a, member_b, member_c):
    assert names(selectors.roster(secretary_a)) == ["李明"]


@pytest.mark.django_db
def test_roster_of_orgdept_holds_its_town_not_the_other(tree, orgdept, member_a, member_b, member_c):
    assert set(names(selectors.roster(orgdept))) == {"李明", "王芳"}


@pytest.mark.django_db
def test_roster_of_plain_member_is_empty_their_record_is_on_their_own_page(tree, member_a, member_b):
    assert names(selectors.roster(member_a.user)) == []


@pytest.mark.django_db
def test_roster_filters_by_subtree(tree, orgdept, member_a, member_b):
    assert names(selectors.roster(orgdept, branch=tree.village_b)) == ["王芳"]


@pytest.mark.django_db
def test_roster_filters_by_status_occupation_situation_and_group(tree, orgdept, member_a):
    MemberFactory(
        branch=tree.branch_a, name="赵预备", status=Member.Status.PROBATIONARY, confirmed_on=None,
        joined_on=datetime.date(2024, 1, 1), occupation=Member.Occupation.FARMER, situation=Member.Situation.MOBILE,
    )  # fmt: skip
    assert names(selectors.roster(orgdept, status=Member.Status.PROBATIONARY)) == ["赵预备"]
    assert names(selectors.roster(orgdept, occupation=Member.Occupation.FARMER)) == ["赵预备"]
    assert names(selectors.roster(orgdept, situation=Member.Situation.MOBILE)) == ["赵预备"]
    assert names(selectors.roster(orgdept, group=tree.group_a)) == ["李明"]


@pytest.mark.django_db
def test_roster_shows_active_by_default_and_left_on_request(tree, orgdept, member_a, member_b):
    Member.objects.filter(pk=member_b.pk).update(is_active=False, left_on=datetime.date(2024, 1, 1))
    assert names(selectors.roster(orgdept)) == ["李明"]
    assert names(selectors.roster(orgdept, state=selectors.State.LEFT)) == ["王芳"]
    assert set(names(selectors.roster(orgdept, state=selectors.State.ALL))) == {"李明", "王芳"}


@pytest.mark.django_db
def test_search_finds_by_part_of_name(tree, orgdept, member_a, member_b):
    assert names(selectors.roster(orgdept, q="明")) == ["李明"]


@pytest.mark.django_db
def test_search_finds_by_whole_phone_written_with_spaces_with_view_sensitive(tree, orgdept, member_a):
    spaced = f"{member_a.phone[:3]} {member_a.phone[3:7]} {member_a.phone[7:]}"
    assert names(selectors.roster(orgdept, q=spaced)) == ["李明"]


@pytest.mark.django_db
def test_search_by_whole_phone_finds_nothing_without_view_sensitive(tree, secretary_a, reviewer, member_a):
    """Who sees 139****0001 cannot confirm a guess of the hidden digits by searching for it."""
    assert names(selectors.roster(secretary_a, q=member_a.phone)) == []
    assert names(selectors.roster(reviewer, q=member_a.phone)) == []


@pytest.mark.django_db
def test_search_by_part_of_phone_only_where_phones_are_readable(tree, orgdept, secretary_a, member_a):
    part = member_a.phone[3:8]
    assert names(selectors.roster(orgdept, q=part)) == ["李明"]
    assert names(selectors.roster(secretary_a, q=part)) == []


@pytest.mark.django_db
def test_search_finds_by_whole_id_number_with_view_sensitive(tree, orgdept, member_a):
    assert names(selectors.roster(orgdept, q=member_a.id_number.lower())) == ["李明"]


@pytest.mark.django_db
def test_search_by_whole_id_number_finds_nothing_without_view_sensitive(tree, secretary_a, viewer, member_a):
    assert names(selectors.roster(secretary_a, q=member_a.id_number)) == []
    assert names(selectors.roster(viewer, q=member_a.id_number)) == []


@pytest.mark.django_db
def test_number_search_keeps_to_the_subtrees_where_the_user_holds_view_sensitive(tree, member_a, member_b):
    from tests.factories import UserFactory

    user = UserFactory(username="half")
    access.grant(user, access.VIEW, tree.town)
    access.grant(user, access.SENSITIVE, tree.village_b)
    assert names(selectors.roster(user, q=member_b.phone)) == ["王芳"]
    assert names(selectors.roster(user, q=member_a.phone)) == []
    assert names(selectors.roster(user, q=member_a.id_number)) == []


@pytest.mark.django_db
def test_roster_sorts_by_each_key_in_both_directions(tree, orgdept):
    MemberFactory(branch=tree.branch_b, name="甲", joined_on=datetime.date(2003, 1, 1))
    MemberFactory(branch=tree.branch_a, name="乙", joined_on=datetime.date(2001, 1, 1))
    MemberFactory(branch=tree.branch_a, name="丙", joined_on=datetime.date(2002, 1, 1))
    assert names(selectors.roster(orgdept, sort="joined_on")) == ["乙", "丙", "甲"]
    assert names(selectors.roster(orgdept, sort="-joined_on")) == ["甲", "丙", "乙"]
    # branch B's path sorts after branch A's; within a branch by pinyin (丙 bing, 乙 yi)
    assert names(selectors.roster(orgdept, sort="branch")) == ["丙", "乙", "甲"]
    assert names(selectors.roster(orgdept, sort="-branch"))[0] == "甲"
    # by pinyin (丙 bing, 甲 jia, 乙 yi), not by code point (丙 < 乙 < 甲)
    assert names(selectors.roster(orgdept, sort="name")) == ["丙", "甲", "乙"]
    assert names(selectors.roster(orgdept, sort="-name")) == ["乙", "甲", "丙"]


@pytest.mark.django_db
def test_roster_rows_format_without_further_queries(tree, orgdept, bulk_members, django_assert_num_queries):
    bulk_members(tree.branch_a, 5)
    access.grants(orgdept)  # read once per request; the rows themselves must cost one query
    with django_assert_num_queries(1):
        rows = list(selectors.roster(orgdept))
        for m in rows:
            (m.id_number_for(orgdept, explicit=True), m.phone_for(orgdept, explicit=True), m.branch.name, m.group_name)
    assert len(rows) == 5


@pytest.mark.django_db
def test_roster_page_counts_exactly_below_the_cap(tree, secretary_a, bulk_members):
    bulk_members(tree.branch_a, 120)
    page = selectors.roster_page(selectors.roster(secretary_a), 3)
    assert (page.total, page.total_is_capped, page.num_pages) == (120, False, 3)
    assert len(page.members) == 20 and not page.has_next and page.has_previous
    assert (page.start_index, page.end_index) == (101, 120)


@pytest.mark.django_db
def test_roster_page_above_the_cap_says_more_and_still_pages(tree, secretary_a, bulk_members):
    bulk_members(tree.branch_a, 120)
    page = selectors.roster_page(selectors.roster(secretary_a), 2, cap=60)
    assert (page.total, page.total_is_capped, page.num_pages) == (60, True, None)
    assert len(page.members) == selectors.PAGE_SIZE and page.has_next


@pytest.mark.django_db
def test_roster_page_beyond_the_end_shows_the_last_page(tree, secretary_a, bulk_members):
    bulk_members(tree.branch_a, 60)
    page = selectors.roster_page(selectors.roster(secretary_a), 99)
    assert page.number == 2 and len(page.members) == 10


def test_age_counts_whole_years():
    assert selectors.age_on(datetime.date(1980, 5, 17), datetime.date(2024, 5, 16)) == 43
    assert selectors.age_on(datetime.date(1980, 5, 17), datetime.date(2024, 5, 17)) == 44


@pytest.mark.django_db
def test_member_history_lists_newest_first(tree, member_a):
    from members.models import MemberEvent

    MemberEvent.objects.create(member=member_a, kind=MemberEvent.Kind.CREATED, occurred_on=datetime.date(2020, 1, 1))
    MemberEvent.objects.create(member=member_a, kind=MemberEvent.Kind.LEFT, occurred_on=datetime.date(2023, 1, 1))
    assert [e.kind for e in selectors.member_history(member_a)] == ["left", "created"]


@pytest.mark.django_db
def test_manageable_home_branches_are_current_branches_the_user_manages(tree, orgdept, secretary_a, viewer):
    assert set(selectors.manageable_home_branches(orgdept).values_list("code", flat=True)) == {"VA", "BA", "VB", "BB"}
    assert list(selectors.manageable_home_branches(secretary_a).values_list("code", flat=True)) == ["BA"]
    assert not selectors.manageable_home_branches(viewer).exists()


@pytest.mark.django_db
def test_groups_under_a_branch_or_the_managed_subtree(tree, secretary_b, orgdept):
    assert list(selectors.groups_under(orgdept, tree.branch_a).values_list("code", flat=True)) == ["GA"]
    assert not selectors.groups_under(secretary_b, None).exists()
