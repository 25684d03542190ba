"""Importing the roster from Excel: accepted formats, refusals, all or nothing, scope, commands."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from branches import access
from members import crypto
from members.models import Member, MemberEvent, Position
from members.roster_io.importing import import_members
from members.services import position_appoint
from tests.factories import MemberFactory, new_id_number

from .import_helpers import error_tuples, person, workbook_bytes

ALL = None  # the server's administrator: every branch in scope


def member_of(number: str) -> Member:
    return Member.objects.with_id_number(number).get()


# Accepted -----------------------------------------------------------------------------------


def test_new_members_are_created_with_an_import_event(tree, orgdept):
    rows = [person(姓名="张三"), person(姓名="李四", 党小组编码="GA")]
    result = import_members(workbook_bytes(rows), user=orgdept)
    assert result.ok, result.errors
    assert (result.new, result.changed, result.unchanged) == (2, 0, 0)
    created = member_of(rows[1]["公民身份号码"])
    assert created.name == "李四"
    assert created.branch == tree.branch_a
    assert created.group == tree.group_a
    assert created.id_number == rows[1]["公民身份号码"]
    event = created.events.get()
    assert event.kind == MemberEvent.Kind.IMPORTED
    assert event.by == orgdept
    assert event.to_branch == tree.branch_a


@pytest.mark.parametrize(
    "value",
    [
        datetime.datetime(2001, 7, 1),
        datetime.date(2001, 7, 1),
        "2001-07-01",
        "2001/7/1",
        "2001.07.01",
        "2001年7月1日",
        "20010701",
        20010701,
        "２００１－０７－０１",
        " 2001-07-01 ",
    ],
)
def test_each_date_format_is_accepted(tree, orgdept, value):
    row = person(入党日期=value, 转正日期="2002-07-01")
    result = import_members(workbook_bytes([row]), user=orgdept)
    assert result.ok, result.errors
    assert member_of(row["公民身份号码"]).joined_on == datetime.date(2001, 7, 1)


def test_full_width_and_lower_case_x_in_id_number_are_accepted(tree, orgdept):
    number = "11010519491231002X"  # GB 11643's own example: born 1949-12-31, female
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number.lower())
    row = person(
        公民身份号码=full_width, 性别="女", 出生日期="1949-12-31", 入党日期="1975-07-01", 转正日期="1976-07-01"
    )
    result = import_members(workbook_bytes([row]), user=orgdept)
    assert result.ok, result.errors
    member = member_of(number)
    assert member.id_number == number
    assert member.sex == Member.Sex.FEMALE


@pytest.mark.parametrize(
    "phone", ["138 0013 8000", "138-0013-8000", "+86 138 0013 8000", "+86-13800138000", 13800138000]
)
def test_phone_with_spaces_hyphens_or_country_code_is_accepted(tree, orgdept, phone):
    row = person(手机号码=phone)
    assert import_members(workbook_bytes([row]), user=orgdept).ok
    assert member_of(row["公民身份号码"]).phone == "13800138000"


def test_columns_in_any_order_with_spaces_notes_and_full_width_brackets(tree, orgdept):
    headers = [
        " 转正日期 ",
        "（党员状态）",
        "入党日期（必填）",
        "党员状况",
        "职业类别",
        "党小组编码",
        "党组织编码",
        "手机号码",
        "学历",
        "公民身份号码(18位)",
        "出生日期",
        "民族",
        "性别",
        "*姓名",
    ]
    row = person()
    source = workbook_bytes([row], headers=headers)
    result = import_members(source, user=orgdept)
    assert result.ok, result.errors
    assert member_of(row["公民身份号码"]).confirmed_on == datetime.date(2006, 7, 1)


def test_title_line_above_headers_and_blank_rows_at_the_end_are_ignored(tree, orgdept):
    rows = [person(), person()]
    source = workbook_bytes(rows, above=[["东村第一网格党支部党员花名册"]], below=3)
    result = import_members(source, user=orgdept)
    assert result.ok, result.errors
    assert [r.row for r in result.new_rows] == [3, 4]


def test_filled_in_template_is_accepted(tree, orgdept):
    from openpyxl import load_workbook

    from members.roster_io.exporting import write_template

    blank = io.BytesIO()
    write_template(blank)
    workbook = load_workbook(blank)
    row = person()
    for column, header in enumerate(workbook.worksheets[0][1], start=1):
        workbook.worksheets[0].cell(row=2, column=column, value=row[header.value])
    filled = io.BytesIO()
    workbook.save(filled)
    filled.seek(0)
    result = import_members(filled, user=orgdept)
    assert result.ok, result.errors
    assert [r.row for r in result.new_rows] == [2]


def test_sex_and_birth_date_may_be_left_blank(tree, orgdept):
    row = person(性别="", 出生日期="")
    assert import_members(workbook_bytes([row]), user=orgdept).ok
    member = member_of(row["公民身份号码"])
    assert (member.sex, member.birth_date) == ("M", datetime.date(1980, 5, 17))


def test_file_object_and_path_are_both_accepted(tree, orgdept, tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(workbook_bytes([person()]).getvalue())
    assert import_members(path, user=orgdept).new == 1
    assert import_members(str(path), user=orgdept).unchanged == 1


# Refused rows ------------------------------------------------------------------------------


def _refusal(overrides: dict) -> dict:
    return person(**overrides)


REFUSALS = [
    ({"公民身份号码": "350181198005171230"}, "公民身份号码", "校验位错误"),
    ({"公民身份号码": "350181800517123"}, "公民身份号码", "15位"),
    ({"出生日期": "1981-05-17"}, "出生日期", "与公民身份号码不符"),
    ({"性别": "女"}, "性别", "与公民身份号码不符"),
    ({"党员状态": "预备党员"}, "转正日期", "预备党员不应有转正日期"),
    ({"转正日期": ""}, "转正日期", "正式党员须填写转正日期"),
    ({"转正日期": "2005-07-01"}, "转正日期", "转正日期应晚于入党日期"),
    ({"入党日期": "2999-01-01", "党员状态": "预备党员", "转正日期": ""}, "入党日期", "不能晚于今天"),
    ({"入党日期": "1997-07-01", "转正日期": "1998-07-01"}, "入党日期", "18周岁"),
    ({"职业类别": "退役军人"}, "职业类别", "无法识别"),
    ({"党员状况": "出国"}, "党员状况", "无法识别"),
    ({"党员状态": "积极分子"}, "党员状态", "无法识别"),
    ({"学历": "幼儿园"}, "学历", "无法识别"),
    ({"党组织编码": "NOPE"}, "党组织编码", "不存在"),
    ({"党组织编码": ""}, "党组织编码", "不能为空"),
    ({"党组织编码": "TOWN"}, "党组织编码", "党员应编入党支部或党总支"),
    ({"党小组编码": "NOPE"}, "党小组编码", "不存在"),
    ({"党组织编码": "BB", "党小组编码": "GA"}, "党小组编码", "不是"),
    ({"入党日期": "去年七月"}, "入党日期", "无法识别"),
    ({"入党日期": "2001-13-01"}, "入党日期", "不存在"),
    ({"出生日期": "1980-02-30"}, "出生日期", "不存在"),
    ({"手机号码": "12345"}, "手机号码", "11位"),
    ({"姓名": ""}, "姓名", "不能为空"),
]


@pytest.mark.parametrize("overrides, column, reason", REFUSALS, ids=[r[2] + "-" + r[1] for r in REFUSALS])
def test_bad_row_is_refused_naming_row_column_and_reason(tree, orgdept, overrides, column, reason):
    source = workbook_bytes([person(), _refusal(overrides)])
    result = import_members(source, user=orgdept)
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(3, column)]
    assert reason in result.errors[0].message
    assert str(result.errors[0]).startswith(f"第3行，{column}：")
    assert not Member.objects.exists()


def test_same_id_number_twice_in_the_file_names_both_rows(tree, orgdept):
    number = new_id_number()
    rows = [person(公民身份号码=number), person(), person(公民身份号码=number.lower())]
    result = import_members(workbook_bytes(rows), user=orgdept)
    assert [(e.row, e.column) for e in result.errors] == [(2, "公民身份号码"), (4, "公民身份号码")]
    assert "第4行" in result.errors[0].message
    assert "第2行" in result.errors[1].message


def test_one_bad_row_writes_nothing_and_every_bad_row_is_reported(tree, orgdept):
    rows = [person(), person(职业类别="神仙"), person(), person(公民身份号码="123"), person()]
    result = import_members(workbook_bytes(rows), user=orgdept)
    assert [e.row for e in result.errors] == [3, 5]
    assert not result.written
    assert not Member.objects.exists()
    assert not MemberEvent.objects.exists()


def test_member_registered_meanwhile_makes_the_whole_import_fail(tree, orgdept, monkeypatch):
    rows = [person(), person()]
    MemberFactory(branch=tree.branch_a, id_number=rows[1]["公民身份号码"])
    # As if the member had been registered between the checks and the writing.
    monkeypatch.setattr("members.roster_io.importing.load_existing", lambda digests: {})
    result = import_members(workbook_bytes(rows), user=orgdept)
    assert not result.ok and not result.written
    assert "花名册已被他人修改" in result.errors[0].message
    assert Member.objects.count() == 1


def test_dry_run_reports_but_writes_nothing(tree, orgdept):
    result = import_members(workbook_bytes([person(), person()]), user=orgdept, dry_run=True)
    assert result.ok and result.new == 2 and not result.written
    assert not Member.objects.exists()


# Existing members --------------------------------------------------------------------------


def test_same_member_is_updated_not_duplicated(tree, orgdept):
    member = MemberFactory(branch=tree.branch_a, name="王五", phone="13900000001")
    number = member.id_number
    row = person(
        公民身份号码=number,
        姓名="王五",
        手机号码="13900000002",
        学历="大专",
        入党日期="2005-07-01",
        转正日期="2006-07-01",
    )
    result = import_members(workbook_bytes([row]), user=orgdept)
    assert result.ok, result.errors
    assert (result.new, result.changed) == (0, 1)
    assert set(result.changed_rows[0].changes) == {"手机号码", "学历"}
    assert Member.objects.count() == 1
    member.refresh_from_db()
    assert (member.phone, member.education) == ("13900000002", Member.Education.JUNIOR_COLLEGE)
    event = member.events.get(kind=MemberEvent.Kind.UPDATED)
    assert "手机号码" in event.detail and event.by == orgdept


def test_status_change_by_import_is_recorded(tree, orgdept):
    member = MemberFactory(branch=tree.branch_a, status=Member.Status.PROBATIONARY, confirmed_on=None)
    row = person(公民身份号码=member.id_number, 党员状态="正式党员", 转正日期="2006-07-01")
    assert import_members(workbook_bytes([row]), user=orgdept).changed == 1
    event = member.events.get(kind=MemberEvent.Kind.STATUS_CHANGED)
    assert event.occurred_on == datetime.date(2006, 7, 1)
    assert event.detail == "预备党员 → 正式党员"


def test_change_of_branch_within_scope_is_recorded_as_a_transfer(tree, orgdept):
    member = MemberFactory(branch=tree.branch_a, group=tree.group_a)
    position = position_appoint(
        member=member, branch=tree.group_a, title=Position.Title.GROUP_LEADER, on=datetime.date(2020, 1, 1)
    )
    row = person(公民身份号码=member.id_number, 姓名=member.name, 手机号码=member.phone, 学历="", 党组织编码="BB")
    result = import_members(workbook_bytes([row]), user=orgdept)
    assert result.ok and result.changed == 1 and result.transferred == 1
    member.refresh_from_db()
    assert (member.branch, member.group) == (tree.branch_b, None)
    transfer = member.events.get(kind=MemberEvent.Kind.TRANSFERRED)
    assert (transfer.from_branch, transfer.to_branch, transfer.by) == (tree.branch_a, tree.branch_b, orgdept)
    assert not member.events.filter(kind=MemberEvent.Kind.UPDATED).exists()
    position.refresh_from_db()
    assert position.ended_on == timezone.localdate()


def test_left_member_is_refused(tree, orgdept):
    member = MemberFactory(branch=tree.branch_a, is_active=False, left_on=datetime.date(2020, 1, 1), left_reason="died")
    result = import_members(workbook_bytes([person(公民身份号码=member.id_number)]), user=orgdept)
    assert [(e.row, e.column) for e in result.errors] == [(2, "公民身份号码")]
    assert "离册" in result.errors[0].message


# Scope -------------------------------------------------------------------------------------


def test_secretary_of_a_cannot_import_into_branch_b(tree, secretary_a):
    result = import_members(workbook_bytes([person("BA"), person("BB")]), user=secretary_a)
    assert [(e.row, e.column) for e in result.errors] == [(3, "党组织编码")]
    assert "权" in result.errors[0].message or "范围" in result.errors[0].message
    assert not Member.objects.exists()


def test_code_of_another_town_reads_as_unknown(tree, secretary_a):
    result = import_members(workbook_bytes([person("BC")]), user=secretary_a)
    assert error_tuples(result) == [(2, "党组织编码", "党组织编码“BC”不存在或不在您的管理范围内")]


def test_viewer_without_manage_cannot_import(tree, viewer):
    result = import_members(workbook_bytes([person("BA")]), user=viewer)
    assert [(e.row, e.column) for e in result.errors] == [(2, "党组织编码")]
    assert "没有管理" in result.errors[0].message


def test_member_of_a_branch_outside_scope_is_refused_without_saying_where(tree, secretary_a, member_b):
    result = import_members(workbook_bytes([person(公民身份号码=member_b.id_number)]), user=secretary_a)
    assert [(e.row, e.column) for e in result.errors] == [(2, "公民身份号码")]
    assert result.errors[0].message == "该公民身份号码无法建档，请联系上级组织部核实"
    member_b.refresh_from_db()
    assert member_b.branch == tree.branch_b


def test_without_a_user_every_branch_is_in_scope(tree):
    assert import_members(workbook_bytes([person("BA"), person("BC")]), user=ALL).new == 2


# Refused files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "空"),
        (b"name,id\n1,2\n", "不是Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".xls"),
        (b"PK\x03\x04not really a zip", "损坏"),
    ],
)
def test_file_that_is_not_an_xlsx_is_refused(tree, orgdept, content, reason):
    result = import_members(io.BytesIO(content), user=orgdept)
    assert len(result.errors) == 1 and result.errors[0].row is None
    assert reason in result.errors[0].message


def test_file_larger_than_the_limit_is_refused(tree, orgdept):
    source = workbook_bytes([person()])
    with override_settings(IMPORT_MAX_BYTES=len(source.getvalue()) - 1):
        result = import_members(source, user=orgdept)
    assert "超过上限" in result.errors[0].message
    assert not Member.objects.exists()


def test_missing_columns_are_named(tree, orgdept):
    headers = [h for h in person() if h not in ("民族", "转正日期")]
    result = import_members(workbook_bytes([person()], headers=headers), user=orgdept)
    assert [(e.row, e.column) for e in result.errors] == [(1, "民族"), (1, "转正日期")]
    assert result.errors[0].message == "缺少“民族”列"


def _old_sheet_headers() -> list[str]:
    """The columns of a sheet made before 人员类别 was split into 职业类别 and 党员状况."""
    return [h for h in person() if h not in ("职业类别", "党员状况")] + ["人员类别"]


@pytest.mark.parametrize(
    "category, occupation, situation",
    [("在职", "employed", "normal"), ("离退休", "retired", "normal"), ("流动", "other", "mobile"),
     ("失联", "other", "lost_contact"), ("流动党员", "other", "mobile")],
)  # fmt: skip
def test_an_old_sheets_category_column_still_imports(tree, orgdept, category, occupation, situation):
    row = person(人员类别=category)
    result = import_members(workbook_bytes([row], headers=_old_sheet_headers()), user=orgdept)
    assert result.ok, result.errors
    member = member_of(row["公民身份号码"])
    assert (member.occupation, member.situation) == (occupation, situation)


def test_an_unreadable_old_category_is_named_under_its_own_header(tree, orgdept):
    row = person(人员类别="神仙")
    result = import_members(workbook_bytes([row], headers=_old_sheet_headers()), user=orgdept)
    assert [(e.row, e.column) for e in result.errors] == [(2, "人员类别")]
    assert "人员类别“神仙”无法识别" in result.errors[0].message


def test_a_sheet_without_occupation_situation_or_category_names_the_new_columns(tree, orgdept):
    headers = [h for h in person() if h not in ("职业类别", "党员状况")]
    result = import_members(workbook_bytes([person()], headers=headers), user=orgdept)
    assert [e.message for e in result.errors] == ["缺少“职业类别”列", "缺少“党员状况”列"]


def test_headers_without_rows_are_refused(tree, orgdept):
    result = import_members(workbook_bytes([], below=2), user=orgdept)
    assert "没有党员数据" in result.errors[0].message


# Re-import, queries, the baseline ------------------------------------------------------------


def test_reimport_of_a_full_export_changes_nothing(tree, orgdept, tmp_path):
    from members.roster_io.exporting import export_members

    MemberFactory(branch=tree.branch_a, group=tree.group_a, education=Member.Education.POSTGRADUATE)
    MemberFactory(branch=tree.branch_b, status=Member.Status.PROBATIONARY, confirmed_on=None, phone="")
    MemberFactory(branch=tree.village_b, ethnicity="回族", occupation=Member.Occupation.RETIRED)
    path = tmp_path / "export.xlsx"
    assert export_members(path, user=orgdept) == 3
    before = list(Member.objects.values().order_by("pk"))
    result = import_members(path, user=orgdept)
    assert result.ok, result.errors
    assert (result.new, result.changed, result.unchanged) == (0, 0, 3)
    assert list(Member.objects.values().order_by("pk")) == before
    assert not MemberEvent.objects.exists()


def test_import_runs_the_same_number_of_queries_for_few_and_many_rows(tree, orgdept):
    access.grants(orgdept)  # read once per user and cached

    def count(rows: list[dict], expected: tuple) -> int:
        with CaptureQueriesContext(connection) as captured:
            result = import_members(workbook_bytes(rows), user=orgdept)
        assert (result.new, result.changed, result.unchanged) == expected
        return len(captured)

    # 30 rows: SQLite takes at most 999 parameters a statement, so Django splits an insert of
    # Member's 25 columns above 39 rows (PostgreSQL does not split); the count must not grow before.
    few, many = [person() for _ in range(3)], [person() for _ in range(30)]
    assert count(few, (3, 0, 0)) == count(many, (30, 0, 0))
    assert count(few, (0, 0, 3)) == count(many, (0, 0, 30))
    for rows in (few, many):
        for row in rows:
            row["手机号码"] = "13700000000"
    assert count(few, (0, 3, 0)) == count(many, (0, 30, 0))


def test_digest_lookup_finds_imported_member(tree, orgdept):
    row = person()
    import_members(workbook_bytes([row]), user=orgdept)
    assert Member.objects.filter(id_number_digest=crypto.digest(row["公民身份号码"])).exists()


# The command -------------------------------------------------------------------------------


def _file(tmp_path, rows) -> str:
    path = tmp_path / "roster.xlsx"
    path.write_bytes(workbook_bytes(rows).getvalue())
    return str(path)


def test_import_command_prints_counts(tree, tmp_path, capsys):
    call_command("import_members", _file(tmp_path, [person(), person()]))
    out = capsys.readouterr().out
    assert "新增2人" in out
    assert Member.objects.count() == 2


def test_import_command_prints_every_error_and_fails(tree, tmp_path, capsys):
    path = _file(tmp_path, [person(职业类别="神仙"), person(公民身份号码="123")])
    with pytest.raises(CommandError):
        call_command("import_members", path)
    err = capsys.readouterr().err
    assert "第2行，职业类别：" in err and "第3行，公民身份号码：" in err
    assert not Member.objects.exists()


def test_import_command_dry_run_writes_nothing(tree, tmp_path, capsys):
    call_command("import_members", _file(tmp_path, [person()]), "--dry-run")
    assert "新增1人" in capsys.readouterr().out
    assert not Member.objects.exists()


def test_import_command_as_a_user_keeps_to_their_scope(tree, secretary_a, tmp_path, capsys):
    with pytest.raises(CommandError):
        call_command("import_members", _file(tmp_path, [person("BB")]), "--user", "secretary_a")
    assert "第2行，党组织编码：" in capsys.readouterr().err


def test_import_command_refuses_an_unknown_user(tree, tmp_path):
    with pytest.raises(CommandError, match="nobody"):
        call_command("import_members", _file(tmp_path, [person()]), "--user", "nobody")
