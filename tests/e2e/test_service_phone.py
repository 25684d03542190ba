"""On a phone (issue 16): a member picks the community with the branch picker, then its grid, reports, and ends
the registration from 我的报到; the secretary's registrations (with their end forms) and the dashboard's 为民服务
section fit a 390 px screen."""

from __future__ import annotations

import json

from playwright.sync_api import expect

from .conftest import log_in, phone_context, screenshot

SETUP = """
import json
from members.models import Member
from service import services
from service.models import Grid, Registration
from reports.models import Report
grid = Grid.objects.select_related("community").filter(is_active=True).order_by("pk").first()
member = Member.objects.get(user__username="member")
for reg in Registration.objects.filter(member=member, ended_on=None):
    services.registration_end(registration=reg, by=None)
root = grid.community.get_root()
period = Report.objects.filter(branch=root, period__regex=r"^[0-9]{4}-[0-9]{2}$").order_by("-period").first().period
print("PHONE " + json.dumps({"name": grid.community.name, "code": grid.community.code, "grid": grid.name,
                             "root": root.code, "period": period}))
"""

WIDE = "document.documentElement.scrollWidth > window.innerWidth"


def _setup(site) -> dict:
    out = site.manage("shell", "-c", SETUP)
    return json.loads(next(line for line in out.splitlines() if line.startswith("PHONE "))[6:])


def test_a_member_picks_the_community_reports_and_ends_it_on_a_phone(browser, site):
    data = _setup(site)
    context = phone_context(browser, site)
    page = context.new_page()
    page.goto("/service/me/register/")
    log_in(page, "member")
    page.goto("/service/me/register/")
    picker = page.get_by_label("报到社区")
    picker.fill(data["name"][:2])
    page.locator(".picker-results button").filter(has_text=data["name"]).first.click()
    expect(picker).to_have_value(data["code"])
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_text(data["name"]).first).to_be_visible()
    assert not page.evaluate(WIDE)
    screenshot(page, "16c-register-picked")
    page.get_by_label("网格").select_option(label=data["grid"])
    page.get_by_role("button", name="报到", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="已向")).to_be_visible()

    page.get_by_text("结束报到", exact=True).click()
    page.get_by_label("结束原因（选填）").fill("已搬离该社区")
    assert not page.evaluate(WIDE)
    page.get_by_role("button", name="确认结束报到").click()
    expect(page.get_by_role("status").filter(has_text="已结束在")).to_be_visible()
    expect(page.get_by_role("link", name="去报到")).to_be_visible()
    context.close()


def test_the_registrations_and_the_dashboards_service_section_fit_a_phone(browser, site):
    data = _setup(site)
    context = phone_context(browser, site)
    page = context.new_page()
    page.goto(f"/service/{data['code']}/registrations/")
    log_in(page, "orgdept")
    page.goto(f"/service/{data['code']}/registrations/")
    expect(page.get_by_role("heading", name="向本组织报到的党员")).to_be_visible()
    page.get_by_text("结束报到").first.click()  # an end form opened in its card
    assert not page.evaluate(WIDE)
    screenshot(page, "16d-registrations-end")
    page.get_by_text("登记单位党组织报到").click()  # the unit's form with its picker
    expect(page.get_by_label("单位党组织")).to_be_visible()
    assert not page.evaluate(WIDE)
    page.goto(f"/reports/branch/{data['root']}/?period={data['period']}")
    expect(page.get_by_role("heading", name="为民服务")).to_be_visible()
    assert not page.evaluate(WIDE)
    screenshot(page, "16e-dashboard-service")
    context.close()
