"""On PostgreSQL, give Branch.path the "C" collation so ``LIKE 'prefix%'`` uses its index.

SQLite compares bytes already (BINARY), so there it is a no-op.
"""

from django.db import migrations


def to_c_collation(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("branches", "Branch")._meta.db_table
    schema_editor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "path" TYPE varchar(255) COLLATE "C"')


def to_default_collation(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("branches", "Branch")._meta.db_table
    schema_editor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "path" TYPE varchar(255) COLLATE "default"')


class Migration(migrations.Migration):
    dependencies = [("branches", "0001_initial")]
    operations = [migrations.RunPython(to_c_collation, to_default_collation)]
