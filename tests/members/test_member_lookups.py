"""Look-ups by ID number tell nobody who is a member elsewhere, and are budgeted per user (issue 12, item 3).

The dues import, the roster import and member creation answer one message for "on another
branch's roster" and (dues) "on no roster", never a name or a branch; each failed look-up
counts against ``settings.RATE_LIMITS["member_lookup"]`` per user, and over it the next import
or creation is refused and changes nothing.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from members import services
from members.dues.importing import import_dues
from members.models import DuesPayment, Member
from members.roster_io.checks import CANNOT_ENROL, NOT_IN_SCOPE
from members.roster_io.importing import import_members
from members.services import MemberError
from tests.factories import MemberFactory, new_id_number

from .import_helpers import person, workbook_bytes
from .test_dues_import import xlsx
from .test_services import data_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters(own_cache):
    pass


@pytest.fixture
def budget(settings):
    """``budget(n)``: at most n failed look-ups per user and hour."""

    def _set(limit: int) -> None:
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, "member_lookup": (limit, 3600)}

    return _set


def _dues_row(number: str, name: str = "") -> list:
    return [name, number, "2026-03", 10, "2026-03-03"]


def messages_of(result) -> list[str]:
    return [e.message for e in result.errors]


# One answer, no names ------------------------------------------------------------------------


def test_dues_import_answers_another_towns_member_and_a_non_member_alike(tree, secretary_a, member_c):
    other_town = import_dues(xlsx([_dues_row(member_c.id_number, "陈刚")]), user=secretary_a)
    nobody = import_dues(xlsx([_dues_row(new_id_number(), "陈刚")]), user=secretary_a)
    assert messages_of(other_town) == messages_of(nobody) == [NOT_IN_SCOPE]
    assert [(e.row, e.column) for e in other_town.errors] == [(e.row, e.column) for e in nobody.errors]
    assert not DuesPayment.objects.exists()


def test_dues_import_never_names_a_member_outside_the_scope(tree, secretary_a, member_b, member_c):
    rows = [_dues_row(member_b.id_number, "某某"), _dues_row(member_c.id_number, "某某")]
    result = import_dues(xlsx(rows), user=secretary_a)
    assert messages_of(result) == [NOT_IN_SCOPE, NOT_IN_SCOPE]
    text = " ".join(messages_of(result))
    assert not any(word in text for word in ("王芳", "陈刚", "西村", "南村", "南岭"))


def test_dues_import_in_the_scope_keeps_its_precise_messages(tree, secretary_a, member_a):
    result = import_dues(xlsx([_dues_row(member_a.id_number, "张三")]), user=secretary_a)
    assert messages_of(result) == ["姓名与花名册不一致（花名册中为“李明”）"]


def test_dues_import_page_shows_the_one_message(login_as, tree, member_c):
    client = login_as("secretary_a")
    response = client.post(reverse("members:dues_import"), {"file": xlsx([_dues_row(member_c.id_number)])})
    body = response.content.decode()
    assert NOT_IN_SCOPE in body and "陈刚" not in body and "南村" not in body


def test_roster_import_refuses_a_number_of_another_town_without_saying_whose(tree, secretary_a, member_c):
    result = import_members(workbook_bytes([person(公民身份号码=member_c.id_number)]), user=secretary_a)
    assert messages_of(result) == [CANNOT_ENROL]
    assert Member.objects.count() == 1


def test_member_creation_refuses_a_number_of_another_town_without_saying_whose(tree, secretary_a, member_c):
    with pytest.raises(MemberError) as caught:
        services.member_create(data=data_for(tree.branch_a, id_number=member_c.id_number), by=secretary_a)
    assert caught.value.message == CANNOT_ENROL and caught.value.code == "duplicate_id_number"
    assert caught.value.problems == [("id_number", CANNOT_ENROL)]


def test_member_creation_in_the_scope_says_the_number_is_on_the_roster(tree, orgdept, member_b):
    with pytest.raises(MemberError) as caught:
        services.member_create(data=data_for(tree.branch_a, id_number=member_b.id_number), by=orgdept)
    assert caught.value.message == "该公民身份号码已在册"


def test_member_creation_page_shows_no_name_for_another_towns_number(login_as, tree, member_c):
    from tests.members.test_views import member_post

    response = login_as("secretary_a").post(reverse("members:create"), member_post(tree, id_number=member_c.id_number))
    assert response.context["form"].errors["id_number"] == [CANNOT_ENROL]
    assert Member.objects.count() == 1


# The budget ----------------------------------------------------------------------------------


def test_dues_import_budget_refuses_the_next_import_and_writes_nothing(tree, secretary_a, member_a, budget):
    budget(2)
    first = import_dues(xlsx([_dues_row(new_id_number()), _dues_row(new_id_number())]), user=secretary_a)
    assert messages_of(first) == [NOT_IN_SCOPE, NOT_IN_SCOPE]

    good = import_dues(xlsx([_dues_row(member_a.id_number, "李明")]), user=secretary_a)

    assert not good.written and not DuesPayment.objects.exists()
    assert len(good.errors) == 1 and good.errors[0].row is None and "过多" in good.errors[0].message


def test_an_import_over_the_budget_says_nothing_about_its_rows(tree, secretary_a, member_c, budget):
    budget(2)
    rows = [_dues_row(member_c.id_number), _dues_row(new_id_number()), _dues_row(new_id_number())]
    result = import_dues(xlsx(rows), user=secretary_a)
    assert len(result.errors) == 1 and result.errors[0].row is None and "过多" in result.errors[0].message


def test_the_budget_is_per_user(tree, secretary_a, secretary_b, budget):
    budget(1)
    import_dues(xlsx([_dues_row(new_id_number()), _dues_row(new_id_number())]), user=secretary_a)
    farmer = MemberFactory(branch=tree.branch_b, name="王芳", occupation="farmer")
    result = import_dues(xlsx([_dues_row(farmer.id_number, "王芳")]), user=secretary_b)
    assert result.ok and result.written


def test_the_same_number_on_several_rows_counts_once(tree, secretary_a, budget):
    budget(1)
    number = new_id_number()
    rows = [[*_dues_row(number)[:2], f"2026-0{m}", 10, f"2026-0{m}-03"] for m in (1, 2, 3)]
    assert messages_of(import_dues(xlsx(rows), user=secretary_a)) == [NOT_IN_SCOPE] * 3


def test_roster_import_budget_refuses_the_next_import(tree, secretary_a, member_b, member_c, budget):
    budget(2)
    rows = [person(公民身份号码=member_b.id_number), person(公民身份号码=member_c.id_number)]
    assert messages_of(import_members(workbook_bytes(rows), user=secretary_a)) == [CANNOT_ENROL, CANNOT_ENROL]

    result = import_members(workbook_bytes([person()]), user=secretary_a)

    assert not result.written and len(result.errors) == 1 and "过多" in result.errors[0].message
    assert result.new == 0 and Member.objects.count() == 2


def test_roster_import_preview_counts_too(tree, secretary_a, member_c, budget):
    budget(1)
    import_members(workbook_bytes([person(公民身份号码=member_c.id_number)]), user=secretary_a, dry_run=True)
    result = import_members(workbook_bytes([person()]), user=secretary_a, dry_run=True)
    assert len(result.errors) == 1 and "过多" in result.errors[0].message and result.new == 0


def test_member_creation_budget_refuses_the_next_creation(tree, secretary_a, member_c, budget):
    budget(1)
    with pytest.raises(MemberError):
        services.member_create(data=data_for(tree.branch_a, id_number=member_c.id_number), by=secretary_a)
    with pytest.raises(MemberError) as caught:
        services.member_create(data=data_for(tree.branch_a), by=secretary_a)
    assert caught.value.code == "lookups_exhausted" and "过多" in caught.value.message
    assert Member.objects.count() == 1


def test_without_a_user_nothing_is_budgeted(tree, member_c, budget):
    budget(0)
    result = import_dues(xlsx([_dues_row(new_id_number())]), user=None)
    assert messages_of(result) == [NOT_IN_SCOPE]
    assert services.member_create(data=data_for(tree.branch_a, birth_date=datetime.date(1990, 2, 3))).pk
