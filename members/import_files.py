"""Opening an uploaded roster: refuse what is not a readable .xlsx, then stream its rows.

The file is read with openpyxl in read-only mode (rows are parsed as they are iterated,
never the whole sheet at once). The header row is the first of the top rows that names
most of the roster's columns, so a title line above the headers does no harm.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import openpyxl
from django.conf import settings

from .import_columns import HeaderMatch, is_blank_row, match_headers

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
HEADER_SEARCH_ROWS = 10
HEADER_MIN_MATCHES = 3  # a row naming this many roster columns is the header row
# A workbook whose parts unpack to more than this many times the upload limit is refused
# before it is parsed (a "zip bomb").
MAX_UNPACKED_RATIO = 20


class ImportFileError(Exception):
    """A file refused as a whole, with a Chinese reason."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Sheet:
    header_row: int  # Excel row number of the header row
    headers: HeaderMatch
    rows: Iterator[tuple[int, tuple]]  # (Excel row number, cells) of the non-blank rows below


def _size_of(source) -> int:
    if isinstance(source, str | os.PathLike):
        return os.path.getsize(source)
    position = source.tell()
    source.seek(0, os.SEEK_END)
    size = source.tell()
    source.seek(position)
    return size


def _head_of(source) -> bytes:
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as handle:
            return handle.read(8)
    position = source.tell()
    head = source.read(8)
    source.seek(position)
    return head


def check_file(source: str | os.PathLike | IO[bytes]) -> None:
    """Refuse an empty, oversized or non-Excel file before parsing it."""
    size = _size_of(source)
    if size == 0:
        raise ImportFileError("文件是空的，请选择填好的党员花名册", code="empty_file")
    limit = settings.IMPORT_MAX_BYTES
    if size > limit:
        raise ImportFileError(f"文件大小超过上限（{limit / 1024 / 1024:g} MB），请分批导入", code="too_large")
    head = _head_of(source)
    if head.startswith(XLS_MAGIC):
        raise ImportFileError("不支持旧版Excel（.xls）文件，请在Excel中另存为.xlsx后再导入", code="xls_file")
    if not head.startswith(XLSX_MAGIC):
        raise ImportFileError("文件不是Excel（.xlsx）文件，请使用下载的模板填写", code="not_excel")
    try:
        with zipfile.ZipFile(source) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ImportFileError("文件已损坏或不是Excel（.xlsx）文件", code="not_excel") from None
    finally:
        if not isinstance(source, str | os.PathLike):
            source.seek(0)
    if unpacked > limit * MAX_UNPACKED_RATIO:
        raise ImportFileError("文件解压后过大，请分批导入", code="too_large")


@contextmanager
def open_sheet(source: str | os.PathLike | IO[bytes]) -> Iterator[Sheet]:
    """Check the file, find the header row of its first sheet and stream the rows below it."""
    check_file(source)
    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign file
        raise ImportFileError("无法读取文件，请确认是Excel（.xlsx）文件", code="unreadable") from None
    try:
        rows = enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1)
        header_row, headers = _find_headers(rows)
        yield Sheet(header_row, headers, ((n, cells) for n, cells in rows if not is_blank_row(cells)))
    finally:
        workbook.close()


def _find_headers(rows: Iterator[tuple[int, tuple]]) -> tuple[int, HeaderMatch]:
    best: tuple[int, HeaderMatch] | None = None
    for number, cells in rows:
        if is_blank_row(cells):
            continue
        match = match_headers(cells)
        if best is None or match.score > best[1].score:
            best = (number, match)
        if match.score >= HEADER_MIN_MATCHES or number >= HEADER_SEARCH_ROWS:
            break
    if best is None:
        raise ImportFileError("文件中没有任何内容，请使用下载的模板填写", code="no_rows")
    return best
