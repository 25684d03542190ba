"""The site's roster import page (upload, preview, confirm), its template and the export download."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from branches.files import IMPORTS_DIR
from members.models import Member, MemberEvent
from members.roster_io.columns import HEADERS
from members.roster_io.views import SESSION_KEY
from tests.factories import MemberFactory

from .import_helpers import person, read_sheet, workbook_bytes

pytestmark = pytest.mark.django_db

IMPORT = reverse("members:import")
CONFIRM = reverse("members:import_confirm")
TEMPLATE = reverse("members:import_template")
EXPORT = reverse("members:roster_export")


@pytest.fixture(autouse=True)
def upload_dir(settings):
    """The previews' directory of the private storage, emptied for each test."""
    directory = Path(settings.PRIVATE_FILES_ROOT) / IMPORTS_DIR
    shutil.rmtree(directory, ignore_errors=True)
    return directory


def upload(client, rows, name="roster.xlsx"):
    data = workbook_bytes(rows).getvalue()
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, data)})


def kept_files(upload_dir) -> list:
    return list(upload_dir.glob("*.json")) if upload_dir.exists() else []


# Refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [IMPORT, TEMPLATE, EXPORT])
def test_anonymous_is_sent_to_log_in(login_as, url):
    response = login_as("anonymous").get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("url", [IMPORT, TEMPLATE, EXPORT])
def test_member_without_grants_is_refused(login_as, url):
    assert login_as("member_a").get(url).status_code == 403


def test_viewer_without_manage_may_not_import(login_as):
    client = login_as("viewer")
    assert client.get(IMPORT).status_code == 403
    assert client.post(CONFIRM, {"token": "0" * 32}).status_code == 403


