"""English mode is whole on the health pages (periods, grades, scoring items, the history), and
Chinese mode shows no English but data (user names, organization codes) and file formats."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import translation

from core.periods import Period
from health.services import health_checks_compute, health_checks_return, health_checks_submit
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

P = "2025"
FILE_FORMATS = {"Excel", "xlsx", "docx", "PDF", "CSV"}
BRAND = {"partysite"}  # the product's name in the window title
TYPED_FORMATS = {"Q1", "Q2", "Q3", "Q4"}  # a quarter as it is typed in the period field (2026Q3)


class VisibleText(HTMLParser):
    """What a reader sees or hears: text outside scripts and styles, and the labels of controls."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("script", "style")
        self.parts += [v for k, v in attrs if k in ("aria-label", "title", "placeholder", "alt") and v]

    def handle_endtag(self, tag):
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible(body: str) -> str:
    parser = VisibleText()
    parser.feed(body)
    return " ".join(parser.parts)


def english_words(body: str) -> set[str]:
    return set(re.findall(r"[A-Za-z][A-Za-z0-9_]+", visible(body)))  # a user name whole


@pytest.fixture
def returned(tree, member_a, member_b, secretary_a, orgdept):
    MemberFactory(branch=tree.branch_a, name="张伟")
    health_checks_compute(period=P, branch=tree.town)
    health_checks_submit(branch=tree.branch_a, period=P, by=secretary_a)
    health_checks_return(branch=tree.branch_a, period=P, by=orgdept, comment="请核对党费")
    return tree


def english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


def test_periods_are_whole_in_either_language():
    labels = ("2026-03", "2026Q3", "2026")
    assert [Period.parse(label).display for label in labels] == ["2026年3月", "2026年第3季度", "2026年度"]
    with translation.override("en"):
        assert [Period.parse(label).display for label in labels] == ["March 2026", "Q3 2026", "2026"]
        assert Period.parse("2026").display_zh == "2026年度"


def test_the_branch_page_in_english_names_the_period_grades_items_and_steps(login_as, returned):
    body = english(login_as("secretary_a")).get(f"/health/branches/BA/?period={P}").content.decode()
    # The page's own parts: from the title to the history (the audit trail's stored lines come after).
    start, end = body.index("<h1"), body.index("</section>", body.index('id="events-title"'))
    text = visible(body[start:end])
    assert "Health checks 2025" in text and "年度" not in text
    assert "Qualified" in text  # 80 points: no meeting to attend, no month due, no volunteer hours
    assert "Three meetings and a Party lecture" in text and "no activity to attend" in text
    assert "(0/24 hours)" in text
    assert "Returned 2 checks: 请核对党费" in text  # the comment is data, as typed
    assert "2 health checks of this period were returned by the organization department" in text
    data = r"请核对党费|李明|张伟|东村第一网格党支部"
    assert not re.search(r"[\u4e00-\u9fff]", re.sub(data, "", text)), text


def test_the_member_page_in_english_names_the_period_and_grade(login_as, returned, orgdept, secretary_a):
    from health.services import health_checks_approve, health_checks_publish

    health_checks_submit(branch=returned.branch_a, period=P, by=secretary_a)
    health_checks_approve(branch=returned.branch_a, period=P, by=orgdept)
    health_checks_publish(branch=returned.branch_a, period=P, by=orgdept)
    text = visible(english(login_as("member_a")).get(reverse("health:me")).content.decode())
    assert "2025" in text and "年度" not in text and "Qualified" in text


@pytest.mark.parametrize(
    "persona, url", [("secretary_a", f"/health/branches/BA/?period={P}"), ("member_a", "/members/me/")]
)
def test_a_page_in_chinese_has_no_english_but_data_and_file_formats(login_as, returned, persona, url):
    data = {"secretary_a", "member_a", "orgdept", "BA", "GA"}  # user names and organization codes
    body = login_as(persona).get(url).content.decode()
    allowed = FILE_FORMATS | TYPED_FORMATS | BRAND | data
    assert english_words(body) <= allowed, english_words(body) - allowed
