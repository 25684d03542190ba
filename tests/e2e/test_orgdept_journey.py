"""Journey 3: the organization department imports a roster, reads the dashboard down to a branch that
misses meetings, and reviews two branches' health checks (one returned with a comment, one approved)."""

from __future__ import annotations

import datetime
import re

from openpyxl import Workbook
from playwright.sync_api import expect

from members.idnumbers import make_id_number
from members.roster_io.columns import HEADERS

from .conftest import log_in, screenshot

# Born on 29 February with high sequence numbers: ID numbers that the demo data does not hold.
PEOPLE = [
    ("郑晓明", "男", datetime.date(1992, 2, 29), 491, "19955500001"),
    ("吴丽华", "女", datetime.date(1996, 2, 29), 492, "19955500002"),
    ("何建国", "男", datetime.date(1988, 2, 29), 493, "19955500003"),
    ("罗秀英", "女", datetime.date(2000, 2, 29), 494, "19955500004"),
]


def _roster(path, branch_code: str, *, bad: bool) -> None:
    """Four new members; with ``bad`` the second has a wrong check digit and the fourth an unknown branch code."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(HEADERS))
    for i, (name, sex, born, sequence, phone) in enumerate(PEOPLE):
        id_number = make_id_number("350102", born, sequence, "M" if sex == "男" else "F")
        code = branch_code
        if bad and i == 1:
            id_number = id_number[:-1] + ("0" if id_number[-1] != "0" else "1")
        if bad and i == 3:
            code = "NOSUCH01"
        values = {
            "姓名": name,
            "性别": sex,
            "民族": "汉族",
            "出生日期": born,
            "公民身份号码": id_number,
            "学历": "大学本科",
            "手机号码": phone,
            "党组织编码": code,
            "党小组编码": "",
            "职业类别": "在职",
            "党员状况": "正常",
            "党员状态": "正式党员",
            "入党日期": datetime.date(2020, 7, 1),
            "转正日期": datetime.date(2021, 7, 1),
        }
        sheet.append([values[h] for h in HEADERS])
    workbook.save(path)


def test_orgdept_imports_a_roster_drills_down_the_dashboard_and_reviews_health_checks(desktop, site, tmp_path):
    page, data = desktop, site.data
    page.goto("/accounts/login/")
    log_in(page, "orgdept")

    # Import: both bad rows are named with their row numbers, nothing is written.
    bad, good = tmp_path / "花名册-有误.xlsx", tmp_path / "花名册.xlsx"
    _roster(bad, data["branch2_code"], bad=True)
    _roster(good, data["branch2_code"], bad=False)
    page.get_by_role("navigation").get_by_role("link", name="导入").click()
    page.get_by_label("党员花名册（.xlsx）").set_input_files(bad)
    page.get_by_role("button", name="上传并检查").click()
    errors = page.get_by_role("alert").filter(has=page.get_by_role("heading", name=re.compile("发现 2 处错误")))
    expect(errors).to_be_visible()
    rows = errors.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td").first).to_have_text("3")
    expect(rows.nth(0)).to_contain_text("公民身份号码")
    expect(rows.nth(1).locator("td").first).to_have_text("5")
    expect(rows.nth(1)).to_contain_text("NOSUCH01")
    screenshot(page, "3a-import-errors")

    # The fixed file passes the check, then is imported.
    page.get_by_label("党员花名册（.xlsx）").set_input_files(good)
    page.get_by_role("button", name="上传并检查").click()
    expect(page.get_by_role("heading", name="检查通过，请确认导入")).to_be_visible()
    expect(page.get_by_text("新增 4 人")).to_be_visible()
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_role("status").filter(has_text="导入完成：新增4人")).to_be_visible()

    # The dashboard, from the town down to a branch that misses meetings.
    page.get_by_role("navigation").get_by_role("link", name="报表").click()
    expect(page.get_by_role("heading", name=re.compile(f"{data['root_name']} 报表"))).to_be_visible()
    for _ in range(4):  # town -> village -> grid branch (a group would be a fourth level)
        missing = page.locator("table.children tbody tr").filter(has=page.locator("td.bad"))
        if not missing.count():
            break
        name = missing.first.get_by_role("link").inner_text()
        missing.first.get_by_role("link").click()
        expect(page.get_by_role("heading", name=re.compile(f"{re.escape(name)} 报表"))).to_be_visible()
        if name.endswith("党支部"):
            break
    else:
        raise AssertionError("no branch that misses meetings on the way down")
    assert name.endswith("党支部"), f"stopped at {name}, not at a branch"
    expect(page.locator("table.meetings td.bad").first).to_be_visible()
    screenshot(page, "3b-dashboard-branch")

    # Health checks: return the first branch's with a comment, approve the second's.
    page.get_by_role("navigation").get_by_role("link", name="政治体检").click()
    page.get_by_role("link", name=re.compile(f"{data['root_name']}.*体检情况")).click()
    first = page.locator("table.review tbody tr").filter(has=page.get_by_role("link", name=data["branch_name"]))
    second = page.locator("table.review tbody tr").filter(has=page.get_by_role("link", name=data["branch2_name"]))
    expect(first).to_contain_text("已提交")
    expect(second).to_contain_text("已提交")
    first.get_by_label("意见").fill("志愿服务时长未登记完整，请补充后重新提交")
    first.get_by_role("button", name="退回").click()
    expect(page.get_by_role("status").filter(has_text=re.compile("已退回"))).to_be_visible()
    expect(first).to_contain_text("已退回")
    second.get_by_role("button", name="审核通过").click()
    expect(second).to_contain_text("已审核")
    expect(first).to_contain_text("已退回")
    screenshot(page, "3c-health-review")
