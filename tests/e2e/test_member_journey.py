"""Journey 2: a member checks in on a phone-sized screen and asks for leave for the next meeting; a
member who chose to stay logged in on their phone checks in with one tap at the next scan, after
the browser was closed; and the check-in page's weight on the wire."""

from __future__ import annotations

import re
from types import SimpleNamespace

from playwright.sync_api import expect

from activities import tokens

from .conftest import log_in, phone_context, screenshot

BUDGET_BYTES = 30 * 1024


def _checkin_path(activity_id: int) -> str:
    """The link behind the check-in screen's QR code right now (the site and the tests share the secret)."""
    return f"/activities/c/{tokens.current_token(SimpleNamespace(pk=activity_id))}/"


def _no_horizontal_scrolling(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (
        f"the page is {width}px wide on a {page.viewport_size['width']}px screen"
    )


def test_member_checks_in_with_one_tap_sees_the_first_time_again_and_asks_leave_for_the_next_meeting(phone, site):
    page, data = phone, site.data
    link = _checkin_path(data["theme_day_id"])

    page.goto(link)
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="登录后即可签到")).to_be_visible()
    log_in(page, "member")

    # Back on the check-in page: the activity, the member's name and one big button.
    expect(page.get_by_role("heading", name="主题党日：学习党章")).to_be_visible()
    expect(page.get_by_role("main").get_by_text(data["member_name"], exact=True)).to_be_visible()
    button = page.get_by_role("button", name="签到", exact=True)
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 200, f"the check-in button is small for a thumb: {box}"
    _no_horizontal_scrolling(page)
    button.tap()

    done = page.get_by_role("status").filter(has_text="签到成功")
    expect(done).to_be_visible()
    first_time = re.search(r"\d+月\d+日 \d{2}:\d{2}:\d{2}", done.inner_text())[0]
    screenshot(page, "2a-member-checked-in")

    # The same link again: already checked in, at the first time.
    page.goto(link)
    again = page.get_by_role("status").filter(has_text="已签到")
    expect(again).to_contain_text(f"签到时间 {first_time}")
    expect(page.get_by_text("签到成功")).to_have_count(0)
    expect(page.get_by_role("button", name="签到", exact=True)).to_have_count(0)

    # Leave for next week's 支部党员大会.
    page.locator("#main").get_by_role("link", name="我的活动").tap()  # the page's own link (the menu has one too)
    card = page.locator(".card").filter(has=page.get_by_role("heading", name=data["next_meeting_title"]))
    card.get_by_text("请假", exact=True).tap()
    card.get_by_label("请假事由").fill("外出务工，无法参加")
    card.get_by_role("button", name="提交请假申请").tap()
    expect(
        page.get_by_role("status").filter(has_text=f"已提交“{data['next_meeting_title']}”的请假申请")
    ).to_be_visible()
    card = page.locator(".card").filter(has=page.get_by_role("heading", name=data["next_meeting_title"]))
    expect(card).to_contain_text("请假：")
    expect(card.locator(".badge")).to_contain_text("待审批")
    _no_horizontal_scrolling(page)
    screenshot(page, "2b-member-leave")


def test_checkin_page_transfers_less_than_the_budget(phone, site):
    page = phone
    page.goto("/accounts/login/")
    log_in(page, "member")

    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})  # a first visit: nothing cached
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(_checkin_path(site.data["theme_day_id"]))
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", name="主题党日：学习党章")).to_be_visible()

    sizes = {r.url.removeprefix(site.url): r.request.sizes() for r in responses}
    total = sum(s["responseBodySize"] + s["responseHeadersSize"] for s in sizes.values())
    detail = ", ".join(f"{url} {s['responseBodySize'] + s['responseHeadersSize']} B" for url, s in sizes.items())
    print(f"\n[e2e] check-in page: {total} bytes transferred in {len(sizes)} responses ({detail})")
    assert total < BUDGET_BYTES, f"the check-in page weighs {total} bytes, over the {BUDGET_BYTES}-byte budget"


def _reopened(browser, site, context):
    """The same phone after its browser was closed: only the cookies that outlive the browser."""
    state = context.storage_state()
    state["cookies"] = [c for c in state["cookies"] if c["expires"] != -1]
    context.close()
    return phone_context(browser, site, storage_state=state)


def _first_scan(browser, site, *, remember: bool):
    """Scan the 主题党日's QR, log in on the page it leads to (number keypad, "登录后即可签到")."""
    context = phone_context(browser, site)
    page = context.new_page()
    page.goto(_checkin_path(site.data["theme_day_id"]))
    expect(page.get_by_role("status").filter(has_text="登录后即可签到")).to_be_visible()
    field = page.get_by_label("手机号码、身份证号或用户名")
    assert (field.get_attribute("type"), field.get_attribute("inputmode")) == ("tel", "numeric")
    _no_horizontal_scrolling(page)
    if remember:
        screenshot(page, "2c-login-from-a-check-in")
    log_in(page, "member", remember=remember)
    expect(page.get_by_role("heading", name="主题党日：学习党章")).to_be_visible()
    return context


def test_a_member_who_stayed_logged_in_checks_in_with_one_tap_at_the_next_scan(browser, site):
    context = _reopened(browser, site, _first_scan(browser, site, remember=True))
    page = context.new_page()
    page.goto(_checkin_path(site.data["lecture_id"]))  # the next meeting's QR, the browser closed since

    expect(page.get_by_role("heading", name=site.data["lecture_title"])).to_be_visible()  # no log-in page
    page.get_by_role("button", name="签到", exact=True).tap()  # the one tap
    expect(page.get_by_role("status").filter(has_text="签到成功")).to_be_visible()
    _no_horizontal_scrolling(page)
    screenshot(page, "2d-one-tap-at-the-next-scan")

    # The member's page lists this phone as remembered, with 退出.
    page.goto("/members/me/")
    device = page.locator(".device-card").filter(has_text="本机")
    expect(device).to_contain_text("保持登录至")
    expect(device.get_by_role("button", name="在本机退出")).to_be_visible()
    _no_horizontal_scrolling(page)
    screenshot(page, "2e-member-devices")
    context.close()


def test_without_staying_logged_in_the_next_scan_asks_to_log_in_again(browser, site):
    context = _reopened(browser, site, _first_scan(browser, site, remember=False))
    page = context.new_page()
    page.goto(_checkin_path(site.data["lecture_id"]))
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="登录后即可签到")).to_be_visible()
    context.close()
