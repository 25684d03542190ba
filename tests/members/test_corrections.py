"""A leaving or transfer recorded late: the dues rows of later months and the one history line
(members/corrections.py, docs/rules/history.md)."""

import datetime
from decimal import Decimal

from members.models import DuesPayment, MemberEvent
from members.services import member_leave, member_transfer
from tests.health.builders import dues_month, months

Y = 2025


def rows(member) -> dict:
    return {
        row.month.month: (row.branch_id, row.cancel_reason, row.cancelled_at is not None)
        for row in DuesPayment.objects.filter(member=member)
    }


def test_a_late_death_cancels_the_unpaid_rows_of_the_months_after_it(tree, member_a, secretary_a):
    for month in months(Y, 1, 6):
        dues_month(member_a, month, paid="0")
    dues_month(member_a, datetime.date(Y, 7, 1))  # paid in advance: stays
    dues_month(member_a, datetime.date(Y, 8, 1), paid="5")  # partly paid: stays

    member_leave(member=member_a, on=datetime.date(Y, 3, 31), reason="died", by=secretary_a)

    a = tree.branch_a.pk
    assert rows(member_a) == {
        1: (a, "", False),
        2: (a, "", False),
        3: (a, "", False),  # the month of the death is due
        4: (a, "死亡", True),
        5: (a, "死亡", True),
        6: (a, "死亡", True),
        7: (a, "", False),
        8: (a, "", False),
    }
    line = MemberEvent.objects.get(member=member_a, kind=MemberEvent.Kind.UPDATED)
    assert line.detail == "死亡（2025-03-31）后的记录更正：注销3个月未缴党费（2025-04、2025-05、2025-06）"


def test_leaving_on_a_months_first_day_keeps_that_month(tree, member_a, secretary_a):
    dues_month(member_a, datetime.date(Y, 4, 1), paid="0")
    dues_month(member_a, datetime.date(Y, 5, 1), paid="0")
    member_leave(member=member_a, on=datetime.date(Y, 4, 1), reason="transferred_out", by=secretary_a)
    a = tree.branch_a.pk
    assert rows(member_a) == {4: (a, "", False), 5: (a, "转出", True)}


def test_a_late_transfer_hands_the_unpaid_rows_from_its_month_on_to_the_new_branch(tree, member_a, secretary_a):
    for month in months(Y, 3, 6):
        dues_month(member_a, month, paid="0")
    dues_month(member_a, datetime.date(Y, 7, 1))

    member_transfer(member=member_a, to_branch=tree.branch_b, on=datetime.date(Y, 4, 15), by=secretary_a)

    a, b = tree.branch_a.pk, tree.branch_b.pk
    assert rows(member_a) == {
        3: (a, "", False),
        4: (a, "", False),
        5: (b, "", False),
        6: (b, "", False),
        7: (a, "", False),
    }
    line = MemberEvent.objects.get(member=member_a, kind=MemberEvent.Kind.UPDATED)
    assert line.detail.endswith("2个月未缴党费转由西村第一网格党支部收缴（2025-05、2025-06）")
    assert (line.from_branch_id, line.to_branch_id, line.by) == (a, b, secretary_a)


def test_a_transfer_on_a_months_first_day_hands_that_month_over(tree, member_a, secretary_a):
    dues_month(member_a, datetime.date(Y, 4, 1), paid="0")
    member_transfer(member=member_a, to_branch=tree.branch_b, on=datetime.date(Y, 4, 1), by=secretary_a)
    assert rows(member_a) == {4: (tree.branch_b.pk, "", False)}


def test_an_already_cancelled_row_is_left_as_it_was(tree, member_a, secretary_a):
    row = dues_month(member_a, datetime.date(Y, 6, 1), paid="0")
    DuesPayment.objects.filter(pk=row.pk).update(
        cancel_reason="减免", cancelled_at=datetime.datetime(Y, 6, 2, tzinfo=datetime.UTC)
    )
    member_leave(member=member_a, on=datetime.date(Y, 3, 31), reason="died", by=secretary_a)
    assert DuesPayment.objects.get(pk=row.pk).cancel_reason == "减免"
    assert Decimal(DuesPayment.objects.get(pk=row.pk).due) == Decimal("10")
