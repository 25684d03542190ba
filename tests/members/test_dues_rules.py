"""党费 rules of issue 14 (关于中国共产党党费收缴、使用和管理的规定, 2008), each at its boundaries:
the flat 0.20, the farmers' rate set by the branch, hardship reductions, voluntary payments and the
large-payment flag, income changes applying from their month, cancelled rows.
"""

import datetime
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from members.dues.farmer_rates import farmer_rate_in_force, farmer_rate_set
from members.dues.income import member_income_declare
from members.dues.payments import dues_generate_month, dues_record
from members.dues.reductions import dues_reduction_create, dues_reduction_end
from members.dues.rules import DuesError, dues_amount, is_large_voluntary
from members.dues.selectors import dues_arrears_by_branch, dues_month_totals
from members.models import DuesPayment, FarmerDuesRate, IncomeChange, Member, MemberEvent
from tests.factories import MemberFactory

D = Decimal
O = Member.Occupation  # noqa: E741
JAN, FEB, MAR, APR, MAY, JUN = (datetime.date(2026, m, 1) for m in range(1, 7))
PAID_ON = datetime.date(2026, 6, 20)


def row(member, month) -> DuesPayment:
    return DuesPayment.objects.get(member=member, month=month)


# --------------------------------------------------------------------------- flat dues (art. 6)


@pytest.mark.parametrize("occupation", [O.STUDENT, O.UNEMPLOYED])
def test_students_and_unemployed_pay_twenty_fen_whatever_their_income(occupation):
    assert dues_amount(occupation=occupation, monthly_income=D("9000")) == D("0.20")


def test_members_living_on_relief_declare_no_income_and_pay_twenty_fen():
    assert dues_amount(occupation=O.OTHER, monthly_income=D("0")) == D("0.20")
    assert dues_amount(occupation=O.RETIRED, monthly_income=D("0")) == D("0.20")


@pytest.mark.parametrize("income, due", [("1000", "5.00"), ("5000", "25.00"), ("5000.01", "50.00")])
def test_retired_members_keep_the_pension_brackets(income, due):
    assert dues_amount(occupation=O.RETIRED, monthly_income=D(income)) == D(due)


def test_the_flat_amount_is_a_setting(settings):
    settings.DUES_FLAT_AMOUNT = "0.50"
    assert dues_amount(occupation=O.STUDENT, monthly_income=None) == D("0.50")


# --------------------------------------------------------------------------- farmers' rate (art. 6)


def test_a_farmer_pays_twenty_fen_when_no_branch_set_a_rate(tree):
    farmer = MemberFactory(branch=tree.branch_a, occupation=O.FARMER, monthly_income=D("8000"))
    dues_generate_month(branch=tree.branch_a, month=MAR)
    assert row(farmer, MAR).due == D("0.20")


def test_the_farmers_default_is_a_setting(tree, settings):
    settings.DUES_FARMER_DEFAULT = "0.50"
    farmer = MemberFactory(branch=tree.branch_a, occupation=O.FARMER)
    dues_generate_month(branch=tree.branch_a, month=MAR)
    assert row(farmer, MAR).due == D("0.50")


def test_a_branch_may_set_one_yuan_for_its_farmers(tree, secretary_a):
    farmer = MemberFactory(branch=tree.branch_a, occupation=O.FARMER)
    rate = farmer_rate_set(
        branch=tree.branch_a, amount=D("1.00"), effective_from=datetime.date(2026, 3, 9), by=secretary_a
    )
    assert (rate.amount, rate.effective_from, rate.set_by) == (D("1.00"), MAR, secretary_a)
    dues_generate_month(branch=tree.branch_a, month=MAR)
    assert row(farmer, MAR).due == D("1.00")


@pytest.mark.parametrize("amount", ["1.01", "0.19", "-1", "0.555"])
def test_a_farmers_rate_outside_twenty_fen_to_one_yuan_is_refused(tree, amount):
    with pytest.raises(DuesError) as caught:
        farmer_rate_set(branch=tree.branch_a, amount=D(amount), effective_from=MAR)
    assert caught.value.code in {"farmer_rate_range", "amount_precision", "negative_amount"}
    assert caught.value.field == "amount"
    assert not FarmerDuesRate.objects.exists()


