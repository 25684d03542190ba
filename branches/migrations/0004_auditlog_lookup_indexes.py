"""Indexes for the audit trail on a member's and an activity's page (PostgreSQL).

``branches.audit.trail_for`` finds the entries of a member's positions, dues, attendance...
by ``additional_data -> 'member_id'`` (and ``'activity_id'``): without these expression
indexes every page view would read the whole log.
"""

from django.db import migrations

KEYS = ("member_id", "activity_id")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for key in KEYS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS audit_logentry_{key} ON auditlog_logentry ((additional_data -> '{key}'))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for key in KEYS:
        schema_editor.execute(f"DROP INDEX IF EXISTS audit_logentry_{key}")


class Migration(migrations.Migration):
    dependencies = [
        ("branches", "0003_audit_bulk_event"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(create, drop)]
