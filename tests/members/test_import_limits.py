"""Imports bounded by what they cost (issue 12 items 12 and 15).

A workbook that unpacks to far more than it weighs, or whose shared strings are huge, is
refused before openpyxl reads it; blank rows count toward the row limit; the confirmation
reuses the preview's parsed rows (tied to the user's session and the file's SHA-256) instead
of parsing the workbook again; a preview that cannot be stored (a full disk) says so and
leaves nothing behind. The crafted files are built in memory with zipfile.
"""

from __future__ import annotations

import errno
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from branches import files
from members.dues.importing import import_dues
from members.dues.views import _SESSION_KEY as DUES_SESSION_KEY
from members.models import DuesPayment, Member
from members.roster_io import sheets
from members.roster_io.importing import import_members
from members.roster_io.sheets import ImportFileError, check_file, parse_file
from members.roster_io.views import SESSION_KEY
from tests.factories import MemberFactory

from .import_helpers import person, workbook_bytes

pytestmark = pytest.mark.django_db

IMPORT, CONFIRM = reverse("members:import"), reverse("members:import_confirm")
DUES_IMPORT, DUES_CONFIRM = reverse("members:dues_import"), reverse("members:dues_import_confirm")
DUES_HEADERS = ["姓名", "公民身份号码", "月份", "实缴金额", "缴纳日期"]


def _with_part(source: io.BytesIO, name: str, content: bytes) -> io.BytesIO:
    """The workbook with its part ``name`` replaced by (or added as) ``content``, deflated."""
    out = io.BytesIO()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename != name:
                new.writestr(info, old.read(info.filename))
        new.writestr(name, content)
    out.seek(0)
    out.name = "roster.xlsx"
    return out


def _bomb() -> io.BytesIO:
    """A roster of a few KB whose shared strings unpack to 8 MB (more than 100 times its size)."""
    padding = b"<si><t>" + b"A" * (8 * 1024 * 1024) + b"</t></si>"
    return _with_part(workbook_bytes([person()]), "xl/sharedStrings.xml", padding)


def _dues_file(rows) -> io.BytesIO:
    book = openpyxl.Workbook()
    book.active.append(DUES_HEADERS)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "dues.xlsx"
    return out


