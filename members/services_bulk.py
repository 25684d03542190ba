"""The roster import's member-writing service, beside ``member_create``/``member_update``/``member_transfer``.

``members_bulk_write`` writes checked import rows set-based in one transaction, with the same
``MemberEvent`` history as the form's services (a new member's event is 导入 where the form's is
新建; a change is 信息修改, and 党员状态变更 when the status changes, as ``member_update`` writes
them; a change of branch is ``member_transfer`` itself), and audited by one ``AuditBulkEvent``
(``import_members``: the file, its SHA-256 and the counts) instead of one auditlog entry per row.

- New members are inserted in bulk with one 导入 event each. On PostgreSQL the rows go in
  with ``COPY`` (their ids reserved from the sequence in one query), elsewhere with
  ``bulk_create``; only new rows are encrypted.
- Changed members are updated in bulk (PostgreSQL: ``COPY`` into a temporary table and one
  ``UPDATE ... FROM``; elsewhere ``bulk_update``), with 信息修改 and 党员状态变更 events.
- A change of branch is a transfer (组织关系转接): it goes through ``member_transfer``, one
  member at a time, so that the history is kept and positions end as for any transfer.
"""

from __future__ import annotations

import datetime

from auditlog.context import disable_auditlog
from django.db import connection, transaction
from django.utils import timezone

from branches.audit import bulk_event_record
from branches.models import AuditBulkEvent, Branch
from core.labels import source_label

from . import crypto
from .models import Member, MemberEvent
from .pinyin import name_sort_key
from .roster_io.checks import CheckedRow
from .roster_io.columns import HEADER_OF
from .services import member_transfer

BATCH_SIZE = 2000
UPDATE_BATCH_SIZE = 500
# What an import may change on an existing member (the branch only by transfer).
UPDATED_FIELDS = [
    "name",
    "name_pinyin",
    "sex",
    "ethnicity",
    "birth_date",
    "education",
    "phone",
    "group_id",
    "household_id",
    "occupation",
    "situation",
    "status",
    "joined_on",
    "confirmed_on",
    "updated_at",
]


def members_bulk_write(
    *, rows: list[CheckedRow], by, today: datetime.date, note: str, file_name: str, file_sha256: str
) -> dict[str, int]:
    """Write the checked rows of an import all or nothing, as ``by``; the counts it audited.

    The rows are those ``roster_io.checks.RowChecker`` accepted and compared with the roster; an
    ``IntegrityError`` (the roster changed meanwhile) rolls everything back.
    """
    with transaction.atomic(), disable_auditlog():  # the transfers' saves too: one bulk event instead
        write_rows(rows, user=by, today=today, note=note)
        counts = {
            "新增": sum(1 for row in rows if row.existing is None),
            "修改": sum(1 for row in rows if row.existing is not None and row.changes),
            "未变": sum(1 for row in rows if row.existing is not None and not row.changes),
            "转接": sum(1 for row in rows if row.is_transfer),
        }
        bulk_event_record(
            kind=AuditBulkEvent.Kind.IMPORT_MEMBERS,
            counts=counts,
            by=by,
            file_name=file_name,
            file_sha256=file_sha256,
        )
    return counts


def write_rows(rows: list[CheckedRow], *, user, today: datetime.date, note: str) -> None:
    """Write new and changed rows; the caller holds the transaction."""
    by_id = getattr(user, "pk", None)
    new = [row for row in rows if row.existing is None]
    changed = [row for row in rows if row.existing is not None and row.changes]
    create_members(new, by_id=by_id, today=today, note=note)
    # A transfer alone is the transfer service's; other changes of the same row are updates.
    updated = [row for row in changed if not row.is_transfer or set(row.changes) - {"branch", "group"}]
    update_members(updated, by_id=by_id, today=today, note=note)
    transfer_members([row for row in changed if row.is_transfer], user=user, today=today, note=note)


def member_values(row: CheckedRow) -> dict:
    """What a checked row writes on the member; a change of branch is left to the transfer service."""
    data, old = row.data, row.existing
    values = dict(
        name=data.name,
        name_pinyin=name_sort_key(data.name),  # COPY bypasses Member.save
        sex=data.sex,
        ethnicity=data.ethnicity,
        birth_date=data.birth_date,
        education=data.education,
        phone=data.phone,
        branch_id=data.branch.pk,
        group_id=row.group_id,
        occupation=data.occupation,
        situation=data.situation,
        status=data.status,
        joined_on=data.joined_on,
        confirmed_on=data.confirmed_on,
    )
    if old is not None:
        values["household_id"] = None if "group" in row.changes else old.household_id
        if row.is_transfer:
            values.update(branch_id=old.branch_id, group_id=old.group_id, household_id=old.household_id)
    return values


def row_events(row: CheckedRow, *, member_id: int, by_id: int | None, today, note: str) -> list[dict]:
    """The history lines of an imported row, as field values of ``MemberEvent``:
    导入 for a new member; 信息修改 (and 党员状态变更) for a changed one."""
    common = dict(member_id=member_id, by_id=by_id)
    old = row.existing
    if old is None:
        imported = MemberEvent.Kind.IMPORTED.value
        return [dict(kind=imported, occurred_on=today, to_branch_id=row.data.branch.pk, detail=note, **common)]
    moved = ("branch", "group") if row.is_transfer else ()
    changed = [HEADER_OF[key] for key in row.changes if key not in moved]
    if not changed:
        return []
    detail = f"{note}修改：{'、'.join(changed)}"
    events = [dict(kind=MemberEvent.Kind.UPDATED.value, occurred_on=today, detail=detail, **common)]
    if "status" in row.changes:
        detail = f"{source_label(Member.Status, old.status)} → {source_label(Member.Status, row.data.status)}"
        occurred = row.data.confirmed_on or today
        events.append(dict(kind=MemberEvent.Kind.STATUS_CHANGED.value, occurred_on=occurred, detail=detail, **common))
    return events


