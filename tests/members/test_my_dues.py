"""我的党费 (members/dues/mine.py, on the member's own page): months, due, paid, arrears."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.periods import add_months, month_start
from members.dues.mine import member_dues
from members.models import DuesPayment

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = datetime.date(2026, 9, 15)  # DUES_MAX_DELAY_MONTHS 6: months up to 2026-02 are overdue


def row(member, month, due="10", paid="0", **fields):
    paid_on = month if D(paid) > 0 else None
    return DuesPayment.objects.create(
        member=member, branch_id=member.branch_id, month=month, due=D(due), paid=D(paid), paid_on=paid_on, **fields
    )


@pytest.fixture
def year(member_a):
    row(member_a, datetime.date(2026, 1, 1), paid="10")
    row(member_a, datetime.date(2026, 2, 1))  # unpaid, past the delay
    row(member_a, datetime.date(2026, 3, 1), paid="4")  # short, within the delay
    row(member_a, datetime.date(2026, 4, 1), cancelled_at=timezone.now(), cancel_reason="转出")
    row(member_a, datetime.date(2026, 9, 1))  # this month, unpaid
    row(member_a, datetime.date(2026, 10, 1), paid="10")  # paid in advance (预交)
    return member_a


def test_arrears_count_live_short_months_up_to_this_one(year, django_assert_num_queries):
    with django_assert_num_queries(2):
        dues = member_dues(year, today=TODAY)
    assert (dues.months_owed, dues.owed, dues.months_overdue) == (3, D("26.00"), 1)  # Feb 10, Mar 6, Sep 10


def test_months_newest_first_with_their_state(year):
    dues = member_dues(year, today=TODAY)
    assert [(m.row.month.month, m.state, m.overdue) for m in dues.months] == [
        (10, "paid", False),
        (9, "unpaid", False),
        (4, "cancelled", False),
        (3, "short", False),
        (2, "unpaid", True),
        (1, "paid", False),
    ]
    assert dues.this_month.row.month == datetime.date(2026, 9, 1)


def test_at_most_the_latest_months_are_listed(member_a):
    for n in range(15):
        row(member_a, add_months(datetime.date(2025, 1, 1), n), paid="10")
    dues = member_dues(member_a, today=TODAY, shown=12)
    assert len(dues.months) == 12 and dues.months[0].row.month == datetime.date(2026, 3, 1)
    assert dues.this_month is None and dues.months_owed == 0


def test_the_member_sees_their_own_dues_on_their_page(login_as, member_a, member_b):
    current = month_start(timezone.localdate())
    row(member_a, current, due="12.50")
    row(member_b, current, due="77.70")
    body = login_as("member_a").get(reverse("members:me")).content.decode()
    section = body[body.index('id="my-dues-title"') :]
    assert "我的党费" in body and "应缴 12.50 元" in section and "未交" in section
    assert "1 个月，共 12.50 元" in section
    assert "77.70" not in body  # another member's


def test_the_page_runs_the_same_queries_for_2_or_12_months(login_as, member_a):
    def queries() -> int:
        client = login_as("member_a")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("members:me")).status_code == 200
        return len(ctx.captured_queries)

    for n in range(2):
        row(member_a, add_months(datetime.date(2025, 1, 1), n))
    few = queries()
    for n in range(2, 12):
        row(member_a, add_months(datetime.date(2025, 1, 1), n))
    assert queries() == few
