"""Import files for the benchmark: the roster's 14 Chinese columns, written like an export."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook, load_workbook

from core.labels import source_choices
from demo.plan import PlannedMember
from members.models import Member

# Files are written with the Chinese labels whatever the active language.
_LABELS = {
    enum: dict(source_choices(enum))
    for enum in (Member.Sex, Member.Education, Member.Occupation, Member.Situation, Member.Status)
}

HEADERS = (
    "姓名", "性别", "民族", "出生日期", "公民身份号码", "学历", "手机号码", "党组织编码", "党小组编码",
    "职业类别", "党员状况", "党员状态", "入党日期", "转正日期",
)  # fmt: skip


def _row(m: PlannedMember) -> list:
    return [
        m.name,
        _LABELS[Member.Sex][m.sex],
        m.ethnicity,
        m.birth_date,
        m.id_number,
        _LABELS[Member.Education][m.education] if m.education else "",
        m.phone,
        m.branch.code,
        m.group.code if m.group else "",
        _LABELS[Member.Occupation][m.occupation],
        _LABELS[Member.Situation][m.situation],
        _LABELS[Member.Status][m.status],
        m.joined_on,
        m.confirmed_on,
    ]


def write_import_file(path: Path, members: list[PlannedMember]) -> Path:
    """Write ``members`` to ``path`` (write-only mode: constant memory), dates as Excel dates."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("党员花名册")
    sheet.append(list(HEADERS))
    for m in members:
        sheet.append(_row(m))
    workbook.save(path)
    return path


def read_every_cell(path: Path) -> int:
    """Merely read the file: openpyxl read-only, every cell of every row. Returns the data rows."""
    workbook = load_workbook(path, read_only=True, data_only=True)
    rows = 0
    try:
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            for _ in row:
                pass
            rows += 1
    finally:
        workbook.close()
    return rows - 1
