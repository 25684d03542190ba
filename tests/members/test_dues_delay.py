"""Dues paid late within the allowed delay (关于中国共产党党费收缴、使用和管理的规定 art. 12;
``DUES_MAX_DELAY_MONTHS``): the health check's dues item and the arrears beyond the delay; waived and
cancelled months in the health check."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.periods import Period
from health.rubric import MemberFacts
from health.selectors import FactsRow, _add_dues, member_facts
from members.dues.payments import dues_generate_month, dues_record
from members.dues.reductions import dues_reduction_create
from members.dues.rules import overdue_through, payment_deadline
from members.dues.selectors import dues_arrears_by_branch
from members.models import DuesPayment
from tests.factories import MemberFactory

D = Decimal
JAN = datetime.date(2026, 1, 1)
YEAR = Period.parse("2026")


def _facts(member):
    return member_facts(period=YEAR, branch=member.branch)[member.pk].facts


def _january(member, paid_on):
    return DuesPayment.objects.create(
        member=member, branch_id=member.branch_id, month=JAN, due=D("10"), paid=D("10"), paid_on=paid_on
    )


def test_the_deadline_is_the_end_of_the_month_six_months_later():
    assert payment_deadline(JAN) == datetime.date(2026, 7, 31)
    assert payment_deadline(datetime.date(2026, 8, 1)) == datetime.date(2027, 2, 28)


@pytest.mark.parametrize("paid_on, counts", [(datetime.date(2026, 7, 31), True), (datetime.date(2026, 8, 1), False)])
def test_a_month_paid_on_its_last_allowed_day_counts_and_a_day_later_does_not(tree, paid_on, counts):
    member = MemberFactory(branch=tree.branch_a)
    _january(member, paid_on)
    facts = _facts(member)
    assert (facts.dues_months_due, facts.dues_months_paid) == (1, int(counts))


def test_the_delay_is_a_setting(tree, settings):
    settings.DUES_MAX_DELAY_MONTHS = 0
    member = MemberFactory(branch=tree.branch_a)
    _january(member, datetime.date(2026, 2, 1))
    assert _facts(member).dues_months_paid == 0
    settings.DUES_MAX_DELAY_MONTHS = 1
    assert _facts(member).dues_months_paid == 1


def test_the_dues_facts_stay_one_aggregate_query(tree):
    members = [MemberFactory(branch=tree.branch_a) for _ in range(3)]
    for member in members:
        _january(member, datetime.date(2026, 5, 1))
    result = {m.pk: FactsRow(m.branch_id, tree.branch_a.path, MemberFacts()) for m in members}
    with CaptureQueriesContext(connection) as queries:
        _add_dues(result, [m.pk for m in members], YEAR)
    assert len(queries.captured_queries) == 1
    assert {row.facts.dues_months_paid for row in result.values()} == {1}


def test_a_waived_month_is_not_a_month_due_for_the_health_check(tree):
    member = MemberFactory(branch=tree.branch_a, monthly_income=D("4000"))
    dues_reduction_create(
        member=member,
        starts_on=JAN,
        ends_on=JAN,
        amount=D(0),
        reason="重病",
        approving_org="城关镇党委",
        approved_on=datetime.date(2025, 12, 20),
    )
    for month in (JAN, datetime.date(2026, 2, 1)):
        dues_generate_month(branch=tree.branch_a, month=month)
    dues_record(member=member, month=datetime.date(2026, 2, 1), paid=D("40"), paid_on=datetime.date(2026, 2, 3))
    facts = _facts(member)
    assert (facts.dues_months_due, facts.dues_months_paid) == (1, 1)


def test_a_cancelled_month_is_not_counted_by_the_health_check(tree):
    member = MemberFactory(branch=tree.branch_a)
    row = _january(member, None)
    row.paid, row.cancelled_at, row.cancel_reason = D(0), timezone.now(), "死亡"
    row.save()
    facts = _facts(member)
    assert (facts.dues_months_due, facts.dues_months_paid) == (0, 0)


@pytest.mark.parametrize("today, overdue", [(datetime.date(2026, 7, 31), 0), (datetime.date(2026, 8, 1), 1)])
def test_arrears_beyond_the_delay_are_counted_from_the_day_after_the_deadline(tree, today, overdue):
    member = MemberFactory(branch=tree.branch_a, monthly_income=D("4000"))
    for month in (JAN, datetime.date(2026, 2, 1)):
        dues_generate_month(branch=tree.branch_a, month=month)
    assert (overdue_through(today) >= JAN) is bool(overdue)
    (arrears,) = dues_arrears_by_branch(branch=tree.branch_a, today=today)
    assert (arrears.months_in_arrears, arrears.months_overdue) == (2, overdue)
    assert arrears.earliest_overdue == (JAN if overdue else None)
    assert member.dues_payments.count() == 2