def test_a_farmers_rate_of_twenty_fen_is_accepted(tree):
    assert farmer_rate_set(branch=tree.branch_a, amount=D("0.20"), effective_from=MAR).amount == D("0.20")


def test_the_nearest_branch_that_set_a_rate_decides_and_the_latest_rate_in_force_for_the_month(tree):
    farmer_a = MemberFactory(branch=tree.branch_a, occupation=O.FARMER)
    farmer_b = MemberFactory(branch=tree.branch_b, occupation=O.FARMER)
    farmer_rate_set(branch=tree.town, amount=D("0.50"), effective_from=JAN)
    farmer_rate_set(branch=tree.village_a, amount=D("0.80"), effective_from=JAN)
    farmer_rate_set(branch=tree.village_a, amount=D("1.00"), effective_from=APR)
    for month in (MAR, APR):
        dues_generate_month(branch=tree.town, month=month)
    assert row(farmer_a, MAR).due == D("0.80") and row(farmer_a, APR).due == D("1.00")
    assert row(farmer_b, MAR).due == D("0.50") and row(farmer_b, APR).due == D("0.50")
    assert farmer_rate_in_force(branch=tree.branch_a, month=MAR) == (D("0.80"), tree.village_a)
    assert farmer_rate_in_force(branch=tree.branch_c, month=MAR) == (D("0.20"), None)


def test_a_new_farmers_rate_applies_to_months_generated_after_it_and_leaves_generated_rows(tree):
    farmer = MemberFactory(branch=tree.branch_a, occupation=O.FARMER)
    dues_generate_month(branch=tree.branch_a, month=MAR)
    farmer_rate_set(branch=tree.village_a, amount=D("0.60"), effective_from=MAR)
    dues_generate_month(branch=tree.branch_a, month=APR)
    assert (row(farmer, MAR).due, row(farmer, APR).due) == (D("0.20"), D("0.60"))


# --------------------------------------------------------------------------- reductions (art. 7)


def _reduce(member, amount="0", starts_on=MAR, ends_on=None, **overrides):
    fields = {
        "member": member,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "amount": D(amount),
        "reason": "重病住院，生活困难",
        "approving_org": "城关镇党委",
        "approved_on": datetime.date(2026, 2, 27),
        **overrides,
    }
    return dues_reduction_create(**fields)


def test_a_waiver_makes_the_months_due_zero_and_never_arrears(tree, secretary_a):
    member = MemberFactory(branch=tree.branch_a, monthly_income=D("4000"))
    _reduce(member, "0", starts_on=MAR, ends_on=APR, by=secretary_a)
    for month in (FEB, MAR, APR, MAY):
        dues_generate_month(branch=tree.branch_a, month=month)
    assert [row(member, m).due for m in (FEB, MAR, APR, MAY)] == [D("40.00"), D(0), D(0), D("40.00")]
    (arrears,) = dues_arrears_by_branch(branch=tree.branch_a, start=MAR, end=APR)
    assert (arrears.months_in_arrears, arrears.members_in_arrears, arrears.owed) == (0, 0, D(0))
    event = MemberEvent.objects.get(member=member, detail__startswith="党费减免")
    assert "免交党费" in event.detail and "城关镇党委" in event.detail and event.by == secretary_a


def test_a_reduction_never_raises_the_due(tree):
    student = MemberFactory(branch=tree.branch_a, occupation=O.STUDENT)
    _reduce(student, "5")
    dues_generate_month(branch=tree.branch_a, month=MAR)
    assert row(student, MAR).due == D("0.20")


@pytest.mark.parametrize(
    "overrides, code, field",
    [
        ({"approving_org": "  "}, "approval_required", "approving_org"),
        ({"approved_on": None}, "approval_required", "approved_on"),
        ({"approved_on": datetime.date(2999, 1, 1)}, "future_date", "approved_on"),
        ({"reason": ""}, "reason_required", "reason"),
        ({"amount": D("-1")}, "negative_amount", "amount"),
        ({"ends_on": FEB}, "ends_before_start", "ends_on"),
        ({"starts_on": datetime.date(2001, 1, 1)}, "before_joined", "starts_on"),
    ],
)
def test_a_reduction_without_the_higher_committees_approval_or_with_bad_months_is_refused(tree, overrides, code, field):
    member = MemberFactory(branch=tree.branch_a, monthly_income=D("4000"))
    with pytest.raises(DuesError) as caught:
        _reduce(member, **overrides)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert not member.dues_reductions.exists()


