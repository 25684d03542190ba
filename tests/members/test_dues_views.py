"""Dues pages: a branch's month, recording, generating, income, arrears and the Excel import.

Every page: anonymous to log-in, outside the subtree 404, inside without the permission 403,
allowed works and the change is made. List pages run a constant number of queries.
"""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from members.dues.payments import dues_generate_month
from members.models import DuesPayment, Member, MemberEvent
from tests.factories import MemberFactory

D = Decimal
JAN = datetime.date(2026, 1, 1)
HEADERS = ["姓名", "公民身份号码", "月份", "实缴金额", "缴纳日期"]


def assert_refused(response, expected):
    if expected == "login":
        assert response.status_code == 302 and reverse("login") in response["Location"]
    else:
        assert response.status_code == expected


@pytest.fixture
def earners(tree, member_a, member_b):
    """Two members of branch A with declared incomes, one of branch B (a farmer)."""
    member_a.monthly_income = D("4000")
    member_a.save()
    other = MemberFactory(branch=tree.branch_a, name="赵强", monthly_income=D("12000"))
    member_b.occupation = Member.Occupation.FARMER
    member_b.save()
    return member_a, other, member_b


def xlsx(rows, headers=HEADERS) -> io.BytesIO:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "dues.xlsx"
    return out


# --------------------------------------------------------------------------- a branch's month

BRANCH_READERS = [
    ("anonymous", "login"),
    ("member_a", 404),
    ("secretary_b", 404),
    ("other_orgdept", 404),
    ("viewer", 403),
    ("secretary_a", 200),
    ("orgdept", 200),
    ("reviewer", 200),
]


@pytest.mark.parametrize("persona, expected", BRANCH_READERS)
def test_branch_month_page_permissions(login_as, earners, persona, expected):
    response = login_as(persona).get(reverse("members:dues_branch", args=["BA"]) + "?month=2026-01")
    assert_refused(response, expected)
    if expected == 200:
        assert "李明" in response.content.decode()


def test_branch_month_shows_due_paid_and_date_and_what_is_not_generated(login_as, tree, earners, secretary_a):
    a, other, _ = earners
    dues_generate_month(branch=tree.branch_a, month=JAN)
    DuesPayment.objects.filter(member=a, month=JAN).update(paid=D("40.00"), paid_on=datetime.date(2026, 1, 12))
    body = login_as("secretary_a").get(reverse("members:dues_branch", args=["BA"]) + "?month=2026-01").content.decode()
    assert "40.00" in body and "2026年1月12日" in body and "已足额" in body
    assert "240.00" in body and "未交" in body  # 赵强: 12000 × 2%, nothing paid
    assert reverse("members:dues_record", args=[a.pk, 2026, 1]) in body
    body = login_as("secretary_a").get(reverse("members:dues_branch", args=["BA"]) + "?month=2026-02").content.decode()
    assert "未生成" in body and "王芳" not in body


def test_reviewer_sees_the_month_without_record_forms(login_as, earners):
    a = earners[0]
    body = login_as("reviewer").get(reverse("members:dues_branch", args=["BA"]) + "?month=2026-01").content.decode()
    assert "李明" in body and reverse("members:dues_record", args=[a.pk, 2026, 1]) not in body


def _fill_branch(bulk_members, tree, n: int):
    members = bulk_members(tree.branch_a, n, monthly_income=D("3000"))
    dues_generate_month(branch=tree.branch_a, month=JAN)
    return members


@pytest.mark.parametrize("size", [3, 60])
def test_branch_month_page_runs_a_constant_number_of_queries(
    login_as, tree, secretary_a, bulk_members, django_assert_num_queries, size
):
    _fill_branch(bulk_members, tree, size)
    client = login_as("secretary_a")
    # session, user, grants, branch, count, page, totals
    with django_assert_num_queries(7):
        response = client.get(reverse("members:dues_branch", args=["BA"]) + "?month=2026-01")
    assert response.status_code == 200 and response.content.decode().count("15.00") >= min(size, 50)


# --------------------------------------------------------------------------- recording one payment

RECORDERS = [
    ("anonymous", "login"),
    ("secretary_b", 404),
    ("other_orgdept", 404),
    ("viewer", 403),
    ("reviewer", 403),
    ("secretary_a", 302),
    ("orgdept", 302),
]


