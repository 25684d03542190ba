"""Opening an uploaded workbook (roster or dues): refuse what is not a readable .xlsx, then stream its rows.

The file is read with openpyxl in read-only mode (rows are parsed as they are iterated,
never the whole sheet at once). Before openpyxl opens it, its zip directory is checked:
the parts may unpack to at most ``IMPORT_MAX_UNPACKED_RATIO`` times the upload's size and
``IMPORT_MAX_UNPACKED_BYTES`` in all, the shared strings to ``IMPORT_MAX_SHARED_STRINGS_BYTES``
(a 700 KB file with a 300 MB shared-strings part once ran for minutes). Every row of the sheet,
blank or not, counts toward the row limit. The header row is the first of the top rows that
names most of the columns, so a title line above the headers does no harm.

A preview parses the upload once into a ``ParsedFile`` (its non-blank rows, name and SHA-256)
and keeps it in the private storage (``preview_keep``); the confirmation loads it back
(``preview_load``, checked against the digest in the user's session) and checks and writes
the same rows without parsing the workbook again.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import secrets
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import openpyxl
from django.conf import settings
from django.core.files.base import ContentFile

from branches.audit import file_sha256
from branches.files import IMPORTS_DIR, private_storage, random_name

from .columns import ROSTER_HEADERS, HeaderMatch, HeaderSet, is_blank_row, match_headers

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
HEADER_SEARCH_ROWS = 10
HEADER_MIN_MATCHES = 3  # a row naming this many known columns is the header row
SHARED_STRINGS_PART = "xl/sharedstrings.xml"  # compared in lower case


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


def max_rows() -> int:
    return getattr(settings, "IMPORT_MAX_ROWS", 200_000)


def check_file(source: str | os.PathLike | IO[bytes]) -> None:
    """Refuse an empty, oversized or non-Excel file, or one that unpacks to too much, before parsing it."""
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
            parts = archive.infolist()
    except zipfile.BadZipFile:
        raise ImportFileError("文件已损坏或不是Excel（.xlsx）文件", code="not_excel") from None
    finally:
        if not isinstance(source, str | os.PathLike):
            source.seek(0)
    _check_unpacked(parts, size)


def _check_unpacked(parts: list[zipfile.ZipInfo], size: int) -> None:
    """The sizes the zip declares; zipfile (so openpyxl) never unpacks a part beyond its declared size."""
    unpacked = sum(info.file_size for info in parts)
    if unpacked > size * settings.IMPORT_MAX_UNPACKED_RATIO or unpacked > settings.IMPORT_MAX_UNPACKED_BYTES:
        raise ImportFileError(
            f"文件解压后过大（{unpacked / 1024 / 1024:.0f} MB），不像正常的Excel表格，请检查文件或分批导入",
            code="unpacked_too_large",
        )
    shared = sum(info.file_size for info in parts if info.filename.lower() == SHARED_STRINGS_PART)
    if shared > settings.IMPORT_MAX_SHARED_STRINGS_BYTES:
        raise ImportFileError(
            f"文件中的文字内容过多（{shared / 1024 / 1024:.0f} MB），请删除多余内容或分批导入",
            code="shared_strings_too_large",
        )


def _bounded(rows: Iterator[tuple[int, tuple]]) -> Iterator[tuple[int, tuple]]:
    """Every row counts toward the limit, blank ones too: a million blank rows cost time to read."""
    limit = max_rows() + HEADER_SEARCH_ROWS
    for number, cells in rows:
        if number > limit:
            raise ImportFileError(f"行数超过上限（{max_rows()}行，空行也计算在内），请分批导入", code="too_many_rows")
        yield number, cells


@contextmanager
def sheet_rows(source: str | os.PathLike | IO[bytes] | ParsedFile) -> Iterator[Iterator[tuple[int, tuple]]]:
    """(Excel row number, cells) of the first sheet, from the file or from an earlier parse."""
    if isinstance(source, ParsedFile):
        yield iter(source.rows)
        return
    check_file(source)
    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign file
        raise ImportFileError("无法读取文件，请确认是Excel（.xlsx）文件", code="unreadable") from None
    try:
        yield _bounded(enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1))
    finally:
        workbook.close()


@contextmanager
def open_sheet(
    source: str | os.PathLike | IO[bytes] | ParsedFile, columns: HeaderSet = ROSTER_HEADERS
) -> Iterator[Sheet]:
    """Check the file, find the header row of its first sheet and stream the non-blank rows below it."""
    with sheet_rows(source) as rows:
        header_row, headers = find_header_row(rows, columns)
        yield Sheet(header_row, headers, ((n, cells) for n, cells in rows if not is_blank_row(cells)))


def find_header_row(rows: Iterator[tuple[int, tuple]], columns: HeaderSet) -> tuple[int, HeaderMatch]:
    """The header row: the first of the top ``HEADER_SEARCH_ROWS`` rows naming ``HEADER_MIN_MATCHES``
    known columns, else the one naming most; a title line above it does no harm."""
    best: tuple[int, HeaderMatch] | None = None
    for number, cells in rows:
        if is_blank_row(cells):
            continue
        match = match_headers(cells, columns)
        if best is None or match.score > best[1].score:
            best = (number, match)
        if match.score >= HEADER_MIN_MATCHES or number >= HEADER_SEARCH_ROWS:
            break
    if best is None:
        raise ImportFileError("文件中没有任何内容，请使用下载的模板填写", code="no_rows")
    return best


# Parsing once: the preview's rows, kept for the confirmation -----------------------------------


@dataclass
class ParsedFile:
    """The first sheet's non-blank rows as read once from an upload, with its name and SHA-256."""

    rows: list[tuple[int, tuple]]
    name: str
    sha256: str


