"""Journey 1: a branch secretary runs a 支部党员大会 from planning to the minutes, in a desktop browser."""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from .conftest import log_in, screenshot

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(moment: datetime.datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def test_secretary_plans_a_branch_assembly_checks_in_an_elderly_member_holds_it_and_sees_the_quorum(desktop, site):
    page, data = desktop, site.data
    page.goto("/activities/")
    log_in(page, "secretary")

    # Plan the meeting: it started a few minutes ago, so it can be held today.
    page.get_by_role("link", name="计划活动").first.click()
    expect(page.get_by_role("heading", name="计划活动")).to_be_visible()
    branch = page.get_by_label("党组织")  # the picker (branches/picker.py): type a name, choose a match
    branch.fill(data["branch_name"])
    page.locator(f"#{branch.get_attribute('aria-controls')} button").filter(has_text=data["branch_name"]).first.click()
    expect(branch).to_have_value(data["branch_code"])
    page.get_by_label("类型").select_option(label="支部党员大会")
    page.get_by_role("textbox", name="主题").fill("第四季度支部党员大会")
    now = datetime.datetime.now(SHANGHAI)
    page.get_by_label(re.compile("^开始时间")).fill(_local(now - datetime.timedelta(minutes=10)))
    page.get_by_label(re.compile("^结束时间")).fill(_local(now + datetime.timedelta(hours=2)))
    page.get_by_label("地点").fill("村委会会议室")
    page.get_by_label("议程").fill("一、学习党章\n二、讨论发展党员")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", name=re.compile("第四季度支部党员大会"))).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="已创建活动")).to_be_visible()
    detail_url = page.url

    # The check-in screen: a QR code and the live counts.
    page.get_by_role("link", name="签到屏").click()
    expect(page.locator("svg.qr")).to_be_visible()
    expect(page.get_by_text(re.compile("签到进行中"))).to_be_visible()
    screenshot(page, "1a-checkin-screen", full_page=False)
    page.get_by_role("link", name="返回活动").click()

    # An elderly member without a phone is checked in by hand.
    elderly = data["elderly_name"]
    page.get_by_label("现场代签（没有手机的党员）").fill(elderly)
    page.get_by_role("button", name="代签", exact=True).first.click()
    expect(page.get_by_role("status").filter(has_text=f"{elderly} 签到成功")).to_be_visible()
    row = page.locator("#sheet tbody tr").filter(has_text=elderly)
    expect(row).to_contain_text("实到")
    expect(page.locator("#sheet .counts li").filter(has_text="实到")).to_contain_text("1")

    # Mark it held: the confirmation page shows the counts and the quorum first.
    page.get_by_role("link", name="标记已召开").click()
    expect(page.locator(".quorum")).to_contain_text("法定人数")
    page.get_by_role("button", name="确认已召开").click()
    expect(page.get_by_role("status").filter(has_text="已标记为已召开")).to_be_visible()
    assert page.url.split("#")[0] == detail_url

    # The minutes, and the quorum on the minutes page.
    page.get_by_role("link", name="会议记录与决议").click()
    page.get_by_label("会议记录").fill("会议由支部书记主持。学习了党章第一章，讨论了发展党员工作。")
    page.get_by_role("button", name="保存会议记录").click()
    expect(page.get_by_role("status").filter(has_text="会议记录已保存")).to_be_visible()
    expect(page.get_by_label("会议记录")).to_have_value(re.compile("学习了党章第一章"))
    quorum = page.locator(".quorum")
    expect(quorum).to_contain_text("法定人数按有表决权的党员计")  # which members it counts, beside the card's 实到
    expect(quorum).to_contain_text(re.compile(r"应到 \d+ 人，到会 1 人"))
    expect(quorum).to_contain_text("未达到法定人数")
    screenshot(page, "1b-minutes-quorum")
