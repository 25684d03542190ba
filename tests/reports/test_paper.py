"""The dashboard's printable page and its Word file (reports/paper.py): issue 15, "Paper"."""

from __future__ import annotations

import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from docx import Document

from reports import jobs
from reports.models import Report
from reports.services import reports_compute
from service.models import ServiceFigures
from tests.factories import make_branch
from tests.reports.conftest import AFTER, Y

SHANGHAI = ZoneInfo("Asia/Shanghai")


def print_url(code: str, period: str = str(Y), name: str = "reports:print") -> str:
    return reverse(name, kwargs={"code": code}) + f"?period={period}"


@pytest.fixture
def computed(tree, year_data):
    reports_compute(period=str(Y), today=AFTER)
    return tree


def _article(html: str) -> str:
    return html[html.index('<article class="paper report-paper">') : html.index("</article>")]


@pytest.mark.parametrize("name", ["reports:print", "reports:print_docx"])
@pytest.mark.parametrize(
    "persona, code, status",
    [
        ("anonymous", "TOWN", 302),
        ("member_a", "TOWN", 404),
        ("secretary_a", "TOWN", 404),
        ("secretary_a", "BA", 200),
        ("secretary_b", "BA", 404),
        ("other_orgdept", "TOWN", 404),
        ("other_orgdept", "OTHER", 200),
        ("orgdept", "TOWN", 200),
        ("reviewer", "BA", 200),
        ("viewer", "TOWN", 200),
    ],
)
def test_the_paper_is_read_by_whoever_reads_the_dashboard(computed, login_as, name, persona, code, status):
    response = login_as(persona).get(print_url(code, name=name))
    assert response.status_code == status
    if status == 302:
        assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", ["reports:print", "reports:print_docx"])
def test_the_paper_refuses_a_reader_of_the_subtree_without_the_reports_permission(
    computed, login_as, monkeypatch, name
):
    """403 inside the subtree: every grant implies reading it (access.holds), so the dashboard's
    permission is narrowed here to reviewers to show that the page asks access.require_any."""
    monkeypatch.setattr(jobs, "READ_REPORTS", (jobs.access.REVIEW,))
    assert login_as("viewer").get(print_url("TOWN", name=name)).status_code == 403
    assert login_as("orgdept").get(print_url("TOWN", name=name)).status_code == 200


def test_the_paper_shows_the_stored_reports_figures_under_its_title(computed, orgdept, login_as):
    town = Report.objects.get(branch=computed.town, period=str(Y))
    # Figures only the stored report holds: the page reads it, it computes nothing.
    Report.objects.filter(pk=town.pk).update(members=4321, attendance_rate="87.65", dues_rate="99.01")
    Report.objects.filter(branch=computed.village_b, period=str(Y)).update(meetings_missing=77)
    orgdept.first_name, orgdept.last_name = "组织", "张"
    orgdept.save()
    before = timezone.now()
    html = login_as("orgdept").get(print_url("TOWN")).text
    after = timezone.now()
    article = _article(html)
    assert f"<h1>城关镇党委{Y}年度党建工作报表</h1>" in article
    assert "组织名称：城关镇党委（TOWN）" in article and f"期间：{Y}年度" in article
    assert f"制表人：{orgdept.get_full_name()}" in article
    made = {f"生成时间：{t.astimezone(SHANGHAI):%Y-%m-%d %H:%M}" for t in (before, after)}
    assert any(text in article for text in made)  # Asia/Shanghai, whatever the server's clock
    assert ">4321<" in article and ">87.65%<" in article and ">99.01%<" in article
    village_b = re.search(r'<tr><td class="card-title">西村党总支（党总支）</td>.*?</tr>', article).group(0)
    assert '<td data-label="缺项">77</td>' in village_b
    for caption in ("主要指标", "组织生活落实", "下级组织", f"政治体检进度与等次（{Y}年度）", "组织设置提醒"):
        assert f"<h2>{caption}</h2>" in article
    assert "东村第一网格党支部" in article  # a flagged 党支部 (fewer than 3 full members)
    assert town.health_checks == 5 and '<td data-label="体检人数">5</td>' in article