@pytest.mark.parametrize("persona, expected", RECORDERS)
def test_recording_a_payment_needs_manage_on_the_members_branch(login_as, earners, persona, expected):
    a = earners[0]
    url = reverse("members:dues_record", args=[a.pk, 2026, 1])
    response = login_as(persona).post(url, {"paid": "40", "paid_on": "2026-01-15"})
    assert_refused(response, expected)
    row = DuesPayment.objects.filter(member=a, month=JAN).first()
    if expected == 302:
        assert (row.due, row.paid, row.paid_on) == (D("40.00"), D("40.00"), datetime.date(2026, 1, 15))
    else:
        assert row is None


@pytest.mark.parametrize("persona, expected", [("viewer", 403), ("secretary_b", 404), ("secretary_a", 200)])
def test_record_form_page_permissions(login_as, earners, persona, expected):
    url = reverse("members:dues_record", args=[earners[0].pk, 2026, 1])
    assert_refused(login_as(persona).get(url), expected)


def test_recording_returns_to_the_branch_month(login_as, earners):
    a = earners[0]
    back = reverse("members:dues_branch", args=["BA"]) + "?month=2026-01&page=1"
    response = login_as("secretary_a").post(
        reverse("members:dues_record", args=[a.pk, 2026, 1]), {"paid": "40", "paid_on": "2026-01-15", "next": back}
    )
    assert response["Location"] == back


def test_a_refused_payment_is_shown_on_the_form_keeping_the_input(login_as, earners):
    a = earners[0]
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = login_as("secretary_a").post(
        reverse("members:dues_record", args=[a.pk, 2026, 1]), {"paid": "39.50", "paid_on": tomorrow.isoformat()}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "缴纳日期不能晚于今天" in body
    assert 'value="39.50"' in body and tomorrow.isoformat() in body
    assert not DuesPayment.objects.filter(member=a).exists()


def test_a_member_without_declared_income_cannot_be_recorded_until_declared(login_as, tree, secretary_a):
    member = MemberFactory(branch=tree.branch_a, name="钱多", monthly_income=None)
    url = reverse("members:dues_record", args=[member.pk, 2026, 1])
    body = login_as("secretary_a").post(url, {"paid": "10", "paid_on": "2026-01-15"}).content.decode()
    assert "未申报月收入" in body and not DuesPayment.objects.filter(member=member).exists()


def test_an_impossible_month_is_a_bad_request(login_as, earners):
    response = login_as("secretary_a").get(reverse("members:dues_record", args=[earners[0].pk, 2026, 13]))
    assert response.status_code == 400


# --------------------------------------------------------------------------- generating a month


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("anonymous", "login"),
        ("secretary_b", 404),
        ("other_orgdept", 404),
        ("viewer", 403),
        ("reviewer", 403),
        ("secretary_a", 302),
    ],
)
def test_generating_a_month_needs_manage(login_as, earners, persona, expected):
    response = login_as(persona).post(reverse("members:dues_generate", args=["BA"]), {"month": "2026-01"})
    assert_refused(response, expected)
    dues = dict(DuesPayment.objects.filter(month=JAN).values_list("member__name", "due"))
    assert dues == ({"李明": D("40.00"), "赵强": D("240.00")} if expected == 302 else {})


def test_generating_names_members_without_declared_income(login_as, earners, tree):
    MemberFactory(branch=tree.branch_a, name="钱多", monthly_income=None)
    client = login_as("secretary_a")
    response = client.post(reverse("members:dues_generate", args=["BA"]), {"month": "2026-01"}, follow=True)
    body = response.content.decode()
    assert "新生成 2 条" in body and "钱多" in body
    assert DuesPayment.objects.filter(month=JAN).count() == 2


def test_generating_with_a_bad_month_writes_nothing(login_as, earners):
    login_as("secretary_a").post(reverse("members:dues_generate", args=["BA"]), {"month": "一月"})
    assert not DuesPayment.objects.exists()


def test_generate_refuses_get(login_as, earners):
    assert login_as("secretary_a").get(reverse("members:dues_generate", args=["BA"])).status_code == 405


# --------------------------------------------------------------------------- declared income


