"""Importing dues payments (党费) from Excel: validate every row, then write all or nothing.

The sheet has one row per member and month: 公民身份号码, 月份, 实缴金额, 缴纳日期 and,
optionally, 姓名 (checked against the roster). The file is checked, streamed and its header
row found by the roster import's reader (``members.roster_io.sheets``: the same limits; openpyxl
read-only), members and existing months are looked up set-based, and only when no row is refused are the rows written with one bulk
upsert on (member, month) inside one transaction. A month already on record keeps its due and
gets the imported payment; a new month gets the month's due by the rules (``members.dues.basis``:
income in force, farmers' rate, reduction). What is paid beyond the due, and the optional 自愿多交
column, is recorded as voluntary (``payments.split_payment``). A cancelled month is refused.
"""

from __future__ import annotations

import datetime
import os
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import IO

from django.db import transaction
from django.utils import timezone

from branches import access
from branches.audit import bulk_event_record
from branches.models import AuditBulkEvent

from .. import crypto
from ..idnumbers import IdNumberError, normalize_text, parse_id_number
from ..models import DuesPayment, Member
from ..roster_io.checks import NOT_IN_SCOPE, LookupBudget, RowError, chunked
from ..roster_io.columns import CellError, HeaderSet, read_date, read_id_number, read_text
from ..roster_io.sheets import ImportFileError, ParsedFile, open_sheet, source_name, source_sha256
from .basis import DuesBasis, Payer
from .payments import split_payment
from .rules import FEN, month_start

COLUMNS = {
    "id_number": "公民身份号码",
    "name": "姓名",
    "month": "月份",
    "paid": "实缴金额",
    "paid_on": "缴纳日期",
    "voluntary": "自愿多交",
}
REQUIRED = ("id_number", "month", "paid", "paid_on")
_ALIASES = {
    "所属月份": "月份",
    "缴费月份": "月份",
    "党费月份": "月份",
    "实缴": "实缴金额",
    "缴纳金额": "实缴金额",
    "实缴党费": "实缴金额",
    "缴费日期": "缴纳日期",
    "交纳日期": "缴纳日期",
    "自愿多交党费": "自愿多交",
    "多交金额": "自愿多交",
}
HEADERS = HeaderSet(COLUMNS, aliases=_ALIASES, required=REQUIRED)
MAX_MONTHS_AHEAD = 12  # dues may be paid in advance, up to a year


@dataclass
class DuesRow:
    row: int
    member_id: int
    branch_id: int
    month: datetime.date
    paid: Decimal
    paid_on: datetime.date | None
    due: Decimal | None
    voluntary: Decimal = Decimal(0)


@dataclass
class DuesImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return f"新增{self.created}条，更新{self.updated}条，错误{len(self.errors)}处"


def import_dues(source: str | os.PathLike | IO[bytes] | ParsedFile, *, user, dry_run: bool = False) -> DuesImportResult:
    """Import the dues payments in ``source`` as ``user`` (None: the server's administrator).

    ``source`` is a path, a binary file, or a preview's ``ParsedFile`` (read once, not parsed again).

    Every row is checked first; with any error nothing is written and ``errors`` names each
    refused row, its column and the reason in Chinese.
    """
    result = DuesImportResult(dry_run=dry_run)
    try:
        read = _read(source, result)
    except ImportFileError as exc:
        result.errors.append(RowError(None, None, exc.message))
        return result
    if not result.ok:
        return result
    rows = _check(read, user=user, result=result)
    result.errors.sort(key=lambda e: (e.row or 0, e.column or ""))
    if result.ok and not dry_run:
        with transaction.atomic():
            _write(rows, user=user)
            bulk_event_record(
                kind=AuditBulkEvent.Kind.IMPORT_DUES,
                counts={"新增": result.created, "更新": result.updated},
                by=user,
                file_name=source_name(source),
                file_sha256=source_sha256(source),
            )
        result.written = True
    return result


# Reading ---------------------------------------------------------------------------------------


