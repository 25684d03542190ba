"""Importing the member roster from Excel: validate every row, then write all or nothing.

``import_members`` is the one entry point of the site's import page and the
``import_members`` command. It reads the file with openpyxl in read-only mode, checks every
row with the same ``RowChecker`` as ``MemberResource`` (which serves the admin), looks up
branches and existing members set-based (one query per 10,000 codes or ID digests), and
only when no row is refused writes in bulk inside one transaction:

- new members: ``bulk_create``, and one ``MemberEvent`` (导入) each, also in bulk;
- changed members: ``bulk_update`` of the changed rows only, with an 信息修改 event (and a
  党员状态变更 event when the status changed), in bulk;
- a change of branch within the importer's scope is a transfer (组织关系转接): it goes
  through ``members.services.member_transfer``, so the history and positions follow;
- unchanged members are not touched (nothing is re-encrypted or rewritten).

``import_with_default_resource`` runs the same file through django-import-export's standard
row-by-row import with the same resource: it is the benchmark's baseline.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from branches.models import Branch

from . import crypto
from .idnumbers import mask_id_number
from .import_checks import CheckedRow, RowChecker, RowError, duplicate_errors, load_existing
from .import_columns import HEADER_OF, read_row
from .import_files import ImportFileError, open_sheet
from .models import Member, MemberEvent
from .services import member_transfer

BATCH_SIZE = 2000
UPDATE_BATCH_SIZE = 500
UPDATED_FIELDS = [
    "name",
    "sex",
    "ethnicity",
    "birth_date",
    "education",
    "phone",
    "group",
    "household",
    "category",
    "status",
    "joined_on",
    "confirmed_on",
    "updated_at",
]


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


def max_rows() -> int:
    return getattr(settings, "IMPORT_MAX_ROWS", 200_000)


def import_members(
    source: str | os.PathLike | IO[bytes], *, user, dry_run: bool = False, file_name: str = ""
) -> ImportResult:
    """Import the roster in ``source`` (a path or a binary file) as ``user``.

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
        try:
            _write(rows, user=user, today=checker.today, file_name=file_name or _name_of(source))
        except IntegrityError:
            result.errors.append(RowError(None, None, "导入期间花名册已被他人修改，未写入任何数据，请重新导入"))
            return result
        result.written = True
        result.transferred = sum(1 for row in rows if row.is_transfer)
    return result


def _name_of(source) -> str:
    if isinstance(source, str | os.PathLike):
        return os.path.basename(source)
    return os.path.basename(getattr(source, "name", "") or "")


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
    result.errors.sort(key=lambda e: (e.row or 0, e.column or ""))
    _fill_preview(checked, result)
    return checked


def _fill_preview(rows: list[CheckedRow], result: ImportResult) -> None:
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


# Writing -----------------------------------------------------------------------------------


def _write(rows: list[CheckedRow], *, user, today, file_name: str) -> None:
    note = f"Excel导入（{file_name}）" if file_name else "Excel导入"
    new = [row for row in rows if row.existing is None]
    changed = [row for row in rows if row.existing is not None and row.changes]
    with transaction.atomic():
        _create(new, user=user, today=today, note=note)
        # A transfer alone is the transfer service's; other changes of the same row are updates.
        updated = [row for row in changed if not row.is_transfer or set(row.changes) - {"branch", "group"}]
        _update(updated, user=user, today=today, note=note)
        _transfer([row for row in changed if row.is_transfer], user=user, today=today, note=note)


def member_values(row: CheckedRow) -> dict:
    """What a checked row writes on the member; a change of branch is left to the transfer service."""
    data, old = row.data, row.existing
    values = dict(
        name=data.name,
        sex=data.sex,
        ethnicity=data.ethnicity,
        birth_date=data.birth_date,
        education=data.education,
        phone=data.phone,
        branch_id=data.branch.pk,
        group_id=row.group_id,
        category=data.category,
        status=data.status,
        joined_on=data.joined_on,
        confirmed_on=data.confirmed_on,
    )
    if old is not None:
        values["household_id"] = None if "group" in row.changes else old.household_id
        if row.is_transfer:
            values.update(branch_id=old.branch_id, group_id=old.group_id, household_id=old.household_id)
    return values


