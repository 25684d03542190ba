import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from members.dues.payments import dues_generate_month, dues_record
from members.dues.rules import DuesError, dues_amount
from members.dues.selectors import dues_arrears_by_branch
from members.models import DuesPayment, Member
from tests.factories import MemberFactory

C = Member.Occupation
D = Decimal


@pytest.mark.parametrize(
    "income, due",
    [
        ("3000", "15.00"),
        ("3000.01", "30.00"),
        ("5000", "50.00"),
        ("5000.01", "75.00"),
        ("10000", "150.00"),
        ("10000.01", "200.00"),
        ("1001", "5.01"),  # 5.005 rounds half up, not to even
        ("4567.50", "45.68"),
    ],
)
def test_employed_dues_follow_the_income_brackets(income, due):
    assert dues_amount(occupation=C.EMPLOYED, monthly_income=D(income)) == D(due)


@pytest.mark.parametrize("income, due", [("5000", "25.00"), ("5000.01", "50.00"), ("1234.50", "6.17")])
def test_retired_dues_are_half_a_percent_up_to_5000_then_one(income, due):
    assert dues_amount(occupation=C.RETIRED, monthly_income=D(income)) == D(due)


@pytest.mark.parametrize(
    "occupation, income",
    [
        (C.FARMER, "8000"),
        (C.STUDENT, None),
        (C.UNEMPLOYED, "3000"),
        (C.EMPLOYED, "0"),
        (C.OTHER, None),
        (C.RETIRED, "0"),
    ],
)
def test_farmers_students_unemployed_and_members_without_income_pay_twenty_fen(occupation, income):
    assert dues_amount(occupation=occupation, monthly_income=None if income is None else D(income)) == D("0.20")


def test_other_occupation_with_income_pays_by_the_brackets():
    assert dues_amount(occupation=C.OTHER, monthly_income=D("4000")) == D("40.00")


@pytest.mark.parametrize("occupation", [C.EMPLOYED, C.RETIRED])
def test_due_is_unknown_until_income_is_declared(occupation):
    assert dues_amount(occupation=occupation, monthly_income=None) is None


def test_record_creates_the_month_row_with_the_computed_due(tree, secretary_a):
    member = MemberFactory(branch=tree.branch_a, monthly_income=D("4000"))
    row = dues_record(
        member=member,
        month=datetime.date(2026, 3, 17),
        paid=D("40"),
        paid_on=datetime.date(2026, 3, 20),
        by=secretary_a,
    )
    assert (row.month, row.due, row.paid, row.branch_id) == (
        datetime.date(2026, 3, 1),
        D("40.00"),
        D("40.00"),
        tree.branch_a.pk,
    )
    assert row.is_paid_in_full and row.recorded_by == secretary_a


def test_record_on_an_existing_row_keeps_its_due(tree):
    member = MemberFactory(branch=tree.branch_a, monthly_income=D("4000"))
    dues_generate_month(branch=tree.branch_a, month=datetime.date(2026, 3, 1))
    member.monthly_income = D("20000")
    member.save()
    row = dues_record(member=member, month=datetime.date(2026, 3, 1), paid=D("10"), paid_on=datetime.date(2026, 4, 2))
    assert row.due == D("40.00") and not row.is_paid_in_full
    assert DuesPayment.objects.filter(member=member).count() == 1


@pytest.mark.parametrize(
    "paid, paid_on, code",
    [
        ("-1", datetime.date(2026, 3, 1), "negative_amount"),
        ("10", None, "paid_on_required"),
        ("10", "tomorrow", "future_date"),
    ],
)
def test_record_refuses_impossible_payments(tree, paid, paid_on, code):
    member = MemberFactory(branch=tree.branch_a, monthly_income=D("4000"))
    if paid_on == "tomorrow":
        paid_on = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(DuesError) as exc:
        dues_record(member=member, month=datetime.date(2026, 3, 1), paid=D(paid), paid_on=paid_on)
    assert exc.value.code == code
    assert not DuesPayment.objects.exists()


def test_record_without_declared_income_is_refused(tree):
    member = MemberFactory(branch=tree.branch_a, occupation=C.EMPLOYED, monthly_income=None)
    with pytest.raises(DuesError) as exc:
        dues_record(member=member, month=datetime.date(2026, 3, 1), paid=D("5"), paid_on=datetime.date(2026, 3, 2))
    assert exc.value.code == "income_required"


