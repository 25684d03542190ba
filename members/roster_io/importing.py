"""Importing the member roster from Excel: validate every row, then write all or nothing.

``import_members`` is the one entry point of the site's import page and the
``import_members`` command. It reads the file with openpyxl in read-only mode, checks every
row with the same ``RowChecker`` as ``MemberResource`` (which serves the admin), looks up
branches and existing members set-based (one query per 10,000 codes or ID digests), and
only when no row is refused writes in bulk inside one transaction (``members.services_bulk``):
new members with an 导入 event each, changed members with their events, changes of branch
as transfers; unchanged members are not touched (nothing re-encrypted or rewritten).

The benchmark's baseline, django-import-export's standard row-by-row import with the same
resource, is ``bench.import_baseline.import_with_default_resource``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import IO

from django.db import IntegrityError
from django.utils import timezone

from ..idnumbers import mask_id_number
from ..services_bulk import members_bulk_write
from .checks import CheckedRow, RowChecker, RowError, duplicate_errors, load_existing
from .columns import HEADER_OF, read_row
from .sheets import ImportFileError, ParsedFile, max_rows, open_sheet, source_name, source_sha256


@dataclass(slots=True)
class PreviewRow:
    """One row as the preview shows it (ID numbers masked)."""

    row: int
    name: str
    id_number_masked: str
    branch_code: str
    changes: tuple[str, ...] = ()  # Chinese headers of the changed columns


@dataclass
class ImportResult:
    new_rows: list[PreviewRow] = field(default_factory=list)
    changed_rows: list[PreviewRow] = field(default_factory=list)
    unchanged_rows: list[PreviewRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False
    transferred: int = 0

    @property
    def new(self) -> int:
        return len(self.new_rows)

    @property
    def changed(self) -> int:
        return len(self.changed_rows)

    @property
    def unchanged(self) -> int:
        return len(self.unchanged_rows)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return f"新增{self.new}人，修改{self.changed}人，未变{self.unchanged}人，错误{len(self.errors)}处"


def import_members(
    source: str | os.PathLike | IO[bytes] | ParsedFile, *, user, dry_run: bool = False, file_name: str = ""
) -> ImportResult:
    """Import the roster in ``source`` (a path, a binary file, or a preview's ``ParsedFile``) as ``user``.

    ``user`` None is the server's administrator (the management command without --user):
    every branch is in scope. With ``dry_run`` nothing is written; otherwise everything is
    written or, if any row is refused, nothing. ``ImportResult.errors`` names every refused
    row, its column and the reason.
    """
    result = ImportResult(dry_run=dry_run)
    checker = RowChecker(user=user, today=timezone.localdate())
    try:
        rows = _read_and_check(source, checker, result)
    except ImportFileError as exc:
        result.errors.append(RowError(None, None, exc.message))
        return result
    if result.ok and not dry_run:
        name = file_name or source_name(source)
        try:
            counts = members_bulk_write(
                rows=rows,
                by=user,
                today=checker.today,
                note=f"Excel导入（{name}）" if name else "Excel导入",
                file_name=name,
                file_sha256=source_sha256(source),
            )
        except IntegrityError:
            result.errors.append(RowError(None, None, "导入期间花名册已被他人修改，未写入任何数据，请重新导入"))
            return result
        result.transferred = counts["转接"]
        result.written = True
    return result


def _read_and_check(source, checker: RowChecker, result: ImportResult) -> list[CheckedRow]:
    """Read every row, check it, match it with the roster; fills ``result``, returns the good rows."""
    with open_sheet(source) as sheet:
        if sheet.headers.repeated:
            raise ImportFileError(f"列重复：{'、'.join(sheet.headers.repeated)}", code="repeated_columns")
        for header in sheet.headers.missing:
            result.errors.append(RowError(sheet.header_row, header, f"缺少“{header}”列"))
        if result.errors:
            return []
        read = []
        limit = max_rows()
        for number, cells in sheet.rows:
            read.append((number, *read_row(cells, sheet.headers.positions)))
            if len(read) > limit:
                raise ImportFileError(f"行数超过上限（{limit}行），请分批导入", code="too_many_rows")
    if not read:
        raise ImportFileError("文件中没有党员数据（表头以下都是空行）", code="no_rows")
    checker.load_branches(code for _, values, _ in read for code in (values.get("branch"), values.get("group")))
    checked: list[CheckedRow] = []
    for number, values, unreadable in read:
        row, errors = checker.check(number, values, unreadable)
        if row is None:
            result.errors.extend(errors)
        else:
            checked.append(row)
    result.errors.extend(duplicate_errors((row.row, row.digest) for row in checked))
    existing = load_existing(row.digest for row in checked)
    for row in checked:
        result.errors.extend(checker.compare(row, existing.get(row.digest)))
    result.errors.extend(checker.phone_errors(checked))
    refused = checker.budget.refusal_error(len(checker.failed_lookups))
    if refused is not None:  # over the look-up budget: one message, nothing about any row
        result.errors = [refused]
        return []
    result.errors.sort(key=lambda e: (e.row or 0, e.column or ""))
    fill_preview(checked, result)
    return checked


def fill_preview(rows: list[CheckedRow], result: ImportResult) -> None:
    for row in rows:
        data = row.data
        code = data.branch.code
        if row.existing is None:
            result.new_rows.append(PreviewRow(row.row, data.name, mask_id_number(data.id_number), code))
        elif row.changes:
            changes = tuple(HEADER_OF[key] for key in row.changes)
            result.changed_rows.append(PreviewRow(row.row, data.name, mask_id_number(data.id_number), code, changes))
        else:
            result.unchanged_rows.append(PreviewRow(row.row, data.name, mask_id_number(data.id_number), code))
