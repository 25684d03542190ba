"""The database's scoring (health/compute_sql.py) against ``rubric.score`` in Python, row for row.

On PostgreSQL ``health_checks_compute`` scores inside the database; SQLite keeps the Python
path. Both are run here on the same varied records (leave, late and short dues, fractional
hours, joiners, leavers, transfers, commendations over the cap, vetoes, two rubrics with
uneven points) and must write the same checks, counts and events.
"""

import datetime
import random
from decimal import Decimal

import pytest
from django.db import connection, transaction

from activities.models import Activity
from health import rubric as rules
from health import services
from health.models import HealthCheck, HealthCheckEvent
from health.services import health_check_adjust, health_checks_compute, health_checks_submit, rubric_save
from members.models import Commendation, Sanction
from tests.factories import MemberFactory
from tests.health.builders import ABSENT, LEAVE, PRESENT, approved_leave, attend, dues_month, held

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the database path is PostgreSQL's")

K = Activity.Kind
Y = 2025
FIELDS = [
    "member_id",
    "branch_id",
    "period",
    "rubric_id",
    "snapshot__digest",  # the snapshot rows themselves are rolled back with the rest
    "items",
    "bonus",
    "deduction",
    "vetoed",
    "subtotal",
    "adjustment",
    "total",
    "grade",
    "status",
]


def uneven_rubric() -> dict:
    config = rules.default_rubric()
    for item, points in zip(config["items"], ["35", "25", "27", "13"], strict=True):
        item["points"] = points
    config["items"][3]["hours_per_year"] = "25"
    config.update(commendation_cap="4", deduction_cap="7", veto_cap="50")
    config["deduction_points"]["admonition"] = "2.5"
    for grade, minimum in zip(config["grades"], ["85", "70", "55", "0"], strict=True):
        grade["min"] = minimum
    return config


def records(tree, seed: int) -> list:
    """Thirty members of two branches with a year of pseudo-random, deterministic records."""
    rng = random.Random(seed)
    members = []
    for i in range(30):
        joined = datetime.date(Y, rng.randint(1, 12), rng.randint(1, 28)) if i % 7 == 0 else datetime.date(2010, 1, 1)
        member = MemberFactory(branch=tree.branch_a if i % 2 else tree.branch_b, joined_on=joined)
        if i % 11 == 5:
            member.is_active, member.left_on = False, datetime.date(Y, rng.randint(1, 12), 15)
            member.save(update_fields=["is_active", "left_on"])
        members.append(member)
    for branch in (tree.branch_a, tree.branch_b):
        on_roster = [m for m in members if m.branch_id == branch.pk]
        for n in range(14):
            kind = rng.choice([K.THEME_DAY, K.BRANCH_ASSEMBLY, K.GROUP_MEETING, K.PARTY_LECTURE, K.VOLUNTEER])
            activity = held(branch, kind, datetime.date(Y, n % 12 + 1, rng.randint(1, 28)))
            for m in on_roster:
                if kind == K.VOLUNTEER:
                    if rng.random() < 0.6:
                        attend(activity, m, expected=False, hours=rng.choice(["2.5", "3", "4.5", "7", "1.3"]))
                    continue
                status = rng.choices([PRESENT, LEAVE, ABSENT], [7, 1, 2])[0]
                attend(activity, m, status, expected=rng.random() < 0.9)
                if status == ABSENT and rng.random() < 0.3:
                    approved_leave(activity, m)
    for m in members:
        for month in range(1, 13):
            shape = rng.choices(["on_time", "late", "short", "none", "free"], [8, 1, 1, 1, 1])[0]
            first = datetime.date(Y, month, 1)
            if shape == "late":
                dues_month(m, first, paid_on=datetime.date(Y + (month == 12), month % 12 + 1, 2))
            elif shape == "short":
                dues_month(m, first, paid="4.5")
            elif shape == "none":
                dues_month(m, first, paid="0")
            elif shape == "free":
                dues_month(m, first, due="0", paid="0")
            else:
                dues_month(m, first, paid=rng.choice(["10", "12"]))
        for _ in range(rng.choice([0, 0, 1, 3])):
            level = rng.choice(["branch", "town", "county", "province"])
            Commendation.objects.create(member=m, level=level, title="优秀", awarded_on=datetime.date(Y, 6, 1))
        for _ in range(rng.choice([0, 0, 0, 1, 2])):
            kind = rng.choice(["criticism", "admonition", "warning"])
            Sanction.objects.create(member=m, kind=kind, imposed_on=datetime.date(Y, rng.randint(1, 12), 3))
    return members


def outcome(period: str, compute) -> tuple:
    """What ``compute`` writes, rolled back afterwards: every check, its events and the counts."""
    last_event = HealthCheckEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with transaction.atomic():
        counts = compute()
        rows = list(HealthCheck.objects.filter(period=period).order_by("member_id").values(*FIELDS))
        events = sorted(
            HealthCheckEvent.objects.filter(pk__gt=last_event).values_list(
                "health_check__member_id", "kind", "by_id", "detail"
            )
        )
        transaction.set_rollback(True)
    return counts, rows, events


def both(tree, period: str, by=None) -> tuple:
    p = services.period_parse(period)

    def python():
        return services._compute_in_python(p, tree.town, by)

    def database():
        return services._compute_in_database(p, tree.town, by)

    return outcome(period, python), outcome(period, database)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("period", [str(Y), f"{Y}Q2", f"{Y}Q4"])
def test_the_database_scores_exactly_as_the_python_rubric(tree, orgdept, seed, period):
    records(tree, seed)
    rubric_save(branch=tree.village_a, year=Y, config=uneven_rubric(), by=orgdept)
    in_python, in_database = both(tree, period)
    assert in_python[1], "nothing was scored"
    assert {r["rubric_id"] for r in in_python[1]} != {None}  # both rubrics are in force
    assert in_database == in_python


def test_recomputation_keeps_adjustments_and_locks_alike(tree, orgdept, secretary_a, secretary_b):
    members = records(tree, 3)
    rubric_save(branch=tree.village_b, year=Y, config=uneven_rubric(), by=orgdept)
    health_checks_compute(period=str(Y), branch=tree.town)
    for m in members[1:8:2]:  # branch A: adjusted, then changed by new records
        health_check_adjust(
            check=HealthCheck.objects.get(member=m, period=str(Y)), adjustment="-3.5", reason="核实", by=secretary_a
        )
        attend(held(m.branch, K.VOLUNTEER, datetime.date(Y, 11, 2)), m, expected=False, hours="9.5")
    health_checks_submit(branch=tree.branch_b, period=str(Y), by=secretary_b)  # locked
    Sanction.objects.create(member=members[0], kind="warning", imposed_on=datetime.date(Y, 12, 1))

    in_python, in_database = both(tree, str(Y), by=secretary_a)

    counts = in_python[0]
    assert counts.updated >= 4 and counts.locked == sum(1 for r in in_python[1] if r["status"] == "submitted") > 0
    assert any(r["adjustment"] == Decimal("-3.50") for r in in_database[1])
    assert in_database == in_python