@pytest.fixture
def no_workbook_parse(monkeypatch):
    """From here on, parsing a workbook with openpyxl fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the workbook was parsed a second time")

    monkeypatch.setattr(sheets.openpyxl, "load_workbook", refuse)


# --- unpacked size ----------------------------------------------------------------------------------


def test_a_file_that_unpacks_to_more_than_100_times_its_size_is_refused_before_parsing(tree, monkeypatch):
    bomb = _bomb()
    assert len(bomb.getvalue()) < 100 * 1024
    monkeypatch.setattr(sheets.openpyxl, "load_workbook", lambda *a, **k: pytest.fail("parsed"))
    with pytest.raises(ImportFileError) as caught:
        check_file(bomb)
    assert caught.value.code == "unpacked_too_large" and "解压后过大" in caught.value.message
    result = import_members(_bomb(), user=None, dry_run=True)
    assert [e.message for e in result.errors] == [caught.value.message]


def test_the_absolute_unpacked_cap_is_a_setting(tree, settings):
    settings.IMPORT_MAX_UNPACKED_BYTES = 5_000
    with pytest.raises(ImportFileError) as caught:
        check_file(workbook_bytes([person()]))
    assert caught.value.code == "unpacked_too_large"


def test_the_shared_strings_part_is_capped(tree, settings):
    settings.IMPORT_MAX_SHARED_STRINGS_BYTES = 1000
    strings = b"<sst>" + b"<si><t>x</t></si>" * 100 + b"</sst>"  # 1,611 bytes, well within the ratio
    with pytest.raises(ImportFileError) as caught:
        check_file(_with_part(workbook_bytes([person()]), "xl/sharedStrings.xml", strings))
    assert caught.value.code == "shared_strings_too_large" and "文字内容过多" in caught.value.message


def test_the_dues_import_refuses_a_bomb_with_a_message(login_as, tree):
    response = login_as("secretary_a").post(DUES_IMPORT, {"file": SimpleUploadedFile("dues.xlsx", _bomb().getvalue())})
    assert response.status_code == 200
    assert "解压后过大" in response.content.decode()
    assert DUES_SESSION_KEY not in login_as("secretary_a").session


def test_the_roster_import_page_refuses_a_bomb_with_a_message(login_as, tree):
    client = login_as("secretary_a")
    response = client.post(IMPORT, {"file": SimpleUploadedFile("roster.xlsx", _bomb().getvalue())})
    assert response.status_code == 200 and "解压后过大" in response.content.decode()
    assert SESSION_KEY not in client.session


# --- rows -------------------------------------------------------------------------------------------


def test_blank_rows_count_toward_the_row_limit(tree, settings):
    settings.IMPORT_MAX_ROWS = 5
    source = workbook_bytes([person()])
    book = openpyxl.load_workbook(source)
    book.active.cell(row=40, column=1, value="王五")  # 37 blank rows above it
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    result = import_members(out, user=None, dry_run=True)
    assert [e.message for e in result.errors] == ["行数超过上限（5行，空行也计算在内），请分批导入"]
    out.seek(0)
    assert not import_dues(out, user=None, dry_run=True).ok


# --- the confirmation reuses the preview -----------------------------------------------------------


def test_the_roster_confirmation_does_not_parse_the_workbook_again(login_as, tree, request):
    client = login_as("secretary_a")
    client.post(IMPORT, {"file": SimpleUploadedFile("roster.xlsx", workbook_bytes([person(), person()]).getvalue())})
    pending = client.session[SESSION_KEY]
    assert pending["stored"].startswith("imports/") and len(pending["sha256"]) == 64
    request.getfixturevalue("no_workbook_parse")
    response = client.post(CONFIRM, {"token": pending["token"]})
    assert response.status_code == 302
    assert Member.objects.filter(branch=tree.branch_a).count() == 2


def test_the_dues_confirmation_does_not_parse_the_workbook_again(login_as, tree, request):
    member = MemberFactory(branch=tree.branch_a, name="李明", monthly_income=4000)
    client = login_as("secretary_a")
    file = SimpleUploadedFile("dues.xlsx", _dues_file([["李明", member.id_number, "2026-01", 40, "2026-01-20"]]).read())
    token = client.post(DUES_IMPORT, {"file": file}).context["pending"]["token"]
    request.getfixturevalue("no_workbook_parse")
    client.post(DUES_CONFIRM, {"token": token})
    assert DuesPayment.objects.filter(member=member).count() == 1


def test_a_preview_altered_on_disk_is_not_confirmed(login_as, tree, settings):
    client = login_as("secretary_a")
    client.post(IMPORT, {"file": SimpleUploadedFile("roster.xlsx", workbook_bytes([person()]).getvalue())})
    pending = client.session[SESSION_KEY]
    path = Path(settings.PRIVATE_FILES_ROOT) / pending["stored"]
    data = json.loads(path.read_text())
    data["rows"][1][1][0] = "李四"
    path.write_text(json.dumps(data))
    response = client.post(CONFIRM, {"token": pending["token"]}, follow=True)
    assert "没有待确认的导入" in response.content.decode()
    assert not Member.objects.exists()


def test_another_users_session_cannot_confirm_a_preview(login_as, tree, client):
    owner = login_as("secretary_a")
    owner.post(IMPORT, {"file": SimpleUploadedFile("roster.xlsx", workbook_bytes([person()]).getvalue())})
    token = owner.session[SESSION_KEY]["token"]
    other = login_as("orgdept")
    response = other.post(CONFIRM, {"token": token}, follow=True)
    assert "没有待确认的导入" in response.content.decode()
    assert not Member.objects.exists()


def test_a_parsed_file_keeps_dates_and_numbers_through_the_preview(tree):
    source = workbook_bytes([person()])
    parsed = parse_file(source)
    kept = sheets.preview_keep(parsed)
    assert sheets.preview_load(kept) == parsed
    assert sheets.preview_load({**kept, "digest": "0" * 64}) is None
    assert sheets.preview_load({**kept, "stored": "activities/x.png"}) is None


# --- a full disk ------------------------------------------------------------------------------------


def _disk_full(self, name, content):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize(
    "url, key, make",
    [
        (IMPORT, SESSION_KEY, lambda member: workbook_bytes([person()])),
        (DUES_IMPORT, DUES_SESSION_KEY, lambda m: _dues_file([["李明", m.id_number, "2026-01", 40, "2026-01-20"]])),
    ],
)
def test_a_preview_that_cannot_be_stored_says_so_and_keeps_nothing(
    login_as, tree, settings, monkeypatch, url, key, make
):
    member = MemberFactory(branch=tree.branch_a, name="李明", monthly_income=4000)
    imports = Path(settings.PRIVATE_FILES_ROOT) / files.IMPORTS_DIR
    before = set(imports.rglob("*")) if imports.exists() else set()
    monkeypatch.setattr(files.PrivateStorage, "_save", _disk_full)
    client = login_as("secretary_a")
    response = client.post(url, {"file": SimpleUploadedFile("x.xlsx", make(member).getvalue())})
    assert response.status_code == 200
    assert "文件未保存" in response.content.decode()
    assert key not in client.session
    assert (set(imports.rglob("*")) if imports.exists() else set()) == before