def row_events(row: CheckedRow, *, member_id: int, by_id: int | None, today, note: str) -> list[MemberEvent]:
    """The history lines of an imported row: 导入 for a new member, 信息修改 (and 党员状态变更) for a change."""
    common = dict(member_id=member_id, by_id=by_id)
    old = row.existing
    if old is None:
        return [
            MemberEvent(
                kind=MemberEvent.Kind.IMPORTED,
                occurred_on=today,
                to_branch_id=row.data.branch.pk,
                detail=note,
                **common,
            )
        ]
    moved = ("branch", "group") if row.is_transfer else ()
    changed = [HEADER_OF[key] for key in row.changes if key not in moved]
    if not changed:
        return []
    events = [
        MemberEvent(
            kind=MemberEvent.Kind.UPDATED, occurred_on=today, detail=f"{note}修改：{'、'.join(changed)}", **common
        )
    ]
    if "status" in row.changes:
        detail = f"{Member.Status(old.status).label} → {Member.Status(row.data.status).label}"
        occurred = row.data.confirmed_on or today
        events.append(MemberEvent(kind=MemberEvent.Kind.STATUS_CHANGED, occurred_on=occurred, detail=detail, **common))
    return events


def _create(rows: list[CheckedRow], *, user, today, note: str) -> None:
    """New members and their 导入 events, both in bulk; only these rows are encrypted."""
    members = [
        Member(
            id_number_encrypted=crypto.encrypt(row.data.id_number),
            id_number_digest=row.digest,
            id_number_masked=mask_id_number(row.data.id_number),
            **member_values(row),
        )
        for row in rows
    ]
    Member.objects.bulk_create(members, batch_size=BATCH_SIZE)
    if members and members[0].pk is None:  # a database that returns no ids from a bulk insert
        digests = [m.id_number_digest for m in members]
        ids = dict(Member.objects.filter(id_number_digest__in=digests).values_list("id_number_digest", "pk"))
        for member in members:
            member.pk = ids[member.id_number_digest]
    by_id = getattr(user, "pk", None)
    events = [
        e
        for row, m in zip(rows, members, strict=True)
        for e in row_events(row, member_id=m.pk, by_id=by_id, today=today, note=note)
    ]
    MemberEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)


def _update(rows: list[CheckedRow], *, user, today, note: str) -> None:
    """Changed details in bulk, with their events."""
    now = timezone.now()
    by_id = getattr(user, "pk", None)
    members = [Member(pk=row.existing.pk, updated_at=now, **member_values(row)) for row in rows]
    Member.objects.bulk_update(members, UPDATED_FIELDS, batch_size=UPDATE_BATCH_SIZE)
    events = [
        e for row in rows for e in row_events(row, member_id=row.existing.pk, by_id=by_id, today=today, note=note)
    ]
    MemberEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)


def _transfer(rows: list[CheckedRow], *, user, today, note: str) -> None:
    """Changes of branch are transfers: the transfer service keeps the history and ends positions."""
    if not rows:
        return
    old_branches = Branch.objects.in_bulk({row.existing.branch_id for row in rows})
    for row in rows:
        old = row.existing
        member = Member(pk=old.pk, name=old.name, is_active=True, branch=old_branches[old.branch_id])
        member_transfer(member=member, to_branch=row.data.branch, group=row.data.group, on=today, by=user, note=note)


# The benchmark's baseline ----------------------------------------------------------------


def import_with_default_resource(path: str | os.PathLike, *, user) -> ImportResult:
    """Import ``path`` through django-import-export's standard, row-by-row ``import_data``.

    The same ``MemberResource`` (same columns, same checks, all or nothing) but the
    library's default flow: one query to find each row's member, one save per row, one
    event per row. Only the benchmark uses it, as the baseline of ``import_members``.
    """
    from .resources import MemberResource, dataset_from_file, result_from_import

    result = ImportResult()
    try:
        dataset = dataset_from_file(path)
    except ImportFileError as exc:
        result.errors.append(RowError(None, None, exc.message))
        return result
    resource = MemberResource(user=user)
    outcome = resource.import_data(dataset, dry_run=False, use_transactions=True, rollback_on_validation_errors=True)
    return result_from_import(resource, outcome)