def _read(source, result: DuesImportResult) -> list[tuple[int, dict]]:
    with open_sheet(source, HEADERS) as sheet:
        for header in sheet.headers.missing:
            result.errors.append(RowError(sheet.header_row, header, f"缺少“{header}”列"))
        if sheet.headers.missing:
            return []
        positions = sheet.headers.positions
        read = [
            (number, {key: cells[i] if i < len(cells) else None for key, i in positions.items()})
            for number, cells in sheet.rows
        ]
    if not read:
        raise ImportFileError("文件中没有党费数据（表头以下都是空行）", code="no_rows")
    return read


_MONTH_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_COMPACT_MONTH_RE = re.compile(r"^(\d{4})(\d{2})$")


def read_month(value) -> datetime.date:
    """A month: 2026-03, 2026/3, 2026.03, 2026年3月, 202603, or any date in it (first day kept)."""
    if isinstance(value, str):
        text = normalize_text(value)
        match = _MONTH_RE.match(text) or _COMPACT_MONTH_RE.match(text)
        if match is not None:
            year, month = (int(part) for part in match.groups())
            if 1 <= month <= 12:
                return datetime.date(year, month, 1)
            raise CellError(f"月份“{text}”不存在")
    try:
        day = read_date(value)
    except CellError:
        raise CellError(f"无法识别的月份“{read_text(value)}”，请写成2026-03的形式") from None
    if day is None:
        raise CellError("月份不能为空")
    return month_start(day)


def read_amount(value) -> Decimal:
    if isinstance(value, bool):
        raise CellError("金额应为数字")
    text = read_text(value).replace(",", "").replace("元", "").replace("￥", "").replace("¥", "")
    try:
        amount = Decimal(text) if text else Decimal(0)
    except InvalidOperation:
        raise CellError(f"金额“{text}”不是数字") from None
    if amount < 0:
        raise CellError("金额不能为负数")
    if amount != amount.quantize(FEN):
        raise CellError("金额最多保留两位小数（分）")
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


# Checking --------------------------------------------------------------------------------------


@dataclass
class _Read:
    number: int
    digest: str
    name: str
    month: datetime.date
    paid: Decimal
    paid_on: datetime.date | None
    voluntary: Decimal = Decimal(0)


def _cells(number: int, values: dict, today: datetime.date) -> tuple[_Read | None, list[RowError]]:
    errors: list[RowError] = []

    def cell(key, reader):
        try:
            return reader(values.get(key))
        except (CellError, IdNumberError) as exc:
            errors.append(RowError(number, COLUMNS[key], str(exc)))
            return None

    number_text = cell("id_number", read_id_number)
    digest = None
    if not number_text:
        errors.append(RowError(number, COLUMNS["id_number"], "公民身份号码不能为空"))
    else:
        try:
            digest = crypto.digest(parse_id_number(number_text)[0])
        except IdNumberError as exc:
            errors.append(RowError(number, COLUMNS["id_number"], f"公民身份号码{exc}"))
    month = cell("month", read_month)
    paid = cell("paid", read_amount)
    paid_on = cell("paid_on", read_date)
    voluntary = cell("voluntary", read_amount)
    if paid is not None and voluntary:
        paid += voluntary  # split again against the due when written
    if paid is not None and paid > 0 and paid_on is None and not any(e.column == COLUMNS["paid_on"] for e in errors):
        errors.append(RowError(number, COLUMNS["paid_on"], "已缴纳的须填写缴纳日期"))
    if paid_on is not None and paid_on > today:
        errors.append(RowError(number, COLUMNS["paid_on"], "缴纳日期不能晚于今天"))
    if month is not None and month > _months_ahead(today, MAX_MONTHS_AHEAD):
        errors.append(RowError(number, COLUMNS["month"], f"月份不能晚于{MAX_MONTHS_AHEAD}个月以后"))
    if errors:
        return None, errors
    name = normalize_text(values.get("name") or "")
    return _Read(number, digest, name, month, paid, paid_on if paid > 0 else None), []


