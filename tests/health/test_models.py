"""The health tables' foreign keys are database constraints (migration health/0004)."""

import pytest
from django.db import IntegrityError, connection, transaction

from health.models import HealthCheck, HealthCheckEvent

FOREIGN_KEYS = [
    (HealthCheck, "branch"),
    (HealthCheck, "member"),
    (HealthCheck, "rubric"),
    (HealthCheck, "snapshot"),
    (HealthCheckEvent, "health_check"),
    (HealthCheckEvent, "by"),
]


@pytest.mark.parametrize(("model", "name"), FOREIGN_KEYS)
def test_every_foreign_key_of_the_health_tables_is_constrained(model, name):
    assert model._meta.get_field(name).db_constraint


def test_an_event_of_a_missing_check_is_refused_by_the_database(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        HealthCheckEvent.objects.create(health_check_id=987654, kind=HealthCheckEvent.Kind.COMPUTED)
        connection.check_constraints(table_names=[HealthCheckEvent._meta.db_table])