def source_name(source) -> str:
    if isinstance(source, ParsedFile):
        return source.name
    if isinstance(source, str | os.PathLike):
        return os.path.basename(source)
    return os.path.basename(getattr(source, "name", "") or "")


def source_sha256(source) -> str:
    return source.sha256 if isinstance(source, ParsedFile) else file_sha256(source)


def parse_file(source: str | os.PathLike | IO[bytes], *, name: str = "") -> ParsedFile:
    """Read the upload once (checked and bounded as ``sheet_rows`` does); ``ImportFileError`` if refused."""
    with sheet_rows(source) as rows:
        kept = [(number, tuple(cells)) for number, cells in rows if not is_blank_row(cells)]
    return ParsedFile(kept, name or source_name(source), file_sha256(source))


def _encode(value):
    for kind, tag in ((datetime.datetime, "dt"), (datetime.date, "d"), (datetime.time, "t")):
        if isinstance(value, kind):
            return {tag: value.isoformat()}
    if isinstance(value, datetime.timedelta):
        return {"td": value.total_seconds()}
    return str(value)  # JSON's own types never reach here


def _decode(obj: dict):
    if len(obj) == 1:
        ((tag, text),) = obj.items()
        readers = {
            "dt": datetime.datetime.fromisoformat,
            "d": datetime.date.fromisoformat,
            "t": datetime.time.fromisoformat,
            "td": lambda seconds: datetime.timedelta(seconds=seconds),
        }
        if tag in readers:
            return readers[tag](text)
    return obj


def preview_keep(parsed: ParsedFile) -> dict:
    """Keep the parsed rows under a random name in the private storage; what the session remembers.

    The session keeps the JSON's SHA-256 (``digest``): the confirmation uses the rows only if
    they are byte for byte the ones this user's preview checked. An ``OSError`` (a full disk)
    leaves no file behind (``PrivateStorage``).
    """
    content = json.dumps(
        {"name": parsed.name, "sha256": parsed.sha256, "rows": parsed.rows}, default=_encode, ensure_ascii=False
    ).encode()
    stored = private_storage().save(random_name(IMPORTS_DIR, "json"), ContentFile(content))
    return {"stored": stored, "digest": hashlib.sha256(content).hexdigest(), "sha256": parsed.sha256}


def preview_load(pending: dict) -> ParsedFile | None:
    """The rows a preview kept, or None when they are gone (swept, confirmed) or do not match the session."""
    stored = pending.get("stored", "")
    if not isinstance(stored, str) or not stored.startswith(IMPORTS_DIR + "/"):
        return None
    try:
        with private_storage().open(stored, "rb") as handle:
            content = handle.read()
    except (FileNotFoundError, ValueError):
        return None
    if hashlib.sha256(content).hexdigest() != pending.get("digest"):
        return None
    data = json.loads(content, object_hook=_decode)
    if data["sha256"] != pending.get("sha256"):
        return None
    rows = [(number, tuple(cells)) for number, cells in data["rows"]]
    return ParsedFile(rows, data["name"], data["sha256"])


def preview_discard(pending: dict | None) -> None:
    stored = (pending or {}).get("stored")
    if isinstance(stored, str) and stored.startswith(IMPORTS_DIR + "/"):
        private_storage().delete(stored)


# A preview waiting for its confirmation, as the roster and the dues import keep it in the session.


def pending_keep(session, key: str, parsed: ParsedFile) -> dict:
    """Keep ``parsed`` until it is confirmed (``preview_keep``); the session remembers whose, with a form token."""
    pending_discard(session, key)
    pending = {**preview_keep(parsed), "token": secrets.token_hex(16), "filename": parsed.name}
    session[key] = pending
    return pending


def pending_load(session, key: str, token) -> tuple[dict | None, ParsedFile | None]:
    """The session's pending preview and its rows; no rows unless ``token`` is the form's."""
    pending = session.get(key)
    if not pending or token != pending.get("token"):
        return pending, None
    return pending, preview_load(pending)


def pending_discard(session, key: str) -> None:
    preview_discard(session.pop(key, None))
