"""Cells written to Excel by every export: text that a spreadsheet would run as a formula is escaped.

A member named ``=HYPERLINK("http://…?"&E2,"详情")`` must come out as that text, not as a
live formula (CSV/formula injection). As OWASP recommends, a text cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading single quote. Only
``str`` values are touched: numbers (negative ones too), dates and None pass unchanged.

Every export writes its rows through ``safe_cell`` / ``safe_row``: the roster
(members/roster_io/exporting.py, members/roster_io/resources.py), the dues template
(members/dues/views.py), the reports and health exports (reports/exports.py).
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """``value`` unless it is text a spreadsheet would evaluate; then ``'`` + the text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable) -> list:
    return [safe_cell(value) for value in values]
