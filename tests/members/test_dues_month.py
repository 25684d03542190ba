"""本月全部已缴 (members/dues/month_record.py and its page): a whole month of a branch in one form,
the members who did not pay ticked."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.dues import month_record
from members.dues.month_record import dues_record_month, month_sheet
from members.dues.payments import dues_record
from members.dues.rules import DuesError
from members.models import DuesPayment, Member
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

D = Decimal
MARCH = datetime.date(2026, 3, 1)
PAID_ON = datetime.date(2026, 3, 20)


@pytest.fixture
def month(tree, member_a, member_b):
    """Branch A: 李明 (4000 a month), 赵强 paid half already, 孙丽 paid in full, 钱芳 without a declared
    income; 王芳 of branch B (not on A's sheet)."""
    member_a.monthly_income = D("4000")
    member_a.save()
    half = MemberFactory(branch=tree.branch_a, name="赵强", monthly_income=D("3000"))
    full = MemberFactory(branch=tree.branch_a, name="孙丽", monthly_income=D("3000"))
    none = MemberFactory(branch=tree.branch_a, name="钱芳", monthly_income=None)
    row = dues_record(member=half, month=MARCH, paid=D("1"), paid_on=datetime.date(2026, 3, 2))
    assert row.paid < row.due
    dues_record(member=full, month=MARCH, paid=D("100"), paid_on=datetime.date(2026, 3, 3))
    return {"a": member_a, "half": half, "full": full, "none": none, "b": member_b}


def url(month_text="2026-03") -> str:
    return reverse("members:dues_record_month", args=["BA"]) + f"?month={month_text}"


def test_the_sheet_lists_the_branch_by_pinyin_with_each_state(tree, month):
    sheet = month_sheet(branch=tree.branch_a, month=MARCH)
    assert [(line.member.name, line.state) for line in sheet] == [
        ("李明", "owed"),
        ("钱芳", "no_income"),
        ("孙丽", "paid"),
        ("赵强", "owed"),
    ]
    assert [line.member.name for line in sheet if line.choosable] == ["李明", "赵强"]


def test_everyone_not_ticked_pays_the_due_in_full_on_the_day(tree, month, secretary_a):
    full_row = DuesPayment.objects.get(member=month["full"], month=MARCH)
    result = dues_record_month(branch=tree.branch_a, month=MARCH, paid_on=PAID_ON, unpaid=[], by=secretary_a)
    assert sorted(m.name for m in result.paid) == ["李明", "赵强"] and result.already_paid == 1
    assert [line.member.name for line in result.left_out] == ["钱芳"]
    for key in ("a", "half"):
        row = DuesPayment.objects.get(member=month[key], month=MARCH)
        assert (row.paid, row.paid_on, row.recorded_by) == (row.due, PAID_ON, secretary_a)
    assert DuesPayment.objects.get(pk=full_row.pk).paid_on == full_row.paid_on  # paid in full: kept
    assert not DuesPayment.objects.filter(member=month["none"]).exists()
    assert not DuesPayment.objects.filter(member=month["b"]).exists()  # another branch


def test_a_ticked_member_gets_the_row_with_nothing_paid(tree, month, secretary_a):
    result = dues_record_month(
        branch=tree.branch_a, month=MARCH, paid_on=PAID_ON, unpaid=[month["a"].pk, month["half"].pk], by=secretary_a
    )
    assert result.paid == [] and sorted(m.name for m in result.unpaid) == ["李明", "赵强"]
    a_row = DuesPayment.objects.get(member=month["a"], month=MARCH)
    assert a_row.paid == 0 and a_row.paid_on is None and a_row.due > 0  # counted in the arrears
    half = DuesPayment.objects.get(member=month["half"], month=MARCH)
    assert half.paid == D("1") and half.paid_on == datetime.date(2026, 3, 2)  # what was paid stands


def test_each_written_row_is_in_the_audit_trail(tree, month, secretary_a):
    before = LogEntry.objects.count()
    dues_record_month(branch=tree.branch_a, month=MARCH, paid_on=PAID_ON, unpaid=[], by=secretary_a)
    assert LogEntry.objects.count() - before == 2  # 李明's new row, 赵强's changed one


@pytest.mark.parametrize("paid_on, code", [(None, "paid_on_required"), (datetime.date(2999, 1, 1), "future_date")])
def test_a_day_is_required_and_not_later_than_today(tree, month, paid_on, code):
    with pytest.raises(DuesError) as caught:
        dues_record_month(branch=tree.branch_a, month=MARCH, paid_on=paid_on, unpaid=[])
    assert caught.value.code == code
    assert DuesPayment.objects.filter(month=MARCH).count() == 2


@pytest.mark.parametrize("who", ["b", "full", "none"])
def test_ticking_a_member_not_to_record_refuses_the_whole_form(tree, month, who):
    with pytest.raises(DuesError) as caught:
        dues_record_month(branch=tree.branch_a, month=MARCH, paid_on=PAID_ON, unpaid=[month[who].pk])
    assert caught.value.code == "not_on_sheet" and caught.value.field == "unpaid"
    assert DuesPayment.objects.filter(month=MARCH).count() == 2


def test_a_month_of_more_members_than_one_form_holds_is_refused(tree, month, monkeypatch):
    monkeypatch.setattr(month_record, "MONTH_RECORD_LIMIT", 3)
    with pytest.raises(DuesError) as caught:
        month_sheet(branch=tree.branch_a, month=MARCH)
    assert caught.value.code == "too_many_members"
    monkeypatch.setattr(month_record, "MONTH_RECORD_LIMIT", 4)
    assert len(month_sheet(branch=tree.branch_a, month=MARCH)) == 4


def test_members_who_left_before_the_month_or_joined_after_are_not_on_it(tree, month):
    MemberFactory(branch=tree.branch_a, name="新人", monthly_income=D("3000"), joined_on=datetime.date(2026, 4, 1))
    MemberFactory(branch=tree.branch_a, name="离开", is_active=False, left_on=datetime.date(2026, 2, 1))
    names = [line.member.name for line in month_sheet(branch=tree.branch_a, month=MARCH)]
    assert "新人" not in names and "离开" not in names


# --------------------------------------------------------------------------- the page


@pytest.mark.parametrize(
    "persona, expected",
    [("anonymous", "login"), ("secretary_b", 404), ("viewer", 403), ("reviewer", 403), ("secretary_a", 200)],
)
def test_only_those_who_manage_the_branch_open_the_form(login_as, month, persona, expected):
    response = login_as(persona).get(url())
    if expected == "login":
        assert response.status_code == 302 and reverse("login") in response["Location"]
    else:
        assert response.status_code == expected
    if expected == 200:
        body = response.content.decode()
        assert body.count('type="checkbox" name="unpaid"') == 2 and "已足额" in body and "未申报月收入" in body


@pytest.mark.parametrize("persona, expected", [("secretary_b", 404), ("viewer", 403), ("reviewer", 403)])
def test_others_cannot_post_the_month(login_as, month, persona, expected):
    response = login_as(persona).post(url(), {"paid_on": "2026-03-20"})
    assert response.status_code == expected
    assert DuesPayment.objects.filter(month=MARCH).count() == 2


def test_the_secretary_records_the_month_with_one_exception(login_as, month):
    client = login_as("secretary_a")
    response = client.post(url(), {"paid_on": "2026-03-20", "unpaid": [month["half"].pk]})
    assert response.status_code == 302
    assert response["Location"] == reverse("members:dues_branch", args=["BA"]) + "?month=2026-03"
    assert DuesPayment.objects.get(member=month["a"], month=MARCH).paid_on == PAID_ON
    assert DuesPayment.objects.get(member=month["half"], month=MARCH).paid == D("1")
    page = client.get(response["Location"]).content.decode()
    assert "1 人足额交纳，1 人未缴" in page


def test_a_bad_form_says_what_is_wrong_keeps_the_ticks_and_writes_nothing(login_as, month):
    response = login_as("secretary_a").post(url(), {"paid_on": "", "unpaid": [month["a"].pk]})
    body = response.content.decode()
    assert response.status_code == 200 and "errors" in body
    assert f'value="{month["a"].pk}" id="unpaid-{month["a"].pk}" checked' in body
    response = login_as("secretary_a").post(url(), {"paid_on": "2026-03-20", "unpaid": [month["b"].pk]})
    assert response.status_code == 200 and "errors" in response.content.decode()
    assert DuesPayment.objects.filter(month=MARCH).count() == 2


def test_the_dues_month_page_links_the_form_for_those_who_manage(login_as, month):
    link = reverse("members:dues_record_month", args=["BA"]) + "?month=2026-03"
    month_page = reverse("members:dues_branch", args=["BA"]) + "?month=2026-03"
    assert link in login_as("secretary_a").get(month_page).content.decode()
    assert link not in login_as("reviewer").get(month_page).content.decode()


def test_the_form_runs_the_same_queries_for_4_or_24_members(login_as, tree, month):
    counts = []
    for extra in (0, 20):
        for _ in range(extra):
            MemberFactory(branch=tree.branch_a, monthly_income=D("3000"))
        client = login_as("secretary_a")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url()).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert Member.objects.filter(branch=tree.branch_a).count() == 24
