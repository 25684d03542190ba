"""Model fields shared by the apps (health checks' items, reports' snapshots).

Migrations name a field by the module it was imported from: ``health``'s 0002 by
``branches.fields`` (which still re-exports it for that reason) and ``reports``' 0001 by
``reports.models``.
"""

from __future__ import annotations

from django.db import models


class SnapshotJSONField(models.JSONField):
    """A JSON column inserted row by row in a bulk insert.

    On PostgreSQL Django 5.2 bulk-inserts through ``UNNEST`` of one array per column, and
    psycopg escapes every JSON document into the array literal with a regular expression:
    for a city's report snapshots or health checks that took longer than computing them. A
    field with its own placeholder opts out of ``UNNEST`` (Django's own rule), so each
    document travels as a plain ``jsonb`` parameter.
    """

    def get_placeholder(self, value, compiler, connection):
        return "%s"
