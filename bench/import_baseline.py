"""The roster import's baseline: django-import-export's standard, row-by-row ``import_data``.

The same ``MemberResource`` as the admin (same columns, same checks, all or nothing) but the
library's default flow: one query to find each row's member, one save per row, one event per
row. Only the benchmark uses it (``bench.measure.measure_import``), against the site's
``members.roster_io.importing.import_members``.
"""

from __future__ import annotations

import os

import tablib

from members.roster_io.checks import RowError
from members.roster_io.importing import ImportResult, fill_preview
from members.roster_io.resources import MemberResource
from members.roster_io.sheets import ImportFileError, check_file


def import_with_default_resource(path: str | os.PathLike, *, user) -> ImportResult:
    """Import ``path`` through ``MemberResource.import_data``; the result as ``import_members`` reports it."""
    result = ImportResult()
    try:
        dataset = dataset_from_file(path)
    except ImportFileError as exc:
        result.errors.append(RowError(None, None, exc.message))
        return result
    resource = MemberResource(user=user)
    outcome = resource.import_data(dataset, dry_run=False, use_transactions=True, rollback_on_validation_errors=True)
    return result_from_import(resource, outcome)


def dataset_from_file(path: str | os.PathLike) -> tablib.Dataset:
    """Read an .xlsx into a tablib Dataset the way the admin does (after the same file checks)."""
    check_file(path)
    with open(path, "rb") as handle:
        try:
            return tablib.Dataset().load(handle, format="xlsx")
        except Exception:
            raise ImportFileError("无法读取文件，请确认是Excel（.xlsx）文件", code="unreadable") from None


def result_from_import(resource: MemberResource, outcome) -> ImportResult:
    """Our ``ImportResult`` from django-import-export's ``Result``."""
    result = ImportResult()
    if resource.file_errors:
        result.errors = list(resource.file_errors)
        return result
    for error in outcome.base_errors:
        result.errors.append(RowError(None, None, str(error.error)))
    result.errors.extend(resource.row_errors)
    for error_row in outcome.row_errors():
        for error in error_row[1]:
            result.errors.append(RowError(None, None, str(error.error)))
    result.errors.sort(key=lambda e: (e.row or 0, e.column or ""))
    fill_preview(resource.checked, result)
    result.written = result.ok
    return result
