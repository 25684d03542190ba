"""The one sheet reader and header finder (members/roster_io/sheets.py), shared by the roster and dues imports."""

from members.dues.importing import HEADERS as DUES_HEADERS
from members.roster_io.columns import HEADERS, ROSTER_HEADERS
from members.roster_io.sheets import find_header_row


def _rows(*rows):
    return iter(enumerate(rows, start=1))


def test_the_header_row_below_a_title_line_is_found_for_the_roster():
    number, match = find_header_row(_rows(("2026年党员花名册",), (), HEADERS, ("张三",)), ROSTER_HEADERS)
    assert number == 3 and not match.missing and match.positions["name"] == 0


def test_the_header_row_below_a_title_line_is_found_for_dues_with_aliases():
    headers = ("身份证号", "所属月份", "实缴党费", "缴费日期（必填）")
    number, match = find_header_row(_rows(("党费收缴表",), headers), DUES_HEADERS)
    assert number == 2 and not match.missing
    assert match.positions == {"id_number": 0, "month": 1, "paid": 2, "paid_on": 3}


def test_a_dues_sheet_without_its_optional_name_column_misses_nothing_but_names_missing_required_ones():
    _, match = find_header_row(_rows(("公民身份号码", "月份", "姓名")), DUES_HEADERS)
    assert match.missing == ["实缴金额", "缴纳日期"]