def test_record_before_joining_is_refused(tree):
    member = MemberFactory(branch=tree.branch_a, monthly_income=D("4000"), joined_on=datetime.date(2026, 5, 1))
    with pytest.raises(DuesError) as exc:
        dues_record(member=member, month=datetime.date(2026, 4, 1), paid=D("0"), paid_on=None)
    assert exc.value.code == "before_joined"


def test_generate_month_creates_rows_for_the_subtree_roster_that_month(tree, member_c):
    month = datetime.date(2026, 3, 1)
    present = MemberFactory(branch=tree.branch_a, monthly_income=D("3000"))
    farmer = MemberFactory(branch=tree.branch_b, occupation=C.FARMER)
    left_in_month = MemberFactory(
        branch=tree.branch_a, monthly_income=D("3000"), is_active=False, left_on=datetime.date(2026, 3, 10)
    )
    MemberFactory(branch=tree.branch_a, monthly_income=D("3000"), is_active=False, left_on=datetime.date(2026, 2, 28))
    MemberFactory(branch=tree.branch_a, monthly_income=D("3000"), joined_on=datetime.date(2026, 4, 1))
    no_income = MemberFactory(branch=tree.branch_a, monthly_income=None)

    result = dues_generate_month(branch=tree.town, month=datetime.date(2026, 3, 15))

    rows = dict(DuesPayment.objects.values_list("member_id", "due"))
    assert rows == {present.pk: D("15.00"), farmer.pk: D("0.20"), left_in_month.pk: D("15.00")}
    assert DuesPayment.objects.filter(month=month).count() == 3
    assert (result.created, result.existing, result.missing_income) == (3, 0, [no_income])


def test_generating_a_month_twice_changes_nothing(tree):
    MemberFactory(branch=tree.branch_a, monthly_income=D("3000"))
    first = dues_generate_month(branch=tree.town, month=datetime.date(2026, 3, 1))
    before = list(DuesPayment.objects.values())
    second = dues_generate_month(branch=tree.town, month=datetime.date(2026, 3, 1))
    assert (first.created, second.created, second.existing) == (1, 0, 1)
    assert list(DuesPayment.objects.values()) == before


def _generate_queries(tree, n):
    for _ in range(n):
        MemberFactory(branch=tree.branch_a, monthly_income=D("3000"))
    with CaptureQueriesContext(connection) as ctx:
        dues_generate_month(branch=tree.town, month=datetime.date(2026, 3, 1))
    DuesPayment.objects.all().delete()
    Member.objects.all().delete()
    return len(ctx.captured_queries)


def test_generating_a_month_costs_the_same_queries_for_3_or_30_members(tree):
    assert _generate_queries(tree, 3) == _generate_queries(tree, 30)


def test_arrears_are_summed_per_branch_of_the_subtree(tree, member_c):
    a1 = MemberFactory(branch=tree.branch_a, monthly_income=D("3000"))
    a2 = MemberFactory(branch=tree.branch_a, monthly_income=D("5000"))
    b1 = MemberFactory(branch=tree.branch_b, occupation=C.STUDENT)
    member_c.monthly_income = D("3000")
    member_c.save()
    for month in (datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)):
        dues_generate_month(branch=tree.town, month=month)
        dues_generate_month(branch=tree.other_town, month=month)
    paid_on = datetime.date(2026, 2, 20)
    dues_record(member=a1, month=datetime.date(2026, 1, 1), paid=D("15"), paid_on=paid_on)
    dues_record(member=a1, month=datetime.date(2026, 2, 1), paid=D("15"), paid_on=paid_on)
    dues_record(member=a2, month=datetime.date(2026, 1, 1), paid=D("20"), paid_on=paid_on)
    dues_record(member=b1, month=datetime.date(2026, 1, 1), paid=D("0.20"), paid_on=paid_on)

    by_code = {row.branch_code: row for row in dues_arrears_by_branch(branch=tree.town)}

    assert set(by_code) == {"BA", "BB"}
    a = by_code["BA"]
    assert (a.due, a.paid, a.owed) == (D("130.00"), D("50.00"), D("80.00"))
    assert (a.months_in_arrears, a.members_in_arrears) == (2, 1)
    b = by_code["BB"]
    assert (b.due, b.paid, b.months_in_arrears, b.members_in_arrears) == (D("0.40"), D("0.20"), 1, 1)
    january = {r.branch_code: r for r in dues_arrears_by_branch(branch=tree.town, end=datetime.date(2026, 1, 31))}
    assert january["BA"].months_in_arrears == 1 and january["BA"].due == D("65.00")
