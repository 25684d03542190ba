"""Bulk insert of plain tuples, for the seeds' millions of rows: COPY on PostgreSQL, executemany elsewhere.

``bulk_create`` builds a model instance for every row and binds every value through the ORM,
then PostgreSQL's driver dumps them as arrays; for the city seed's 1.7 million attendance rows
that alone took minutes. Here the rows stay tuples: PostgreSQL receives them through COPY, other
backends through one ``executemany`` per batch with the values prepared by each field.

No model defaults, ``auto_now`` or signals apply: give every column the table needs, in the order
of ``fields`` (attribute names such as ``"member_id"``). Nothing is returned, not even keys.

Inside a transaction on PostgreSQL the table's foreign keys are dropped for the load and added
back right after, as PostgreSQL's manual advises for populating a database: each is then checked
by one join over the table, not by a deferred trigger per row at commit (62 of the city seed's
145 seconds). Any failure rolls the whole transaction back, constraints included.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable

from django.db import connection

BATCH_SIZE = 2000


def bulk_insert(model, fields: list[str], rows: Iterable[tuple], *, batch_size: int = BATCH_SIZE) -> int:
    """Insert ``rows`` (tuples of values for ``fields``) into ``model``'s table; returns how many."""
    model_fields = [model._meta.get_field(name) for name in fields]
    qn = connection.ops.quote_name
    table, columns = qn(model._meta.db_table), ", ".join(qn(f.column) for f in model_fields)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with _foreign_keys_checked_after(cursor, model._meta.db_table):
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            return count
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(model_fields))})"
        rows = iter(rows)
        while batch := list(itertools.islice(rows, batch_size)):
            prepared = [
                [f.get_db_prep_save(value, connection) for f, value in zip(model_fields, row, strict=True)]
                for row in batch
            ]
            cursor.executemany(sql, prepared)
            count += len(batch)
    return count


@contextlib.contextmanager
def _foreign_keys_checked_after(cursor, table: str):
    """PostgreSQL, in a transaction: drop ``table``'s foreign keys, let the caller load, add them back."""
    if not connection.in_atomic_block:
        yield
        return
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
        [table],
    )
    constraints = cursor.fetchall()
    qn = connection.ops.quote_name
    # Check what the transaction wrote so far now: a table with pending checks cannot be altered or referenced.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    for name, _ in constraints:
        cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
    yield
    for name, definition in constraints:
        cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