@pytest.mark.parametrize("persona, expected", RECORDERS)
def test_declaring_income_needs_manage(login_as, earners, persona, expected):
    a = earners[0]
    response = login_as(persona).post(reverse("members:income", args=[a.pk]), {"monthly_income": "8000"})
    assert_refused(response, expected)
    a.refresh_from_db()
    assert a.monthly_income == (D("8000") if expected == 302 else D("4000"))


def test_declared_income_is_kept_in_the_history_and_applies_to_new_months(login_as, earners, secretary_a):
    a = earners[0]
    dues_generate_month(branch=a.branch, month=JAN)
    data = {"monthly_income": "8000", "effective_month": "2026-02"}
    login_as("secretary_a").post(reverse("members:income", args=[a.pk]), data)
    event = MemberEvent.objects.get(member=a, kind=MemberEvent.Kind.UPDATED)
    assert (event.detail, event.by) == ("申报月收入：4000.00元 → 8000.00元（自2026年2月起）", secretary_a)
    dues_generate_month(branch=a.branch, month=datetime.date(2026, 2, 1))
    dues = dict(DuesPayment.objects.filter(member=a).values_list("month", "due"))
    assert dues == {JAN: D("40.00"), datetime.date(2026, 2, 1): D("120.00")}


def test_a_refused_income_is_shown_on_the_form(login_as, earners):
    a = earners[0]
    body = login_as("secretary_a").post(reverse("members:income", args=[a.pk]), {"monthly_income": "-1"}).content
    assert "月收入不能为负数" in body.decode() and 'value="-1"' in body.decode()
    a.refresh_from_db()
    assert a.monthly_income == D("4000")


def test_income_form_is_on_the_record_page(login_as, earners):
    a = earners[0]
    body = login_as("secretary_a").get(reverse("members:dues_record", args=[a.pk, 2026, 1])).content.decode()
    assert reverse("members:income", args=[a.pk]) in body and "4000.00" in body


# --------------------------------------------------------------------------- arrears


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("anonymous", "login"),
        ("member_a", 404),
        ("secretary_a", 404),
        ("other_orgdept", 404),
        ("viewer", 403),
        ("orgdept", 200),
        ("reviewer", 200),
    ],
)
def test_arrears_page_permissions(login_as, earners, tree, persona, expected):
    dues_generate_month(branch=tree.town, month=JAN)
    response = login_as(persona).get(reverse("members:dues_arrears", args=["TOWN"]))
    assert_refused(response, expected)
    if expected == 200:
        body = response.content.decode()
        assert "东村第一网格党支部" in body and "西村第一网格党支部" in body


def test_arrears_per_branch_and_their_total(login_as, earners, tree):
    a = earners[0]
    dues_generate_month(branch=tree.town, month=JAN)
    DuesPayment.objects.filter(member=a).update(paid=D("40"), paid_on=datetime.date(2026, 1, 9))
    body = login_as("orgdept").get(reverse("members:dues_arrears", args=["TOWN"]) + "?start=2026-01&end=2026-01")
    text = body.content.decode()
    # branch A: due 40 + 240, paid 40, owed 240; branch B: 0.20 owed; total owed 240.20
    assert "280.00" in text and "240.00" in text and "0.20" in text and "240.20" in text


def test_arrears_with_a_start_after_the_end_says_so(login_as, earners):
    body = login_as("orgdept").get(reverse("members:dues_arrears", args=["TOWN"]) + "?start=2026-05&end=2026-01")
    assert "起始月份不能晚于截止月份" in body.content.decode()


@pytest.mark.parametrize("size", [2, 12])
def test_arrears_page_runs_a_constant_number_of_queries(login_as, tree, orgdept, django_assert_num_queries, size):
    from tests.factories import make_branch

    for i in range(size):
        branch = make_branch(tree.village_b, name=f"西村第{i + 2}网格党支部", code=f"BX{i}")
        MemberFactory(branch=branch, monthly_income=D("3000"))
    dues_generate_month(branch=tree.town, month=JAN)
    client = login_as("orgdept")
    # session, user, grants, branch, the subtree's size (branches.summaries), the arrears GROUP BY
    with django_assert_num_queries(6):
        response = client.get(reverse("members:dues_arrears", args=["TOWN"]))
    assert response.content.decode().count("15.00") >= size


# --------------------------------------------------------------------------- the Excel import


