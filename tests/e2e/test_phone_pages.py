"""The pages of the security work on a phone-sized screen (390x844): the member page and its 显示, the
activation and 任职确认码 codes, the member's own code entry, a failed job's 重试. Each fits the screen
(no sideways scrolling), under a header of two short rows (static/css/site.css)."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from .conftest import log_in, screenshot

HEADER_MAX_PX = 130  # brand and account on one row, the menu below: about 100 px (it was 190 squeezed between them)


def _shell(site, code: str) -> dict:
    """Run ``code`` in the served site's database; it prints one JSON line."""
    out = site.manage("shell", "-c", code)
    return json.loads(next(line for line in out.splitlines() if line.startswith("{")))


def _fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (
        f"the page is {width}px wide on a {page.viewport_size['width']}px screen"
    )
    header = page.locator("header.topbar").bounding_box()["height"]
    assert header <= HEADER_MAX_PX, f"the header is {header}px tall"


def _px(page, selector: str, prop: str) -> float:
    return float(page.eval_on_selector(selector, f"e => getComputedStyle(e)['{prop}']").removesuffix("px"))


MEMBERS = """
import json
from members import accounts
from members.models import Member
from django.contrib.auth import get_user_model
secretary = get_user_model().objects.get(username="secretary")
member = Member.objects.get(user__username="member")
branch = Member.objects.get(user=secretary).branch
no_account = next(m for m in Member.objects.filter(branch=branch, user__isnull=True).order_by("pk")
                  if accounts.activation_code_issuable(secretary, m))
print(json.dumps({"member": member.pk, "no_account": no_account.pk}))
"""


def test_secretary_sees_the_member_page_and_issues_an_activation_code_on_a_phone(phone, site):
    ids = _shell(site, MEMBERS)
    page = phone
    log_in(page, "secretary")
    page.goto(f"/members/{ids['member']}/")
    _fits_the_phone(page)
    card = page.locator("table.stack tbody tr").first  # the 档案记录: a card per event, each value labelled
    assert card.evaluate("e => getComputedStyle(e).display") == "block"
    assert card.locator("td[data-label='类型']").is_visible()
    screenshot(page, "phone-member-page")

    page.goto(f"/members/{ids['no_account']}/")
    page.get_by_role("button", name="签发账号激活码").click()
    code = page.locator(".activation-code")
    assert re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{4})+", code.inner_text().strip())
    assert _px(page, ".activation-code", "fontSize") >= 20  # read out or copied by hand
    box = code.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    _fits_the_phone(page)
    screenshot(page, "phone-activation-code")


def test_orgdept_reveals_a_members_full_id_number_on_a_phone(phone, site):
    ids = _shell(site, MEMBERS)
    page = phone
    log_in(page, "orgdept")
    page.goto(f"/members/{ids['member']}/")
    _fits_the_phone(page)
    page.get_by_role("button", name="显示完整身份信息").click()
    expect(page.locator("dd.mono").first).to_have_text(re.compile(r"^\d{17}[\dX]$"))
    _fits_the_phone(page)
    screenshot(page, "phone-member-revealed")


APPOINT = """
import json
from django.contrib.auth import get_user_model
from django.utils import timezone
from members import services
from members.models import Member, Position
secretary = get_user_model().objects.get(username="secretary")
member = Member.objects.get(user__username="member")
position = services.position_appoint(member=member, branch=member.branch, title=Position.Title.COMMITTEE,
                                     on=timezone.localdate(), by=secretary)
print(json.dumps({"member": member.pk, "position": position.pk}))
"""

END = """
import json
from django.utils import timezone
from members import services
from members.models import Position
services.position_end(position=Position.objects.get(pk={pk}), on=timezone.localdate())
print(json.dumps({{}}))
"""


def test_a_member_enters_a_position_code_on_a_phone(phone, site):
    ids = _shell(site, APPOINT)  # a pending 委员 of the member's own branch, ended again at the end
    try:
        page = phone
        log_in(page, "secretary")
        page.goto(f"/members/{ids['member']}/")
        page.get_by_role("button", name="签发确认码").click()
        expect(page.locator(".activation-code")).to_be_visible()
        _fits_the_phone(page)
        screenshot(page, "phone-position-code")
        page.context.clear_cookies()

        log_in(page, "member")
        page.goto("/members/me/")
        field = page.get_by_label("输入任职确认码")
        assert field.bounding_box()["height"] >= 44  # a thumb-sized field
        assert _px(page, "#id_position_code", "fontSize") >= 16  # phones zoom into smaller ones
        field.fill("ABCD-EFGH-JKLM")
        page.get_by_role("button", name="确认").click()
        expect(page.locator(".messages")).to_contain_text("任职确认码无效")
        _fits_the_phone(page)
        screenshot(page, "phone-position-code-entry")
    finally:
        _shell(site, END.format(pk=ids["position"]))


FAILED_JOB = """
import json
from django.contrib.auth import get_user_model
from django.utils import timezone
from branches.models import Branch
from reports.models import Job
job = Job.objects.create(kind=Job.Kind.REPORTS, branch=Branch.objects.get(code="{root}"), params={{"period": "{period}"}},
                         status=Job.Status.FAILED, error="内部错误：OperationalError",
                         created_by=get_user_model().objects.get(username="orgdept"), finished_at=timezone.now())
print(json.dumps({{"job": job.pk}}))
"""


def test_orgdept_retries_a_failed_job_on_a_phone(phone, site):
    job = _shell(site, FAILED_JOB.format(root=site.data["root_code"], period=site.data["period"]))["job"]
    page = phone
    log_in(page, "orgdept")
    page.goto(f"/reports/jobs/{job}/")
    _fits_the_phone(page)
    retry = page.get_by_role("button", name="重试")
    assert retry.bounding_box()["height"] >= 44
    screenshot(page, "phone-job-failed")
    retry.click()
    expect(page.locator(".job-status")).to_have_text("已完成")  # tasks run inline for the served site
    assert f"/reports/jobs/{job}/" not in page.url  # a new job; the failed one stays as it was
    _fits_the_phone(page)