def test_overlapping_reductions_are_refused(tree):
    member = MemberFactory(branch=tree.branch_a, monthly_income=D("4000"))
    _reduce(member, "1", starts_on=MAR, ends_on=MAY)
    with pytest.raises(DuesError) as caught:
        _reduce(member, "0", starts_on=MAY)
    assert caught.value.code == "overlap"
    assert _reduce(member, "0", starts_on=JUN).starts_on == JUN  # the month after: no overlap


def test_a_reduction_recalculates_unpaid_rows_and_leaves_paid_ones(tree):
    member = MemberFactory(branch=tree.branch_a, monthly_income=D("4000"))
    for month in (MAR, APR):
        dues_generate_month(branch=tree.branch_a, month=month)
    dues_record(member=member, month=MAR, paid=D("10"), paid_on=PAID_ON)  # partly paid
    reduction = _reduce(member, "2", starts_on=MAR)
    assert (row(member, MAR).due, row(member, APR).due) == (D("40.00"), D("2"))
    dues_reduction_end(reduction=reduction, last_month=MAR)
    assert row(member, APR).due == D("40.00")
    assert member.events.filter(detail__startswith="党费减免结束").exists()


# --------------------------------------------------------------------------- voluntary payments (art. 11)


def test_paying_more_than_the_due_records_the_excess_as_voluntary(tree):
    member = MemberFactory(branch=tree.branch_a, monthly_income=D("4000"))
    payment = dues_record(member=member, month=MAR, paid=D("100"), paid_on=PAID_ON)
    assert (payment.due, payment.paid, payment.voluntary) == (D("40.00"), D("40.00"), D("60.00"))
    dues_generate_month(branch=tree.branch_a, month=APR)
    assert row(member, APR).paid == 0  # not an overpayment of a later month
    (arrears,) = dues_arrears_by_branch(branch=tree.branch_a)
    assert (arrears.due, arrears.paid, arrears.months_in_arrears) == (D("80.00"), D("40.00"), 1)


def test_a_voluntary_amount_given_apart_adds_to_the_excess(tree):
    member = MemberFactory(branch=tree.branch_a, monthly_income=D("4000"))
    payment = dues_record(member=member, month=MAR, paid=D("45"), voluntary=D("5"), paid_on=PAID_ON)
    assert (payment.paid, payment.voluntary) == (D("40.00"), D("10.00"))
    totals = dues_month_totals(branch=tree.branch_a, month=MAR)
    assert (totals.paid, totals.voluntary, totals.paid_in_full) == (D("40.00"), D("10.00"), 1)


def test_a_negative_voluntary_amount_is_refused(tree):
    member = MemberFactory(branch=tree.branch_a, monthly_income=D("4000"))
    with pytest.raises(DuesError) as caught:
        dues_record(member=member, month=MAR, paid=D("40"), voluntary=D("-1"), paid_on=PAID_ON)
    assert (caught.value.code, caught.value.field) == ("negative_amount", "voluntary")


@pytest.mark.parametrize("voluntary, large", [("999.99", False), ("1000.00", True)])
def test_a_voluntary_payment_of_a_thousand_yuan_or_more_is_flagged(tree, voluntary, large):
    assert is_large_voluntary(D(voluntary)) is large
    member = MemberFactory(branch=tree.branch_a, monthly_income=D("4000"))
    dues_record(member=member, month=MAR, paid=D("40"), voluntary=D(voluntary), paid_on=PAID_ON)
    assert dues_month_totals(branch=tree.branch_a, month=MAR).large_payments == int(large)


# --------------------------------------------------------------------------- income changes (art. 10)


