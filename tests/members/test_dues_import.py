import datetime
import io
from decimal import Decimal

import openpyxl
import pytest

from members.dues.importing import import_dues, read_month
from members.dues.payments import dues_generate_month
from members.models import DuesPayment
from members.roster_io.columns import CellError
from tests.factories import MemberFactory, new_id_number

D = Decimal
HEADERS = ["姓名", "公民身份号码", "月份", "实缴金额", "缴纳日期"]


def xlsx(rows, headers=HEADERS, title=None) -> io.BytesIO:
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


@pytest.fixture
def two(tree):
    a = MemberFactory(branch=tree.branch_a, name="李明", monthly_income=D("4000"))
    b = MemberFactory(branch=tree.branch_b, name="王芳", occupation="farmer")
    return a, b


def errors_of(result):
    return [(e.row, e.column, e.message) for e in result.errors]


def test_import_writes_new_months_with_their_due_and_pays_existing_ones(tree, two, secretary_a, orgdept):
    a, b = two
    dues_generate_month(branch=tree.town, month=datetime.date(2026, 1, 1))
    a.monthly_income = D("20000")  # January's due was fixed at 40.00 when it fell due
    a.save()
    file = xlsx(
        [
            ["李明", a.id_number, "2026-01", 40, datetime.date(2026, 1, 20)],
            ["李明", a.id_number, "2026年2月", "400.00", "2026-02-25"],
            ["王芳", b.id_number, datetime.datetime(2026, 1, 1), 0.2, "2026/01/05"],
            ["王芳", b.id_number, "202602", 0, None],
        ],
        title="2026年党费收缴表",
    )

    result = import_dues(file, user=orgdept)

    assert result.ok and result.written and (result.created, result.updated) == (2, 2)
    rows = {(r.member_id, r.month): r for r in DuesPayment.objects.all()}
    jan, feb = rows[a.pk, datetime.date(2026, 1, 1)], rows[a.pk, datetime.date(2026, 2, 1)]
    assert (jan.due, jan.paid, jan.paid_on, jan.recorded_by) == (
        D("40.00"),
        D("40.00"),
        datetime.date(2026, 1, 20),
        orgdept,
    )
    assert (feb.due, feb.paid) == (D("400.00"), D("400.00"))
    assert rows[b.pk, datetime.date(2026, 2, 1)].paid_on is None


def test_any_error_writes_nothing_and_every_error_is_named(tree, two, secretary_a):
    a, b = two
    file = xlsx(
        [
            ["李明", a.id_number, "2026-03", 40, "2026-03-03"],  # fine
            ["王芳", b.id_number, "2026-03", 0.2, "2026-03-03"],  # branch B: not secretary A's
            ["张三", a.id_number, "2026-04", 40, "2026-04-03"],  # name differs
            ["李明", a.id_number, "2026-03", 40, "2026-03-05"],  # same month twice
            ["李明", a.id_number, "2026-13", "四十", "2099-01-01"],
            ["李明", "123", "2026-05", 40, None],
            ["李明", a.id_number, "2026-06", 40, None],  # paid without a date
            ["李明", a.id_number, "1999-01", 0, None],  # before joining (2005)
        ]
    )

    result = import_dues(file, user=secretary_a)

    assert not result.written and not DuesPayment.objects.exists()
    assert errors_of(result) == [
        (3, "公民身份号码", "不在您管理的党组织，或花名册中没有该公民身份号码"),
        (4, "姓名", "姓名与花名册不一致（花名册中为“李明”）"),
        (5, "月份", "与第2行是同一党员的同一月份"),
        (6, "实缴金额", "金额“四十”不是数字"),
        (6, "月份", "月份“2026-13”不存在"),
        (6, "缴纳日期", "缴纳日期不能晚于今天"),
        (7, "公民身份号码", "公民身份号码应为18位，实为3位"),
        (7, "缴纳日期", "已缴纳的须填写缴纳日期"),
        (8, "缴纳日期", "已缴纳的须填写缴纳日期"),
        (9, "月份", "月份早于入党日期"),
    ]


