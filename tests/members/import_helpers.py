"""Roster workbooks built in memory for the import and export tests."""

from __future__ import annotations

import datetime
import io

from openpyxl import Workbook, load_workbook

from members.roster_io.columns import HEADERS
from tests.factories import new_id_number


def person(branch: str = "BA", **overrides) -> dict:
    """A valid row (a full member born 1980-05-17) keyed by Chinese header; override by header."""
    row = {
        "姓名": "张三",
        "性别": "男",
        "民族": "汉族",
        "出生日期": datetime.date(1980, 5, 17),
        "公民身份号码": new_id_number(datetime.date(1980, 5, 17), "M"),
        "学历": "大学本科",
        "手机号码": "13800138000",
        "党组织编码": branch,
        "党小组编码": "",
        "职业类别": "在职",
        "党员状况": "正常",
        "党员状态": "正式党员",
        "入党日期": datetime.date(2005, 7, 1),
        "转正日期": datetime.date(2006, 7, 1),
    }
    row.update(overrides)
    return row


def workbook_bytes(rows: list[dict], *, headers=HEADERS, above: list[list] = (), below: int = 0) -> io.BytesIO:
    """An .xlsx with ``headers`` (in that order), the rows under them, title lines ``above``
    and ``below`` blank rows at the end (cells holding only spaces)."""
    workbook = Workbook()
    sheet = workbook.active
    for line in above:
        sheet.append(line)
    sheet.append(list(headers))
    for row in rows:
        sheet.append([row.get(_canonical(h), "") for h in headers])
    for _ in range(below):
        sheet.append(["  ", None, ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "roster.xlsx"
    return buffer


def _canonical(header: str) -> str:
    from members.roster_io.columns import normalize_header

    return normalize_header(header)


def read_sheet(source) -> list[list]:
    """Every row of the first sheet of an .xlsx (path, bytes or file)."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    workbook = load_workbook(source, read_only=True)
    try:
        return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def error_tuples(result) -> list[tuple]:
    return [(e.row, e.column, e.message) for e in result.errors]
