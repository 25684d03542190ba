"""The farmers' amount page and a member's reductions page: who may read and change them, what
they change, bad input re-shown with its message; and the marks of the dues pages (a large
voluntary payment, months beyond the allowed delay, cancelled rows)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.periods import add_months, month_start
from members.dues.farmer_rates import farmer_rate_set
from members.dues.payments import dues_generate_month, dues_record
from members.dues.reductions import dues_reduction_create
from members.models import DuesPayment, DuesReduction, FarmerDuesRate, Member

D = Decimal
THIS_MONTH = month_start(timezone.localdate())


def assert_refused(response, expected):
    if expected == "login":
        assert response.status_code == 302 and reverse("login") in response["Location"]
    else:
        assert response.status_code == expected


# --------------------------------------------------------------------------- farmers' amount


READERS = [
    ("anonymous", "login"),
    ("member_a", 404),
    ("secretary_b", 404),
    ("other_orgdept", 404),
    ("viewer", 403),
    ("secretary_a", 200),
    ("reviewer", 200),
]


@pytest.mark.parametrize("persona, expected", READERS)
def test_the_farmers_amount_page_is_read_by_those_who_manage_or_review(login_as, tree, persona, expected):
    assert_refused(login_as(persona).get(reverse("members:dues_farmer_rate", args=["BA"])), expected)


SETTERS = [
    ("anonymous", "login"),
    ("member_a", 404),
    ("secretary_b", 404),
    ("viewer", 403),
    ("reviewer", 403),
    ("secretary_a", 302),
]


@pytest.mark.parametrize("persona, expected", SETTERS)
def test_setting_the_farmers_amount_needs_manage(login_as, tree, persona, expected):
    data = {"amount": "0.80", "effective_from": f"{THIS_MONTH:%Y-%m}"}
    response = login_as(persona).post(reverse("members:dues_farmer_rate", args=["BA"]), data)
    assert_refused(response, expected)
    assert FarmerDuesRate.objects.exists() is (expected == 302)


def test_a_farmers_amount_above_one_yuan_is_shown_and_not_set(login_as, tree):
    data = {"amount": "1.01", "effective_from": f"{THIS_MONTH:%Y-%m}"}
    response = login_as("secretary_a").post(reverse("members:dues_farmer_rate", args=["BA"]), data)
    assert response.status_code == 200 and "0.20元至1.00元之间" in response.content.decode()
    assert not FarmerDuesRate.objects.exists()


def test_the_page_says_whose_amount_a_branch_follows(login_as, tree):
    farmer_rate_set(branch=tree.village_a, amount=D("0.70"), effective_from=THIS_MONTH)
    body = login_as("secretary_a").get(reverse("members:dues_farmer_rate", args=["BA"])).content.decode()
    assert "0.70" in body and tree.village_a.name in body


def test_the_farmers_amount_page_runs_the_same_queries_for_1_or_10_amounts(login_as, tree):
    client = login_as("secretary_a")
    url = reverse("members:dues_farmer_rate", args=["BA"])
    farmer_rate_set(branch=tree.branch_a, amount=D("0.30"), effective_from=datetime.date(2020, 1, 1))
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for year in range(2011, 2020):
        farmer_rate_set(branch=tree.branch_a, amount=D("0.40"), effective_from=datetime.date(year, 1, 1))
    with CaptureQueriesContext(connection) as ten:
        body = client.get(url).content.decode()
    assert len(one.captured_queries) == len(ten.captured_queries)
    assert body.count("0.40") == 9


# --------------------------------------------------------------------------- reductions


REDUCERS = [
    ("anonymous", "login"),
    ("member_a", 403),  # their own record is visible to them, not changeable
    ("secretary_b", 404),
    ("viewer", 403),
    ("reviewer", 403),
    ("secretary_a", 302),
    ("orgdept", 302),
]


def _reduction_data(**overrides):
    return {
        "action": "create",
        "starts_on": f"{THIS_MONTH:%Y-%m}",
        "amount": "0",
        "reason": "重病住院",
        "approving_org": "城关镇党委",
        "approved_on": f"{timezone.localdate():%Y-%m-%d}",
        **overrides,
    }


@pytest.mark.parametrize("persona, expected", REDUCERS)
def test_recording_a_reduction_needs_manage_of_the_member(login_as, member_a, persona, expected):
    response = login_as(persona).post(reverse("members:dues_reductions", args=[member_a.pk]), _reduction_data())
    assert_refused(response, expected)
    assert DuesReduction.objects.filter(member=member_a).exists() is (expected == 302)


def test_the_reductions_page_opens_with_an_empty_form(login_as, member_a):
    body = login_as("secretary_a").get(reverse("members:dues_reductions", args=[member_a.pk])).content.decode()
    assert "errorlist" not in body and 'name="approving_org"' in body


def test_a_reduction_without_approval_is_shown_and_not_recorded(login_as, member_a):
    data = _reduction_data(approving_org="")
    response = login_as("secretary_a").post(reverse("members:dues_reductions", args=[member_a.pk]), data)
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not DuesReduction.objects.exists()


def test_a_reduction_waives_the_months_due_and_can_be_ended(login_as, tree, member_a):
    member_a.monthly_income = D("4000")
    member_a.save()
    client = login_as("secretary_a")
    client.post(reverse("members:dues_reductions", args=[member_a.pk]), _reduction_data())
    dues_generate_month(branch=tree.branch_a, month=THIS_MONTH)
    assert DuesPayment.objects.get(member=member_a, month=THIS_MONTH).due == 0
    reduction = DuesReduction.objects.get(member=member_a)
    previous = f"{add_months(THIS_MONTH, -1):%Y-%m}"
    response = client.post(
        reverse("members:dues_reductions", args=[member_a.pk]),
        {"action": "end", "reduction": reduction.pk, "last_month": previous},
        follow=True,
    )
    assert "截止月份不能早于减免起始月份" in response.content.decode()  # refused: before it began
    client.post(
        reverse("members:dues_reductions", args=[member_a.pk]),
        {"action": "end", "reduction": reduction.pk, "last_month": f"{THIS_MONTH:%Y-%m}"},
    )
    reduction.refresh_from_db()
    assert reduction.ends_on == THIS_MONTH


def test_the_reductions_page_runs_the_same_queries_for_1_or_10_reductions(login_as, member_a):
    added = []

    def add(n):
        for _ in range(n):
            month = add_months(datetime.date(2010, 1, 1), len(added) * 2)
            added.append(month)
            dues_reduction_create(
                member=member_a,
                starts_on=month,
                ends_on=month,
                amount=D(0),
                reason="困难",
                approving_org="城关镇党委",
                approved_on=datetime.date(2010, 1, 1),
            )

    client = login_as("secretary_a")
    url = reverse("members:dues_reductions", args=[member_a.pk])
    add(1)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    add(9)
    with CaptureQueriesContext(connection) as ten:
        client.get(url)
    assert len(one.captured_queries) == len(ten.captured_queries)


# --------------------------------------------------------------------------- marks on the dues pages


def test_a_large_voluntary_payment_is_marked_on_the_month_and_the_arrears_page(login_as, tree, member_a):
    member_a.monthly_income = D("4000")
    member_a.save()
    month = datetime.date(2026, 3, 1)
    dues_record(member=member_a, month=month, paid=D("1040"), paid_on=datetime.date(2026, 3, 5))
    client = login_as("secretary_a")
    body = client.get(reverse("members:dues_branch", args=["BA"]) + "?month=2026-03").content.decode()
    assert "单笔1000元以上，全额上缴中央" in body and "1000.00" in body
    body = login_as("orgdept").get(reverse("members:dues_arrears", args=["TOWN"])).content.decode()
    assert "单笔1000元以上，全额上缴中央" in body


def test_a_voluntary_payment_below_a_thousand_is_not_marked(login_as, tree, member_a):
    member_a.monthly_income = D("4000")
    member_a.save()
    dues_record(member=member_a, month=datetime.date(2026, 3, 1), paid=D("1039.99"), paid_on=datetime.date(2026, 3, 5))
    body = login_as("secretary_a").get(reverse("members:dues_branch", args=["BA"]) + "?month=2026-03").content.decode()
    assert "999.99" in body and "全额上缴中央" not in body


def test_a_month_unpaid_beyond_the_allowed_delay_is_marked_overdue(login_as, tree, member_a, settings):
    settings.DUES_MAX_DELAY_MONTHS = 6
    member_a.monthly_income = D("4000")
    member_a.save()
    overdue, in_time = add_months(THIS_MONTH, -7), add_months(THIS_MONTH, -6)
    for month in (overdue, in_time):
        dues_generate_month(branch=tree.branch_a, month=month)
    client = login_as("secretary_a")
    url = reverse("members:dues_branch", args=["BA"])
    assert "超过补交期限" in client.get(f"{url}?month={overdue:%Y-%m}").content.decode()
    assert "超过补交期限" not in client.get(f"{url}?month={in_time:%Y-%m}").content.decode()
    body = login_as("orgdept").get(reverse("members:dues_arrears", args=["TOWN"])).content.decode()
    assert f"{overdue.year}年{overdue.month}月" in body


def test_a_cancelled_row_is_shown_as_cancelled_with_its_reason(login_as, tree, member_a):
    member_a.monthly_income = D("4000")
    member_a.save()
    dues_generate_month(branch=tree.branch_a, month=datetime.date(2026, 3, 1))
    DuesPayment.objects.filter(member=member_a).update(cancelled_at=timezone.now(), cancel_reason="转出")
    body = login_as("secretary_a").get(reverse("members:dues_branch", args=["BA"]) + "?month=2026-03").content.decode()
    assert "已作废" in body and "转出" in body
    response = login_as("secretary_a").post(
        reverse("members:dues_record", args=[member_a.pk, 2026, 3]), {"paid": "40", "paid_on": "2026-03-05"}
    )
    assert response.status_code == 200 and "已作废" in response.content.decode()
    assert DuesPayment.objects.get(member=member_a).paid == 0


def test_recording_the_voluntary_amount_on_the_record_page(login_as, tree, member_a):
    member_a.monthly_income = D("4000")
    member_a.save()
    login_as("secretary_a").post(
        reverse("members:dues_record", args=[member_a.pk, 2026, 3]),
        {"paid": "40", "voluntary": "60", "paid_on": "2026-03-05"},
    )
    row = DuesPayment.objects.get(member=member_a)
    assert (row.paid, row.voluntary) == (D("40.00"), D("60.00"))


def test_declaring_income_from_a_past_month_recalculates_its_unpaid_row(login_as, tree, member_a):
    member_a.monthly_income = D("4000")
    member_a.save()
    month = add_months(THIS_MONTH, -1)
    dues_generate_month(branch=tree.branch_a, month=month)
    login_as("secretary_a").post(
        reverse("members:income", args=[member_a.pk]), {"monthly_income": "8000", "effective_month": f"{month:%Y-%m}"}
    )
    assert DuesPayment.objects.get(member=member_a, month=month).due == D("120.00")


def test_a_future_effective_month_is_shown_on_the_income_form(login_as, member_a):
    future = add_months(THIS_MONTH, 1)
    response = login_as("secretary_a").post(
        reverse("members:income", args=[member_a.pk]), {"monthly_income": "8000", "effective_month": f"{future:%Y-%m}"}
    )
    assert response.status_code == 200 and "生效月份不能晚于本月" in response.content.decode()
    assert Member.objects.get(pk=member_a.pk).monthly_income != D("8000")