def _months_ahead(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _check(read: list[tuple[int, dict]], *, user, result: DuesImportResult) -> list[DuesRow]:
    today = timezone.localdate()
    parsed: list[_Read] = []
    for number, values in read:
        row, errors = _cells(number, values, today)
        result.errors.extend(errors)
        if row is not None:
            parsed.append(row)
    manages = access.path_test(user, access.MANAGE)
    members = {d: m for d, m in _load_members(row.digest for row in parsed).items() if manages(m["branch__path"])}
    failed = {r.digest for r in parsed if r.digest not in members}
    refused = LookupBudget(user).refusal_error(len(failed))
    if refused is not None:  # over the look-up budget: one message, nothing about any row
        result.errors[:] = [refused]
        return []
    existing = _load_existing({m["pk"] for m in members.values()}, [row.month for row in parsed])
    months = [row.month for row in parsed]
    basis = DuesBasis(
        [Payer.from_values(m) for m in members.values()],
        first=min(months, default=None),
        last=max(months, default=None),
    )
    seen: dict[tuple[int, datetime.date], int] = {}
    rows = []
    for r in parsed:
        member = members.get(r.digest)
        error = _member_error(r, member, seen)
        if error is not None:
            result.errors.append(error)
            continue
        seen[(member["pk"], r.month)] = r.number
        due, cancelled = existing.get((member["pk"], r.month), (None, False))
        if cancelled:
            result.errors.append(RowError(r.number, COLUMNS["month"], "该月党费已作废，不能记录缴纳"))
            continue
        is_new = due is None
        if is_new:
            due = basis.due(member["pk"], r.month)
            if due is None:
                message = f"{member['name']}未申报月收入，无法计算应缴党费"
                result.errors.append(RowError(r.number, COLUMNS["id_number"], message))
                continue
        paid, voluntary = split_payment(due, r.paid, Decimal(0))
        rows.append(DuesRow(r.number, member["pk"], member["branch_id"], r.month, paid, r.paid_on, due, voluntary))
        result.created += is_new
        result.updated += not is_new
    return rows


def _member_error(r: _Read, member: dict | None, seen) -> RowError | None:
    """The row's refusal, if any; ``member`` is None both off the roster and outside the user's scope."""
    if member is None:
        return RowError(r.number, COLUMNS["id_number"], NOT_IN_SCOPE)
    if r.name and r.name != member["name"]:
        return RowError(r.number, COLUMNS["name"], f"姓名与花名册不一致（花名册中为“{member['name']}”）")
    if r.month < month_start(member["joined_on"]):
        return RowError(r.number, COLUMNS["month"], "月份早于入党日期")
    first = seen.get((member["pk"], r.month))
    if first is not None:
        return RowError(r.number, COLUMNS["month"], f"与第{first}行是同一党员的同一月份")
    return None


def _load_members(digests) -> dict[str, dict]:
    found: dict[str, dict] = {}
    fields = (
        "pk",
        "id_number_digest",
        "name",
        "branch_id",
        "branch__path",
        "occupation",
        "monthly_income",
        "joined_on",
    )
    for chunk in chunked(sorted(set(digests))):
        for row in Member.objects.filter(id_number_digest__in=chunk).order_by().values(*fields):
            found[row["id_number_digest"]] = row
    return found


def _load_existing(member_ids: set[int], months: list[datetime.date]) -> dict[tuple[int, datetime.date], tuple]:
    """Dues already on record for these members within the file's months: (member, month) -> (due, cancelled)."""
    if not member_ids or not months:
        return {}
    found = {}
    for chunk in chunked(sorted(member_ids)):
        rows = DuesPayment.objects.filter(member_id__in=chunk, month__gte=min(months), month__lte=max(months))
        values = rows.order_by().values_list("member_id", "month", "due", "cancelled_at")
        found.update(((m, month), (due, cancelled is not None)) for m, month, due, cancelled in values)
    return found


# Writing ---------------------------------------------------------------------------------------


def _write(rows: list[DuesRow], *, user) -> None:
    objs = [
        DuesPayment(
            member_id=r.member_id,
            branch_id=r.branch_id,
            month=r.month,
            due=r.due,
            paid=r.paid,
            voluntary=r.voluntary,
            paid_on=r.paid_on,
            recorded_by=user,
        )
        for r in rows
    ]
    with transaction.atomic():
        DuesPayment.objects.bulk_create(
            objs,
            update_conflicts=True,
            unique_fields=["member", "month"],
            update_fields=["paid", "voluntary", "paid_on", "recorded_by", "updated_at"],
            batch_size=2000,
        )
