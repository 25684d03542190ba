"""The one Period type: parsing, bounds in Asia/Shanghai, months, windows; the month helpers."""

import datetime
import zoneinfo

import pytest

from core.periods import MONTH, QUARTER, YEAR, Period, add_months, month_end, month_start

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "kind", "start", "last", "display"),
    [
        ("2026-10", MONTH, "2026-10-01", "2026-10-31", "2026年10月"),
        ("2026-2", MONTH, "2026-02-01", "2026-02-28", "2026年2月"),
        ("2026Q3", QUARTER, "2026-07-01", "2026-09-30", "2026年第3季度"),
        (" 2026q1 ", QUARTER, "2026-01-01", "2026-03-31", "2026年第1季度"),
        ("2026", YEAR, "2026-01-01", "2026-12-31", "2026年度"),
    ],
)
def test_period_parses_month_quarter_and_year(text, kind, start, last, display):
    period = Period.parse(text)
    assert (period.kind, str(period.start), str(period.last_day), period.display) == (kind, start, last, display)
    assert Period.parse(period.label) == period  # the label is the canonical text


@pytest.mark.parametrize("text", ["2026-13", "2026-0", "2026Q5", "26", "", "2026-W40", "Q3", "202603"])
def test_period_refuses_other_text(text):
    with pytest.raises(ValueError):
        Period.parse(text)


@pytest.mark.parametrize("text", ["1999", "2101Q1", "0000-01", "9999-12"])
def test_period_years_are_bounded(text):
    with pytest.raises(ValueError, match="年份应在2000至2100年之间"):
        Period.parse(text)


def test_period_of_allowed_kinds_only():
    assert Period.parse("2026Q3", kinds=[YEAR, QUARTER]) == Period(QUARTER, 2026, 3)
    with pytest.raises(ValueError, match="无法识别的考核期“2026-10”，应为 2026Q3 或 2026"):
        Period.parse("2026-10", kinds=[YEAR, QUARTER], name="考核期")
    with pytest.raises(ValueError, match="无法识别的期间“X”，应为 2026-10、2026Q3 或 2026"):
        Period.parse("x")


def test_bounds_are_the_days_of_the_period_in_shanghai():
    start, end = Period.parse("2026Q3").bounds()
    assert (start, end) == (
        datetime.datetime(2026, 7, 1, tzinfo=SHANGHAI),
        datetime.datetime(2026, 10, 1, tzinfo=SHANGHAI),
    )
    assert start.utcoffset() == datetime.timedelta(hours=8)


def test_months_are_first_days():
    assert Period.parse("2026Q4").months == (
        datetime.date(2026, 10, 1),
        datetime.date(2026, 11, 1),
        datetime.date(2026, 12, 1),
    )
    assert len(Period.parse("2026").months) == 12


def test_months_between_count_months_with_a_day_of_membership():
    year = Period.parse("2026")
    assert year.months_between(datetime.date(2000, 1, 1), None) == 12
    assert year.months_between(datetime.date(2026, 7, 31), None) == 6
    assert year.months_between(datetime.date(2000, 1, 1), datetime.date(2026, 3, 1)) == 3
    assert year.months_between(datetime.date(2027, 1, 1), None) == 0
    assert year.months_between(datetime.date(2000, 1, 1), datetime.date(2025, 12, 31)) == 0
    assert Period.parse("2026Q3").months_between(datetime.date(2026, 8, 2), None) == 2


def test_windows_split_finer_kinds_and_widen_coarser_ones():
    quarter = Period.parse("2026Q3")
    assert [w.label for w in quarter.windows(MONTH)] == ["2026-07", "2026-08", "2026-09"]
    assert [w.label for w in quarter.windows(YEAR)] == ["2026"]
    assert [w.label for w in Period.parse("2026").windows(QUARTER)] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]


def test_containing():
    day = datetime.date(2026, 11, 21)
    assert [str(Period.containing(k, day)) for k in (MONTH, QUARTER, YEAR)] == ["2026-11", "2026Q4", "2026"]


def test_month_helpers_cross_years():
    assert month_start(datetime.date(2026, 2, 17)) == datetime.date(2026, 2, 1)
    assert month_end(datetime.date(2028, 2, 3)) == datetime.date(2028, 2, 29)
    assert add_months(datetime.date(2026, 3, 31), -5) == datetime.date(2025, 10, 1)
    assert add_months(datetime.date(2026, 11, 21), 2) == datetime.date(2027, 1, 1)
    assert add_months(datetime.date(2026, 11, 21), 0) == datetime.date(2026, 11, 1)