def _new_member_values(row: CheckedRow) -> dict:
    number = row.data.id_number
    return dict(
        id_number_encrypted=crypto.encrypt(number),
        id_number_digest=row.digest,
        **member_values(row),
    )


def create_members(rows: list[CheckedRow], *, by_id, today, note: str) -> None:
    if not rows:
        return
    values = [_new_member_values(row) for row in rows]
    if connection.vendor == "postgresql":
        for item, pk in zip(values, _reserve_ids(Member, len(values)), strict=True):
            item["id"] = pk
        _copy(Member, values)
    else:
        members = [Member(**item) for item in values]
        Member.objects.bulk_create(members, batch_size=BATCH_SIZE)
        for item, member in zip(values, members, strict=True):
            item["id"] = member.pk
        if values[0]["id"] is None:  # a database that returns no ids from a bulk insert
            _fill_ids(values)
    events = [
        e
        for row, item in zip(rows, values, strict=True)
        for e in row_events(row, member_id=item["id"], by_id=by_id, today=today, note=note)
    ]
    _insert_events(events)


def update_members(rows: list[CheckedRow], *, by_id, today, note: str) -> None:
    if not rows:
        return
    now = timezone.now()
    values = [dict(id=row.existing.pk, updated_at=now, **member_values(row)) for row in rows]
    if connection.vendor == "postgresql":
        _copy_update(Member, UPDATED_FIELDS, values)
    else:
        members = [Member(**item) for item in values]
        Member.objects.bulk_update(
            members, [f.removesuffix("_id") for f in UPDATED_FIELDS], batch_size=UPDATE_BATCH_SIZE
        )
    events = [
        e for row in rows for e in row_events(row, member_id=row.existing.pk, by_id=by_id, today=today, note=note)
    ]
    _insert_events(events)


def transfer_members(rows: list[CheckedRow], *, user, today, note: str) -> None:
    """Changes of branch are transfers: the transfer service keeps the history and ends positions."""
    if not rows:
        return
    old_branches = Branch.objects.in_bulk({row.existing.branch_id for row in rows})
    for row in rows:
        old = row.existing
        member = Member(pk=old.pk, name=old.name, is_active=True, branch=old_branches[old.branch_id])
        member_transfer(member=member, to_branch=row.data.branch, group=row.data.group, on=today, by=user, note=note)


def _insert_events(events: list[dict]) -> None:
    if connection.vendor == "postgresql":
        _copy(MemberEvent, events)
    else:
        MemberEvent.objects.bulk_create([MemberEvent(**e) for e in events], batch_size=BATCH_SIZE)


def _fill_ids(values: list[dict]) -> None:
    digests = [item["id_number_digest"] for item in values]
    ids = dict(Member.objects.filter(id_number_digest__in=digests).values_list("id_number_digest", "pk"))
    for item in values:
        item["id"] = ids[item["id_number_digest"]]


# PostgreSQL: COPY ----------------------------------------------------------------------------


def _columns(model, given: dict) -> list:
    """The model's columns to write: those given, the rest at their defaults (not an absent pk)."""
    fields = []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.attname not in given:
            continue
        fields.append(field)
    return fields


def _defaults(fields) -> dict:
    now = timezone.now()
    return {
        f.attname: now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
        for f in fields
    }


def _copy(model, rows: list[dict]) -> None:
    """``COPY`` rows (dicts of attnames) into ``model``'s table; missing fields take their defaults."""
    if not rows:
        return
    fields = _columns(model, rows[0])
    defaults = _defaults(fields)
    names = [f.attname for f in fields]
    quote = connection.ops.quote_name
    sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
    with connection.wrap_database_errors, connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row([row[name] if name in row else defaults[name] for name in names])


def _reserve_ids(model, count: int) -> list[int]:
    """Take ``count`` ids from the table's sequence in one query."""
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, count])
        return [pk for (pk,) in cursor.fetchall()]


def _copy_update(model, attnames: list[str], rows: list[dict]) -> None:
    """Update ``attnames`` of many rows: ``COPY`` into a temporary table, then one ``UPDATE ... FROM``."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [model._meta.get_field(name.removesuffix("_id")).column for name in attnames]
    pk = model._meta.pk.column
    temp = quote("import_update_" + model._meta.db_table)
    listed = ", ".join(quote(c) for c in [pk, *columns])
    assignments = ", ".join(f"{quote(c)} = u.{quote(c)}" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        cursor.execute(f"CREATE TEMPORARY TABLE {temp} AS SELECT {listed} FROM {table} WITH NO DATA")
        with connection.wrap_database_errors, cursor.copy(f"COPY {temp} ({listed}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row["id"], *(row[name] for name in attnames)])
        cursor.execute(f"UPDATE {table} AS m SET {assignments} FROM {temp} AS u WHERE m.{quote(pk)} = u.{quote(pk)}")
        cursor.execute(f"DROP TABLE {temp}")