def test_the_paper_shows_the_stored_service_figures_as_the_dashboard_does(computed, login_as):
    # 为民服务 (issue 16): stored beside the report by the same computation; the page reads them.
    ServiceFigures.objects.filter(branch=computed.town, period=str(Y)).update(employed=40, registered=30)
    ServiceFigures.objects.filter(branch=computed.village_a, period=str(Y)).update(received=9, completed=6)
    article = _article(login_as("orgdept").get(print_url("TOWN")).text)
    section = article[article.index("<h2>为民服务</h2>") :]
    total = re.search(r'<tr><td class="card-title">合计（含本组织直属）</td>.*?</tr>', section).group(0)
    assert '<td data-label="报到率">75.0%</td>' in total and '<td data-label="在职党员">40</td>' in total
    village_a = re.search(r'<tr><td class="card-title">东村党总支</td>.*?</tr>', section).group(0)
    assert '<td data-label="受理诉求">9</td>' in village_a and '<td data-label="办结率">66.7%</td>' in village_a
    ServiceFigures.objects.all().delete()  # a report computed before the figures were stored: no section
    assert "为民服务" not in _article(login_as("orgdept").get(print_url("TOWN")).text)


def test_the_paper_has_no_form_nor_button_and_one_print_button_on_screen(computed, login_as):
    html = login_as("orgdept").get(print_url("TOWN")).text
    article = _article(html)
    assert "<form" not in article and "<button" not in article and "<a " not in article
    head = html[html.index('<div class="page-head no-print">') : html.index("<article")]
    assert "data-print" in head and "js/print.js" in html  # the 打印 button: no inline script (CSP)
    assert 'class="stack paper-table"' in article  # each row a card on a phone (static/css/site.css)
    docx = print_url("TOWN", name="reports:print_docx").replace("&", "&amp;")
    assert f'href="{docx}" download' in head


def test_the_dashboard_links_its_printable_page(computed, login_as):
    page = login_as("orgdept").get(reverse("reports:dashboard", kwargs={"code": "TOWN"}) + f"?period={Y}").text
    assert f'href="{print_url("TOWN")}">打印版</a>' in page


def test_a_period_without_a_report_says_so_and_offers_no_file(computed, login_as):
    html = login_as("orgdept").get(print_url("TOWN", f"{Y}Q2")).text
    assert f"{Y}年第2季度的报表尚未计算。" in html and "print/docx" not in html and "<table" not in html


@pytest.mark.parametrize("period", ["2025-13", "abc", "9999", "2026Q5"])
def test_a_crafted_period_is_a_bad_request(computed, login_as, period):
    for name in ("reports:print", "reports:print_docx"):
        assert login_as("orgdept").get(print_url("TOWN", period, name=name)).status_code == 400


def test_the_paper_runs_the_same_queries_whatever_the_number_of_children(computed, login_as, django_assert_num_queries):
    client = login_as("orgdept")
    client.get(print_url("TOWN"))  # warm the session
    # session, user, branch, grants, report, children, the flagged 党支部, the 为民服务 figures
    with django_assert_num_queries(8):
        assert client.get(print_url("TOWN")).status_code == 200
    for i in range(6):
        make_branch(computed.town, "general_branch", code=f"EXTRA{i}", name=f"新增{i}党总支")
    reports_compute(period=str(Y), branch=computed.town, today=AFTER)
    with django_assert_num_queries(8):
        html = client.get(print_url("TOWN")).text
    assert "新增5党总支" in html


def test_the_word_file_has_the_title_facts_and_tables_in_chinese(computed, login_as):
    client = login_as("orgdept")
    with translation.override("en"):
        client.cookies["django_language"] = "en"
        response = client.get(print_url("TOWN", name="reports:print_docx"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    assert "attachment" in response["Content-Disposition"] and ".docx" in response["Content-Disposition"]
    doc = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert f"城关镇党委{Y}年度党建工作报表" in text and "制表人：orgdept" in text and "生成时间：" in text
    cells = {cell.text for table in doc.tables for row in table.rows for cell in row.cells}
    town = Report.objects.get(branch=computed.town, period=str(Y))
    assert {"东村党总支（党总支）", "西村党总支（党总支）", str(town.members), "在册党员"} <= cells
    assert len(doc.tables) >= 4