def test_export_of_a_branch_outside_the_users_scope_is_an_error_on_the_export_form(login_as, tree):
    response = login_as("secretary_a").get(EXPORT, {"branch": "BB"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert response.context["export_form"].errors["branch"] == ["找不到该党组织，或不在您的管理范围内"]
    viewer = login_as("viewer").get(EXPORT, {"branch": "OTHER"}, follow=True)  # no import page for a viewer
    assert viewer.redirect_chain[-1][0] == reverse("members:list")
    assert "找不到该党组织，或不在您的管理范围内" in viewer.text


def test_export_takes_the_picker_s_name(login_as, tree):
    response = login_as("orgdept").get(EXPORT, {"branch": "东村党总支"})
    assert response.status_code == 200 and "VA" in response["Content-Disposition"]


def test_confirm_only_by_post(login_as):
    assert login_as("orgdept").get(CONFIRM).status_code == 405


# Upload, preview, confirm --------------------------------------------------------------------


def test_page_offers_the_upload_form_and_the_template(login_as):
    response = login_as("secretary_a").get(IMPORT)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="file"' in html and TEMPLATE in html and "公民身份号码" in html


def test_template_is_an_empty_sheet_with_the_headers(login_as):
    response = login_as("secretary_a").get(TEMPLATE)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = read_sheet(b"".join(response.streaming_content))
    assert rows[0] == list(HEADERS)
    assert all(cell is None for row in rows[1:] for cell in row)


def test_upload_shows_a_preview_and_writes_nothing(login_as, tree, upload_dir):
    existing = MemberFactory(branch=tree.branch_a)
    rows = [person(), person(), person(公民身份号码=existing.id_number, 姓名="新名字")]
    response = upload(login_as("secretary_a"), rows)
    assert response.status_code == 200
    result = response.context["result"]
    assert (result.new, result.changed, result.unchanged) == (2, 1, 0)
    html = response.content.decode()
    assert "新增 2 人" in html and "修改 1 人" in html and CONFIRM in html
    assert rows[0]["公民身份号码"] not in html  # the preview masks ID numbers
    assert Member.objects.count() == 1
    assert len(kept_files(upload_dir)) == 1


def test_confirm_writes_the_previewed_file_and_forgets_it(login_as, tree, upload_dir):
    client = login_as("secretary_a")
    upload(client, [person(), person()])
    token = client.session[SESSION_KEY]["token"]
    response = client.post(CONFIRM, {"token": token})
    assert response.status_code == 302 and response.url == IMPORT
    assert Member.objects.filter(branch=tree.branch_a).count() == 2
    assert set(MemberEvent.objects.values_list("kind", flat=True)) == {"imported"}
    assert SESSION_KEY not in client.session
    assert kept_files(upload_dir) == []
    assert "新增2人" in client.get(IMPORT).content.decode()


def test_bad_rows_are_all_listed_and_nothing_can_be_confirmed(login_as, tree, upload_dir):
    rows = [person(), person(职业类别="神仙"), person(公民身份号码="123")]
    response = upload(login_as("secretary_a"), rows)
    html = response.content.decode()
    assert "发现 2 处错误" in html
    assert "职业类别“神仙”无法识别" in html and "公民身份号码应为18位" in html
    assert CONFIRM not in html and response.context["pending"] is None
    assert kept_files(upload_dir) == []
    assert not Member.objects.exists()


def test_row_for_a_branch_the_secretary_does_not_manage_is_an_error(login_as, tree):
    response = upload(login_as("secretary_a"), [person("BA"), person("BB")])
    errors = response.context["result"].errors
    assert [(e.row, e.column) for e in errors] == [(3, "党组织编码")]
    assert not Member.objects.exists()


def test_confirm_checks_again_and_writes_nothing_if_a_row_fails_now(login_as, tree):
    client = login_as("secretary_a")
    rows = [person(), person()]
    upload(client, rows)
    # Meanwhile the second person is registered in branch B, outside secretary A's scope.
    MemberFactory(branch=tree.branch_b, id_number=rows[1]["公民身份号码"])
    response = client.post(CONFIRM, {"token": client.session[SESSION_KEY]["token"]})
    assert response.status_code == 200
    assert "该公民身份号码无法建档，请联系上级组织部核实" in response.content.decode()
    assert Member.objects.count() == 1
    assert SESSION_KEY not in client.session


def test_confirm_with_another_token_is_refused(login_as, tree):
    client = login_as("secretary_a")
    upload(client, [person()])
    response = client.post(CONFIRM, {"token": "f" * 32}, follow=True)
    assert "没有待确认的导入" in response.content.decode()
    assert not Member.objects.exists()


def test_another_users_session_cannot_confirm(login_as, tree):
    first = login_as("secretary_a")
    upload(first, [person()])
    token = first.session[SESSION_KEY]["token"]
    second = login_as("orgdept")  # the same test client, logged in afresh: a new session
    second.post(CONFIRM, {"token": token})
    assert not Member.objects.exists()


@pytest.mark.parametrize(
    "content, reason",
    [(b"", "空"), (b"name,id\n", "不是Excel"), (b"\xd0\xcf\x11\xe0" + b"\0" * 60, ".xls")],
)
def test_file_that_is_not_an_xlsx_is_refused_with_a_reason(login_as, tree, content, reason):
    response = login_as("secretary_a").post(IMPORT, {"file": SimpleUploadedFile("roster.xlsx", content)})
    assert response.status_code == 200
    assert reason in response.content.decode()


def test_file_over_the_limit_is_refused(login_as, tree, settings):
    settings.IMPORT_MAX_BYTES = 100
    response = upload(login_as("secretary_a"), [person()])
    assert "超过上限" in response.content.decode()
    assert not Member.objects.exists()


# Export -----------------------------------------------------------------------------------


def _exported(response) -> list[list]:
    assert response.status_code == 200
    return read_sheet(b"".join(response.streaming_content))


def test_export_without_view_sensitive_masks_id_numbers_and_phones(login_as, tree):
    member = MemberFactory(branch=tree.branch_a, phone="13812345678")
    rows = _exported(login_as("secretary_a").get(EXPORT))
    assert rows[0] == list(HEADERS)
    assert rows[1][4] == member.id_number_masked and rows[1][6] == "138****5678"


def test_export_with_view_sensitive_shows_full_numbers(login_as, tree):
    member = MemberFactory(branch=tree.branch_a, phone="13812345678")
    rows = _exported(login_as("orgdept").get(EXPORT, {"branch": "VA"}))
    assert rows[1][4] == member.id_number and rows[1][6] == "13812345678"


def test_export_is_limited_to_what_the_user_may_read(login_as, tree):
    mine = MemberFactory(branch=tree.branch_a)
    MemberFactory(branch=tree.branch_b)
    rows = _exported(login_as("secretary_a").get(EXPORT))
    assert [r[0] for r in rows[1:]] == [mine.name]


def test_export_download_reimported_changes_nothing(login_as, tree):
    MemberFactory(branch=tree.branch_a, group=tree.group_a)
    MemberFactory(branch=tree.branch_b)
    client = login_as("orgdept")
    content = b"".join(client.get(EXPORT).streaming_content)
    response = client.post(IMPORT, {"file": SimpleUploadedFile("export.xlsx", content)})
    result = response.context["result"]
    assert result.ok, result.errors
    assert (result.new, result.changed, result.unchanged) == (0, 0, 2)
