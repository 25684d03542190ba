"""Exporting the roster to Excel, and the empty template to fill in.

The columns and their rendering are ``MemberResource``'s, so an export has the import's
headers and a full (unmasked) export imports back without a change. The sheet is written
row by row (openpyxl write-only), the members read in chunks: a city's roster fits.

An export is an explicit act: rows of branches where the user holds ``view_sensitive`` carry
the full ID number, phone and birth date, the others are masked (the birth date replaced by
the age). Every export records one ``AuditBulkEvent`` (who, when, from which IP, which subtree,
how many rows and how many of them in full).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from branches import access
from branches.audit import bulk_event_record
from branches.excel import safe_row
from branches.models import AuditBulkEvent, Branch
from core.labels import source_choices

from ..models import Member
from .columns import COLUMNS, HEADERS
from .resources import MemberResource

# Columns that hold long digit strings: text, so Excel keeps every digit.
_TEXT_COLUMNS = {"id_number", "phone", "branch", "group"}
_WIDTHS = {
    "id_number": 22,
    "phone": 15,
    "birth_date": 12,
    "joined_on": 12,
    "confirmed_on": 12,
    "branch": 14,
    "group": 14,
}
EXPORT_CHUNK = 2000


def members_for_export(*, user, branch: Branch | None = None):
    """Active members ``user`` may read (None: all), within ``branch``'s subtree if given."""
    members = Member.objects.active().select_related("branch", "group")
    if user is not None:
        members = members.filter(access.branch_scope_q(user, "branch__path"))
    if branch is not None:
        members = members.in_subtree(branch)
    return members.order_by("branch__path", "name_pinyin", "name", "pk")


def _sheet(workbook: Workbook, title: str):
    sheet = workbook.create_sheet(title)
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _WIDTHS.get(column.key, 10)
    return sheet


def export_members(
    target: str | os.PathLike | IO[bytes],
    *,
    user,
    branch: Branch | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the roster to ``target`` (.xlsx) and audit it; masked without ``view_sensitive``.

    ``user`` None is the server's administrator (the management command without --user).
    ``progress(done, total)``: called every ``EXPORT_CHUNK`` rows and at the end (a background job's).
    """
    resource = MemberResource(user=user)
    workbook = Workbook(write_only=True)
    sheet = _sheet(workbook, "党员花名册")
    sheet.append(safe_row(HEADERS))
    members = members_for_export(user=user, branch=branch)
    total = members.count() if progress else 0
    count = 0
    for member in members.iterator(chunk_size=EXPORT_CHUNK):
        sheet.append(resource.export_resource(member))  # escaped by the resource (branches.excel)
        count += 1
        if progress and count % EXPORT_CHUNK == 0:
            progress(count, total)
    workbook.save(target)
    if progress:
        progress(count, total)
    export_record(by=user, branch=branch, rows=count, full=resource.rows_in_full)
    return count


def export_record(*, by, branch: Branch | None, rows: int, full: int):
    """The audit entry of one roster export: ``rows`` written, ``full`` of them unmasked."""
    return bulk_event_record(
        kind=AuditBulkEvent.Kind.EXPORT_MEMBERS, counts={"导出": rows, "未脱敏": full}, by=by, branch=branch
    )


def write_template(target: str | os.PathLike | IO[bytes]) -> None:
    """The empty roster: the headers, text columns for long numbers, and a sheet of notes."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "党员花名册"
    sheet.append(safe_row(HEADERS))
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = _WIDTHS.get(column.key, 10)
        sheet[f"{letter}1"].font = Font(bold=True)
        if column.key in _TEXT_COLUMNS:
            for row in range(2, 502):
                sheet[f"{letter}{row}"].number_format = "@"
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("填写说明")
    for line in _NOTES:
        notes.append(safe_row([line]))
    notes.column_dimensions["A"].width = 100
    workbook.save(target)


_NOTES = [
    "第一个工作表为党员花名册，请勿修改表头；列的顺序可以调整。",
    "公民身份号码：18位，末位可为X（大小写均可）；性别、出生日期可留空，将按公民身份号码填写。",
    "日期：可填Excel日期，或2001-07-01、2001/7/1、2001.07.01、2001年7月1日、20010701。",
    "手机号码：11位，可带空格、短横线或+86。",
    "党组织编码：党员所在党支部（或党总支）的组织编码；党小组编码可留空。",
    "性别：男、女。学历：" + "、".join(label for _value, label in source_choices(Member.Education)) + "。",
    "职业类别："
    + "、".join(label for _value, label in source_choices(Member.Occupation))
    + "。党员状况："
    + "、".join(label for _value, label in source_choices(Member.Situation))
    + "（旧表的“人员类别”列仍可导入：流动、失联记为职业类别“其他”及相应的党员状况）。",
    "党员状态：正式党员、预备党员。",
    "正式党员须填写转正日期，预备党员不填。",
    "已在花名册中的党员（公民身份号码相同）将被更新，不会重复建档；更换党组织按组织关系转接记录。",
    "任何一行有错误时，整个文件都不会导入；请按错误提示修改后重新上传。",
]
