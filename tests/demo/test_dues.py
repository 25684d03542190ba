"""The seeds' year of dues (demo/dues.py)."""

import datetime
import random
import zoneinfo
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import F

from core.periods import month_end, month_start
from demo.dues import seed_dues_year, seed_months
from demo.plan import Scale
from demo.seeding import seed_build
from members.dues.basis import basis_for
from members.dues.rules import is_large_voluntary
from members.dues.selectors import dues_arrears_by_branch
from members.models import DuesPayment, DuesReduction, FarmerDuesRate, Member

NOW = datetime.datetime(2026, 11, 21, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
TODAY = NOW.date()
TINY = Scale("tiny", organizations=40, members=200, towns=2, villages=4, grids=8, communities=1, compounds=2, groups=14)


def test_seed_months_are_the_twelve_ending_with_todays_month():
    months = seed_months(datetime.date(2026, 2, 14))

    assert len(months) == 12
    assert months[0] == datetime.date(2025, 3, 1) and months[-1] == datetime.date(2026, 2, 1)
    assert all(m.day == 1 for m in months) and months == sorted(set(months))


@pytest.fixture
def dues(db):
    result = seed_build(scale=TINY, seed=1, today=TODAY)
    seed_dues_year(result=result, rng=random.Random(1), now=NOW)
    return result


def _fingerprint(seed: int):
    with transaction.atomic():
        result = seed_build(scale=TINY, seed=seed, today=TODAY)
        summary = seed_dues_year(result=result, rng=random.Random(seed), now=NOW)
        rows = list(
            DuesPayment.objects.order_by("member__id_number_digest", "month").values_list(
                "member__id_number_digest", "month", "due", "paid", "paid_on"
            )[:300]
        )
        fingerprint = (summary, DuesPayment.objects.count(), rows)
        transaction.set_rollback(True)
    return fingerprint


@pytest.mark.django_db
def test_same_seed_writes_the_same_dues_and_another_seed_others():
    first = _fingerprint(2)

    assert first == _fingerprint(2)
    assert first[2] != _fingerprint(3)[2]


def test_every_due_follows_the_rules_of_the_declared_income(dues):
    members = list(Member.objects.select_related("branch"))
    months = seed_months(TODAY)
    basis = basis_for(members, first=months[0], last=months[-1])
    rows = DuesPayment.objects.values_list("member_id", "month", "due")

    assert rows
    for member_id, month, due in rows:
        assert due == basis.due(member_id, month)
    assert Member.objects.filter(occupation=Member.Occupation.EMPLOYED, monthly_income__isnull=True).count() == 0


def test_the_demo_shows_a_farmers_amount_a_waiver_and_voluntary_payments(dues):
    rate = FarmerDuesRate.objects.get()
    farmers = DuesPayment.objects.filter(member__occupation=Member.Occupation.FARMER)
    assert rate.amount == Decimal("0.50") and farmers.filter(branch_id=rate.branch_id, due=rate.amount).exists()
    assert farmers.exclude(branch_id=rate.branch_id).exclude(due=Decimal("0.20")).count() == 0
    waiver = DuesReduction.objects.get()
    assert waiver.amount == 0 and waiver.approving_org.endswith("党委") and waiver.approved_on <= TODAY
    waived = DuesPayment.objects.filter(member_id=waiver.member_id, month__gte=waiver.starts_on)
    assert waived.count() == 3 and not waived.exclude(due=0).exists()
    voluntary = sorted(DuesPayment.objects.filter(voluntary__gt=0).values_list("voluntary", flat=True))
    assert voluntary == [Decimal("50.00"), Decimal("1000.00")] and is_large_voluntary(voluntary[-1])


def test_rows_only_for_months_on_the_roster(dues):
    for member in Member.objects.prefetch_related("dues_payments"):
        months = {row.month for row in member.dues_payments.all()}
        expected = {
            m
            for m in seed_months(TODAY)
            if member.joined_on <= month_end(m) and (member.left_on is None or member.left_on >= m)
        }
        assert months == expected, member


def test_most_pay_in_full_some_are_in_arrears_and_nothing_is_paid_after_today(dues):
    rows = DuesPayment.objects.all()
    in_full = rows.filter(paid__gte=F("due")).count()

    assert 0.85 <= in_full / rows.count() < 0.99
    assert not rows.filter(paid_on__gt=TODAY).exists()
    assert not rows.filter(paid__gt=0, paid_on__isnull=True).exists()
    assert not rows.filter(paid=0, paid_on__isnull=False).exists()
    assert not rows.filter(member__situation=Member.Situation.LOST_CONTACT, paid__gt=Decimal(0)).exists()
    arrears = dues_arrears_by_branch(branch=dues.root, start=month_start(TODAY.replace(month=1)))
    assert sum(a.members_in_arrears for a in arrears) > 0
