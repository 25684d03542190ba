"""Names sort by pinyin (members/pinyin.py, Member.name_pinyin), not by code point."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from members.models import Member
from members.pinyin import name_sort_key
from members.roster_io.importing import import_members
from tests.factories import MemberFactory

from .import_helpers import person, workbook_bytes

NAMES = ["张伟", "曹操", "白雪", "阿明"]  # code-point order would be 张 < 曹 < 白 < 阿
PINYIN_ORDER = ["阿明", "白雪", "曹操", "张伟"]


def test_code_point_order_is_not_pinyin_order():
    assert sorted(NAMES) == NAMES  # the order a plain ORDER BY name gives on SQLite and C collations
    assert sorted(NAMES, key=name_sort_key) == PINYIN_ORDER


def test_the_key_spells_each_syllable_with_its_tone():
    assert name_sort_key("张三") == "zhang1san1"
    assert name_sort_key(" 李四 ") == "li3si4"
    assert name_sort_key("") == ""


def test_a_shorter_syllable_sorts_first_and_tones_go_one_to_four():
    # 阿 a, 艾 ai; 妈 ma1 麻 ma2 马 ma3 骂 ma4
    assert sorted(["艾华", "阿华"], key=name_sort_key) == ["阿华", "艾华"]
    assert sorted(["骂一", "马一", "麻一", "妈一"], key=name_sort_key) == ["妈一", "麻一", "马一", "骂一"]


def test_a_surname_is_read_as_a_surname():
    assert name_sort_key("曾国藩").startswith("zeng1")  # not ceng2
    assert name_sort_key("单田芳").startswith("shan4")  # not dan1
    assert name_sort_key("单于明").startswith("chan2yu2")  # the two-character surname
    assert name_sort_key("乐园").startswith("yue4")  # not le4 of the word 乐园
    assert sorted(["曾明", "蔡明", "张明"], key=name_sort_key) == ["蔡明", "曾明", "张明"]


def test_a_name_that_is_not_chinese_is_kept_lower_cased():
    assert name_sort_key("Tom") == "tom"
    assert name_sort_key("阿依古丽·买买提").startswith("a1yi1gu3li4·")


def test_the_key_is_cut_to_the_column():
    assert len(name_sort_key("张" * 50)) == 255


@pytest.mark.django_db
def test_the_roster_lists_members_by_pinyin(tree):
    for name in NAMES:
        MemberFactory(branch=tree.branch_a, name=name)
    assert list(Member.objects.filter(branch=tree.branch_a).values_list("name", flat=True)) == PINYIN_ORDER


@pytest.mark.django_db
def test_save_fills_the_key_even_with_update_fields(tree):
    member = MemberFactory(branch=tree.branch_a, name="张伟")
    assert member.name_pinyin == "zhang1wei3"
    member.name = "阿明"
    member.save(update_fields=["name"])
    assert Member.objects.get(pk=member.pk).name_pinyin == "a1ming2"


@pytest.mark.django_db
def test_bulk_writes_fill_the_key(tree, bulk_members):
    (member,) = bulk_members(tree.branch_a, 1, name="曹操")
    assert Member.objects.get(pk=member.pk).name_pinyin == "cao2cao1"
    member.name = "白雪"
    Member.objects.bulk_update([member], ["name"])
    assert Member.objects.get(pk=member.pk).name_pinyin == "bai2xue3"


@pytest.mark.django_db
def test_the_roster_import_fills_the_key_of_new_and_changed_members(tree, orgdept):
    row = person(姓名="曹操")
    assert import_members(workbook_bytes([row]), user=orgdept).ok
    assert Member.objects.with_id_number(row["公民身份号码"]).get().name_pinyin == "cao2cao1"
    row["姓名"] = "白雪"
    assert import_members(workbook_bytes([row]), user=orgdept).ok
    assert Member.objects.with_id_number(row["公民身份号码"]).get().name_pinyin == "bai2xue3"


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_key_of_stored_members(tree):
    apps = _migrate(("members", "0006_occupation_situation_probation_sanction_dues"))
    for n, name in enumerate(NAMES):
        apps.get_model("members", "Member").objects.create(
            name=name,
            sex="M",
            birth_date="1980-01-01",
            id_number_encrypted="x",
            id_number_digest=f"d{n}",
            branch_id=tree.branch_a.pk,
            joined_on="2005-07-01",
        )
    try:
        apps = _migrate(("members", "0007_member_name_pinyin"))
        rows = apps.get_model("members", "Member").objects.order_by("name_pinyin").values_list("name", flat=True)
        assert list(rows) == PINYIN_ORDER
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
