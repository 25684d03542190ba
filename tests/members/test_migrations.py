"""Migration 0006: 人员类别 split into 职业类别 and 党员状况, on the rows already stored."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("members", "0005_position_grant_confirmation")
AFTER = ("members", "0006_occupation_situation_probation_sanction_dues")


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.mark.django_db(transaction=True)
def test_category_becomes_occupation_and_situation(tree):
    apps = _migrate(BEFORE)
    Member = apps.get_model("members", "Member")
    for n, category in enumerate(["employed", "retired", "farmer", "student", "mobile", "lost_contact", "other"]):
        Member.objects.create(
            name=category,
            sex="M",
            birth_date="1980-01-01",
            id_number_encrypted="x",
            id_number_digest=f"d{n}",
            branch_id=tree.branch_a.pk,
            category=category,
            joined_on="2005-07-01",
        )
    try:
        apps = _migrate(AFTER)
        rows = apps.get_model("members", "Member").objects.values_list("name", "occupation", "situation")
        assert dict((name, (o, s)) for name, o, s in rows) == {
            "employed": ("employed", "normal"),
            "retired": ("retired", "normal"),
            "farmer": ("farmer", "normal"),
            "student": ("student", "normal"),
            "mobile": ("other", "mobile"),
            "lost_contact": ("other", "lost_contact"),
            "other": ("other", "normal"),
        }
    finally:
        _migrate_to_latest()


def _migrate_to_latest():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
