"""Journey (issue 16): a resident scans a grid's poster and asks, the secretary dispatches, a member
accepts on a phone and completes, the resident follows the request and rates it."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from .conftest import log_in, phone_context, screenshot

# Run in the served site's database: the demo member reports to the demo's community (service/, demo/service.py).
SETUP = """
import json
from members.models import Member
from service import services
from service.models import Grid, Registration
grid = Grid.objects.select_related("community").order_by("pk").first()
member = Member.objects.get(user__username="member")
for reg in Registration.objects.filter(member=member, ended_on=None):
    services.registration_end(registration=reg, by=None)
services.registration_create(member=member, community=grid.community, grid=grid, post=None, by=None)
print("SERVICE " + json.dumps({"key": grid.poster_key, "code": grid.community.code, "grid": grid.name, "member": member.name}))
"""


def _setup(site) -> dict:
    out = site.manage("shell", "-c", SETUP)
    return json.loads(next(line for line in out.splitlines() if line.startswith("SERVICE "))[8:])


def test_a_resident_asks_the_secretary_dispatches_a_member_completes_and_the_resident_rates(browser, site, desktop):
    data = _setup(site)

    # The resident scans the grid's poster: the phone form, no account.
    resident = phone_context(browser, site)
    ask = resident.new_page()
    ask.goto(f"/service/ask/{data['key']}/")
    expect(ask.get_by_role("heading", name="我要点单")).to_be_visible()
    ask.get_by_label("诉求类别").select_option(label="便民利民")
    ask.get_by_label("需要什么帮助").fill("3号楼楼道灯坏了，晚上老人看不清楼梯")
    ask.get_by_label("称呼").fill("赵阿姨")
    ask.get_by_label("手机号码").fill("13812345678")
    ask.get_by_role("button", name="提交诉求").click()
    expect(ask.get_by_role("heading", name="已受理您的诉求")).to_be_visible()
    receipt, secret = (s.inner_text() for s in ask.locator(".card strong").all())
    screenshot(ask, "16a-resident-asked")

    # The community's organization department dispatches it to the registered member.
    page = desktop
    page.goto(f"/service/{data['code']}/board/")
    log_in(page, "orgdept")
    page.get_by_role("link", name=receipt).click()
    expect(page.get_by_text(re.compile("赵阿姨"))).to_be_visible()  # the department sees the phone: view_sensitive
    choice = page.locator("#id_member option").filter(has_text=data["member"]).first.get_attribute("value")
    page.get_by_label("派单给（已报到党员）").select_option(value=choice)
    page.get_by_role("button", name="派单", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="已派单")).to_be_visible()

    # The member accepts on a phone and completes it.
    member_context = phone_context(browser, site)
    phone = member_context.new_page()
    phone.goto("/service/me/")
    log_in(phone, "member")
    card = phone.locator(".card").filter(has_text="3号楼楼道灯坏了")
    card.get_by_role("button", name="接单").click()
    expect(phone.get_by_role("status").filter(has_text="已接单")).to_be_visible()
    phone.locator(".card").filter(has_text="3号楼楼道灯坏了").get_by_role("link", name="办结").click()
    phone.get_by_label("服务时长（小时）").fill("1.5")
    phone.get_by_label("办结说明").fill("已更换灯泡")
    phone.get_by_role("button", name="确认办结").click()
    expect(phone.get_by_role("status").filter(has_text="已办结")).to_be_visible()
    screenshot(phone, "16b-member-completed")

    # The resident follows it with the receipt number and secret, and rates it once.
    track = resident.new_page()
    track.goto("/service/track/")
    track.get_by_label("受理编号").fill(receipt)
    track.get_by_label("查询码").fill(secret)
    track.get_by_role("button", name="查询").click()
    expect(track.get_by_text("已办结").first).to_be_visible()
    track.get_by_role("link", name="评价本次服务").click()
    track.get_by_label("5星 非常满意").check()
    track.get_by_role("button", name="提交评价").click()
    expect(track.get_by_role("heading", name="感谢您的评价")).to_be_visible()
    screenshot(track, "16c-resident-rated")
    resident.close()
    member_context.close()
