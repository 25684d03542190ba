"""Imports at scale on PostgreSQL's bulk path (COPY): all or nothing, and files refused whole.

``tests/members/test_import*.py`` cover the rules row by row on small files (SQLite). Here a
roster of 5,000 rows goes through the same entry point on PostgreSQL, where new members,
their events and updates are written with ``COPY``: a batch with bad rows in the middle, or
one that the database itself rejects half-way through the ``COPY``, leaves the tables as they
were; and a large file that is not what it claims to be, lacks a column or is too big is
refused with a Chinese reason before anything is written.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.conf import settings
from django.test import override_settings

from members.idnumbers import make_id_number
from members.models import Member, MemberEvent
from members.roster_io.columns import HEADERS
from members.roster_io.importing import import_members
from tests.factories import MemberFactory
from tests.members.import_helpers import person, workbook_bytes

ON_POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not ON_POSTGRES, reason="the bulk path (COPY) runs on PostgreSQL only"),
]
ROWS = 5000
BAD_ROWS = {2400: {"职业类别": "神仙"}, 2500: {"公民身份号码": "123"}, 2600: {"入党日期": "明年"}}


def roster_rows(count: int = ROWS) -> list[dict]:
    """``count`` valid new members of branch BA, each with a distinct valid ID number."""
    rows = []
    for i in range(count):
        birth = datetime.date(1970, 1, 1) + datetime.timedelta(days=i // 400)
        number = make_id_number("350182", birth, i % 400, "M")
        rows.append(person("BA", 姓名=f"党员{i:05d}", 出生日期=birth, 公民身份号码=number, 手机号码=f"139{i:08d}"))
    return rows


@pytest.fixture(scope="module")
def big_rows() -> list[dict]:
    return roster_rows()


@pytest.fixture(scope="module")
def big_file(big_rows) -> bytes:
    """The 5,000 valid rows as an .xlsx, built once for the module."""
    return workbook_bytes(big_rows).getvalue()


def counts() -> tuple[int, int]:
    return Member.objects.count(), MemberEvent.objects.count()


def test_a_large_batch_is_written_with_copy_in_one_go(tree, orgdept, big_rows, big_file):
    result = import_members(_named(big_file), user=orgdept)
    assert result.ok and result.written and result.new == ROWS
    assert counts() == (ROWS, ROWS)  # one 导入 event per member
    assert Member.objects.with_id_number(big_rows[4321]["公民身份号码"]).get().name == "党员04321"


def test_bad_rows_in_the_middle_of_a_large_batch_write_nothing(tree, orgdept, big_rows):
    MemberFactory(branch=tree.branch_a)  # a roster that already has someone: it must stay as it is
    before = counts()
    rows = [dict(row, **BAD_ROWS.get(i, {})) for i, row in enumerate(big_rows)]
    result = import_members(workbook_bytes(rows), user=orgdept)
    assert not result.written
    assert sorted({e.row for e in result.errors}) == [i + 2 for i in sorted(BAD_ROWS)]  # Excel row numbers
    assert counts() == before
    assert not MemberEvent.objects.filter(kind=MemberEvent.Kind.IMPORTED).exists()


def test_a_row_the_database_rejects_half_way_through_copy_writes_nothing(
    tree, orgdept, big_rows, big_file, monkeypatch
):
    # Row 3,000's member is registered between the checks and the writing: the COPY of new
    # members fails on the unique ID digest after thousands of rows went in, and all roll back.
    MemberFactory(branch=tree.branch_b, id_number=big_rows[3000]["公民身份号码"])
    monkeypatch.setattr("members.roster_io.importing.load_existing", lambda digests: {})
    before = counts()
    result = import_members(_named(big_file), user=orgdept)
    assert not result.written
    assert [e.message for e in result.errors] == ["导入期间花名册已被他人修改，未写入任何数据，请重新导入"]
    assert counts() == before


def _named(data: bytes, name: str = "党员花名册.xlsx") -> io.BytesIO:
    source = io.BytesIO(data)
    source.name = name
    return source


PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "文件是空的，请选择填好的党员花名册"),
        ("姓名\t公民身份号码\n张三\t350181198005170011\n".encode(), "文件不是Excel（.xlsx）文件，请使用下载的模板填写"),
        (PDF, "文件不是Excel（.xlsx）文件，请使用下载的模板填写"),
    ],
    ids=["empty", "text-renamed-xlsx", "pdf-renamed-xlsx"],
)
def test_a_file_that_is_not_a_roster_is_refused_with_a_chinese_reason(tree, orgdept, data, message):
    result = import_members(_named(data), user=orgdept)
    assert [(e.row, e.message) for e in result.errors] == [(None, message)]
    assert counts() == (0, 0)


def test_a_file_missing_a_column_names_it_and_writes_nothing(tree, orgdept, big_rows):
    headers = [h for h in HEADERS if h != "公民身份号码"]
    result = import_members(workbook_bytes(big_rows[:500], headers=headers), user=orgdept)
    assert [(e.column, e.message) for e in result.errors] == [("公民身份号码", "缺少“公民身份号码”列")]
    assert counts() == (0, 0)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tree, orgdept, big_file):
    size = len(big_file)
    with override_settings(IMPORT_MAX_BYTES=size // 2):
        result = import_members(_named(big_file), user=orgdept)
    limit_mb = f"{(size // 2) / 1024 / 1024:g}"
    assert [e.message for e in result.errors] == [f"文件大小超过上限（{limit_mb} MB），请分批导入"]
    assert counts() == (0, 0)