@pytest.mark.parametrize(
    "persona, expected", [("anonymous", "login"), ("viewer", 403), ("reviewer", 403), ("secretary_a", 200)]
)
def test_import_page_needs_manage_somewhere(login_as, tree, persona, expected):
    assert_refused(login_as(persona).get(reverse("members:dues_import")), expected)


@pytest.mark.parametrize("persona, expected", [("anonymous", "login"), ("viewer", 403), ("secretary_a", 200)])
def test_import_template_has_the_import_headers(login_as, tree, persona, expected):
    response = login_as(persona).get(reverse("members:dues_import_template"))
    assert_refused(response, expected)
    if expected == 200:
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        assert next(book.worksheets[0].iter_rows(values_only=True)) == (*HEADERS, "自愿多交")


def test_upload_previews_then_confirm_writes(login_as, earners):
    a, other, _ = earners
    client = login_as("secretary_a")
    file = xlsx([["李明", a.id_number, "2026-01", 40, "2026-01-20"], ["赵强", other.id_number, "2026-01", 0, None]])
    response = client.post(reverse("members:dues_import"), {"file": file})
    body = response.content.decode()
    assert "检查通过" in body and "将新增 2 条" in body
    assert not DuesPayment.objects.exists()  # the check writes nothing
    token = response.context["pending"]["token"]
    response = client.post(reverse("members:dues_import_confirm"), {"token": token}, follow=True)
    assert "新增 2 条" in response.content.decode()
    rows = dict(DuesPayment.objects.values_list("member__name", "paid"))
    assert rows == {"李明": D("40.00"), "赵强": D("0.00")}
    # a second confirm of the same file finds nothing pending
    client.post(reverse("members:dues_import_confirm"), {"token": token})
    assert DuesPayment.objects.count() == 2


def test_a_file_with_errors_shows_every_error_and_writes_nothing(login_as, earners, tree):
    a, other, b = earners
    file = xlsx(
        [
            ["李明", a.id_number, "2026-01", 40, "2026-01-20"],  # fine
            ["赵强", other.id_number, "2026-13", 10, "2026-01-20"],  # no such month
            ["王芳", b.id_number, "2026-01", 0.2, "2026-01-05"],  # branch B: not managed by secretary A
            ["张三", a.id_number, "2026-02", "十元", "2026-02-05"],  # wrong name, amount not a number
        ]
    )
    response = login_as("secretary_a").post(reverse("members:dues_import"), {"file": file})
    body = response.content.decode()
    assert "未导入任何数据" in body and response.context["pending"] is None
    errors = {(e.row, e.column) for e in response.context["result"].errors}
    assert {(3, "月份"), (4, "公民身份号码"), (5, "实缴金额")} <= errors
    assert "月份“2026-13”不存在" in body and "不在您管理的党组织" in body and "不是数字" in body
    assert not DuesPayment.objects.exists()


def test_a_file_that_is_not_excel_is_refused_with_a_reason(login_as, earners):
    file = io.BytesIO("姓名,公民身份号码\n".encode())
    file.name = "dues.csv"
    body = login_as("secretary_a").post(reverse("members:dues_import"), {"file": file}).content.decode()
    assert "不是Excel" in body and not DuesPayment.objects.exists()


def test_another_user_cannot_confirm_someone_elses_upload(login_as, earners, client):
    a = earners[0]
    response = login_as("secretary_a").post(
        reverse("members:dues_import"), {"file": xlsx([["李明", a.id_number, "2026-01", 40, "2026-01-20"]])}
    )
    token = response.context["pending"]["token"]
    response = login_as("orgdept").post(reverse("members:dues_import_confirm"), {"token": token}, follow=True)
    assert "没有待确认的导入" in response.content.decode()
    assert not DuesPayment.objects.exists()


def test_confirm_rechecks_and_writes_nothing_if_a_row_became_wrong(login_as, earners, tree):
    a, other, _ = earners
    client = login_as("secretary_a")
    file = xlsx([["李明", a.id_number, "2026-01", 40, "2026-01-20"], ["赵强", other.id_number, "2026-01", 0, None]])
    token = client.post(reverse("members:dues_import"), {"file": file}).context["pending"]["token"]
    other.monthly_income = None  # the due of a new month can no longer be computed
    other.save()
    response = client.post(reverse("members:dues_import_confirm"), {"token": token})
    assert "未申报月收入" in response.content.decode()
    assert not DuesPayment.objects.exists()