def test_a_member_without_declared_income_cannot_get_a_new_month(tree):
    m = MemberFactory(branch=tree.branch_a, monthly_income=None)
    result = import_dues(xlsx([["", m.id_number, "2026-03", 10, "2026-03-03"]]), user=None)
    assert errors_of(result) == [(2, "公民身份号码", f"{m.name}未申报月收入，无法计算应缴党费")]


def test_unknown_id_number_is_refused(tree):
    result = import_dues(xlsx([["", new_id_number(), "2026-03", 10, "2026-03-03"]]), user=None)
    assert errors_of(result) == [(2, "公民身份号码", "不在您管理的党组织，或花名册中没有该公民身份号码")]


def test_dry_run_previews_without_writing(tree, two):
    a, _ = two
    result = import_dues(xlsx([["李明", a.id_number, "2026-03", 40, "2026-03-03"]]), user=None, dry_run=True)
    assert (result.ok, result.written, result.created) == (True, False, 1)
    assert not DuesPayment.objects.exists()


def test_missing_columns_are_named(tree):
    result = import_dues(xlsx([["x", "y"]], headers=["姓名", "公民身份号码", "缴费月份"]), user=None)
    assert errors_of(result) == [(1, "实缴金额", "缺少“实缴金额”列"), (1, "缴纳日期", "缺少“缴纳日期”列")]


def test_a_file_that_is_not_excel_is_refused(tree):
    result = import_dues(io.BytesIO(b"name,id\n"), user=None)
    assert not result.ok and "Excel" in result.errors[0].message


@pytest.mark.parametrize(
    "value, month",
    [
        ("2026-03", datetime.date(2026, 3, 1)),
        ("2026/3", datetime.date(2026, 3, 1)),
        ("2026年3月", datetime.date(2026, 3, 1)),
        ("202603", datetime.date(2026, 3, 1)),
        ("2026-03-17", datetime.date(2026, 3, 1)),
        (datetime.datetime(2026, 3, 17), datetime.date(2026, 3, 1)),
    ],
)
def test_months_are_read_in_the_usual_ways(value, month):
    assert read_month(value) == month


@pytest.mark.parametrize("value", ["三月", "2026-00", None])
def test_unreadable_months_are_refused(value):
    with pytest.raises(CellError):
        read_month(value)


def test_an_imported_payment_above_the_due_is_voluntary(tree, two, orgdept):
    a, _ = two
    file = xlsx(
        [
            ["李明", a.id_number, "2026-03", 100, "2026-03-05", None],
            ["李明", a.id_number, "2026-04", 40, "2026-04-05", 1000],
        ],
        headers=[*HEADERS, "自愿多交"],
    )
    result = import_dues(file, user=orgdept)
    assert result.ok, errors_of(result)
    rows = {r.month.month: r for r in DuesPayment.objects.filter(member=a)}
    assert (rows[3].due, rows[3].paid, rows[3].voluntary) == (D("40.00"), D("40.00"), D("60.00"))
    assert (rows[4].paid, rows[4].voluntary) == (D("40.00"), D("1000.00"))


def test_an_imported_month_takes_the_farmers_rate_of_the_branch(tree, two, orgdept):
    from members.dues.farmer_rates import farmer_rate_set

    _, b = two
    farmer_rate_set(branch=tree.branch_b, amount=D("0.50"), effective_from=datetime.date(2026, 1, 1))
    result = import_dues(xlsx([["王芳", b.id_number, "2026-03", "0.50", "2026-03-05"]]), user=orgdept)
    assert result.ok and DuesPayment.objects.get(member=b).due == D("0.50")


def test_importing_a_payment_for_a_cancelled_month_is_refused(tree, two, orgdept):
    from django.utils import timezone

    a, _ = two
    dues_generate_month(branch=tree.branch_a, month=datetime.date(2026, 3, 1))
    DuesPayment.objects.filter(member=a).update(cancelled_at=timezone.now(), cancel_reason="死亡")
    result = import_dues(xlsx([["李明", a.id_number, "2026-03", 40, "2026-03-05"]]), user=orgdept)
    assert errors_of(result) == [(2, "月份", "该月党费已作废，不能记录缴纳")]
    assert DuesPayment.objects.get(member=a).paid == 0