def test_a_new_income_applies_from_its_month_to_unpaid_rows_and_leaves_paid_months(tree, secretary_a):
    member = MemberFactory(branch=tree.branch_a, monthly_income=D("4000"))
    for month in (JAN, FEB, MAR, APR, MAY):
        dues_generate_month(branch=tree.branch_a, month=month)
    dues_record(member=member, month=MAR, paid=D("40"), paid_on=PAID_ON)
    member_income_declare(member=member, monthly_income=D("12000"), effective_month=MAR, by=secretary_a)
    assert [row(member, m).due for m in (JAN, FEB, MAR, APR, MAY)] == [
        D("40.00"),
        D("40.00"),
        D("40.00"),  # paid: never changes
        D("240.00"),
        D("240.00"),
    ]
    member.refresh_from_db()
    assert member.monthly_income == D("12000.00")
    baseline, change = IncomeChange.objects.filter(member=member).order_by("effective_month")
    assert (change.effective_month, change.monthly_income, change.recorded_by) == (MAR, D("12000"), secretary_a)
    assert (baseline.effective_month, baseline.monthly_income) == (datetime.date(2005, 7, 1), D("4000"))
    event = member.events.get(detail__startswith="申报月收入")
    assert "4000.00元 → 12000.00元" in event.detail and "2026年3月" in event.detail and "2个" in event.detail
    dues_type = ContentType.objects.get_for_model(DuesPayment)
    assert LogEntry.objects.filter(
        content_type=dues_type, object_id=row(member, APR).pk, changes__icontains="due"
    ).exists()


def test_an_earlier_income_change_stops_at_a_later_one(tree):
    member = MemberFactory(branch=tree.branch_a, monthly_income=D("4000"))
    member_income_declare(member=member, monthly_income=D("6000"), effective_month=APR)
    for month in (FEB, MAR, APR):
        dues_generate_month(branch=tree.branch_a, month=month)
    member_income_declare(member=member, monthly_income=D("2000"), effective_month=FEB)
    assert [row(member, m).due for m in (FEB, MAR, APR)] == [D("10.00"), D("10.00"), D("90.00")]
    member.refresh_from_db()
    assert member.monthly_income == D("6000.00")  # the income in force now
    dues_generate_month(branch=tree.branch_a, month=JAN)
    assert row(member, JAN).due == D("40.00")  # before any change: the declaration of before


def test_withdrawing_a_declaration_with_a_history_is_refused(tree):
    member = MemberFactory(branch=tree.branch_a, monthly_income=D("4000"))
    member_income_declare(member=member, monthly_income=D("6000"), effective_month=APR)
    with pytest.raises(DuesError) as caught:
        member_income_declare(member=member, monthly_income=None)
    assert caught.value.code == "income_history"


def test_an_income_change_effective_in_a_future_month_or_before_joining_is_refused(tree):
    member = MemberFactory(branch=tree.branch_a, monthly_income=D("4000"), joined_on=datetime.date(2026, 2, 10))
    for month, code in ((datetime.date(2999, 1, 1), "future_month"), (JAN, "before_joined")):
        with pytest.raises(DuesError) as caught:
            member_income_declare(member=member, monthly_income=D("6000"), effective_month=month)
        assert (caught.value.code, caught.value.field) == (code, "effective_month")
    assert not IncomeChange.objects.exists()


# --------------------------------------------------------------------------- cancelled rows


def _cancel(payment):
    payment.cancelled_at, payment.cancel_reason = datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC), "死亡"
    payment.save()


def test_a_cancelled_row_is_not_due_not_in_arrears_and_takes_no_payment(tree):
    member = MemberFactory(branch=tree.branch_a, monthly_income=D("4000"))
    dues_generate_month(branch=tree.branch_a, month=MAR)
    _cancel(row(member, MAR))
    assert dues_arrears_by_branch(branch=tree.branch_a) == []
    totals = dues_month_totals(branch=tree.branch_a, month=MAR)
    assert (totals.rows, totals.due) == (0, D(0))
    with pytest.raises(DuesError) as caught:
        dues_record(member=member, month=MAR, paid=D("40"), paid_on=PAID_ON)
    assert caught.value.code == "cancelled"
    assert dues_generate_month(branch=tree.branch_a, month=MAR).created == 0  # not created again
