import pytest
from django.db import connection

from branches.models import Branch, minimal_paths


def test_minimal_paths_drops_nested_subtrees():
    assert minimal_paths(["0001", "00010002", "0003", "0001"]) == ["0001", "0003"]


@pytest.mark.django_db
def test_in_subtree_is_a_prefix_range(tree):
    codes = set(Branch.objects.in_subtree(tree.village_a).values_list("code", flat=True))
    assert codes == {"VA", "BA", "GA", "HA"}


@pytest.mark.django_db
def test_path_column_uses_c_collation_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite compares paths bytewise already")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT collation_name FROM information_schema.columns WHERE table_name = %s AND column_name = 'path'",
            [Branch._meta.db_table],
        )
        assert cursor.fetchone()[0] == "C"
