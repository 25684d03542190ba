"""The branch picker in a browser (static/js/branch_picker.js): typing part of a name lists matches of the
user's scope, choosing one puts its code in the field and its name beside it, the member form's 党小组
follow the chosen branch, and the list fits a phone."""

from __future__ import annotations

import json

from playwright.sync_api import expect

from .conftest import log_in, screenshot

A_BRANCH_WITH_GROUPS = """
import json
from branches import access
from branches.models import Branch
from django.contrib.auth import get_user_model
orgdept = get_user_model().objects.get(username="orgdept")
branch = next(b for b in access.visible_branches(orgdept).filter(kind="branch", dissolved_on=None).order_by("path")
              if Branch.objects.filter(path__startswith=b.path, kind="group", dissolved_on=None).exists())
groups = list(Branch.objects.filter(path__startswith=branch.path, kind="group", dissolved_on=None).values_list("code", flat=True))
print(json.dumps({"code": branch.code, "name": branch.name, "groups": groups}))
"""


def _branch(site) -> dict:
    out = site.manage("shell", "-c", A_BRANCH_WITH_GROUPS)
    return json.loads(next(line for line in out.splitlines() if line.startswith("{")))


def test_typing_a_name_lists_matches_and_choosing_one_fills_the_code(desktop, site):
    branch = _branch(site)
    page = desktop
    log_in(page, "orgdept")
    page.goto("/activities/new/")
    field = page.locator("#id_branch")
    field.fill(branch["name"])
    results = page.locator(".picker-results button")
    expect(results.first).to_be_visible()
    assert results.count() <= 20
    page.locator(".picker-results button", has_text=branch["code"]).first.click()
    expect(field).to_have_value(branch["code"])
    expect(page.locator("#id_branch-chosen")).to_have_text(branch["name"])
    expect(page.locator(".picker-results")).to_be_hidden()
    field.fill("没有这个组织XYZ")
    expect(page.locator(".picker-none")).to_have_text("没有找到匹配的党组织")
    expect(page.locator("#id_branch-chosen")).to_have_text("")
    screenshot(page, "picker-desktop")


def test_the_member_forms_groups_follow_the_chosen_branch(desktop, site):
    branch = _branch(site)
    page = desktop
    log_in(page, "orgdept")
    page.goto("/members/new/")
    group = page.locator("#id_group option")
    assert group.count() == 1  # the blank: no branch, no group
    page.locator("#id_branch").fill(branch["code"])
    page.locator(".picker-results button", has_text=branch["code"]).first.click()
    expect(group).to_have_count(1 + len(branch["groups"]))
    assert sorted(group.evaluate_all("options => options.map(o => o.value).filter(Boolean)")) == sorted(
        branch["groups"]
    )


def test_the_matches_fit_a_phone(phone, site):
    page = phone
    log_in(page, "orgdept")
    page.goto("/activities/list/")
    page.locator("#id_branch").fill("党支部")
    expect(page.locator(".picker-results button").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width}px wide with the matches open"
    box = page.locator(".picker-results button").first.bounding_box()
    assert box["height"] >= 44 and box["x"] + box["width"] <= 390
    screenshot(page, "picker-phone", full_page=False)
