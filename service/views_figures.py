"""The organization department's page of 报到 and service figures over a subtree, and its Excel export."""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from openpyxl import Workbook

from branches import access
from branches.excel import safe_row
from branches.summaries import is_large
from core.periods import Period, add_months

from .figures import Figures, stored
from .figures import figures as compute

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period(text: str) -> tuple[Period, str]:
    """The period asked for (a month or a year), else the last month ended (its figures stored with the
    reports: read, not computed) with the reason shown."""
    last_month = Period.containing("month", add_months(timezone.localdate(), -1))
    if not text:
        return last_month, ""
    try:
        return Period.parse(text, kinds=("month", "year"), name="统计期"), ""
    except ValueError as exc:
        return last_month, str(exc)


@login_required
def figures(request, code: str):
    branch = access.get_branch_or_404(request.user, code=code)
    access.require_any(request.user, access.ALL_PERMS, branch)
    period, error = _period(request.GET.get("period", "").strip())
    # An ended period the reports' computation stored is read from its rows (one query); else computed now. Over
    # a large subtree (a city) the page sums the units per child (one more query); the Excel file lists each.
    xlsx = request.GET.get("format") == "xlsx"
    per_child = not xlsx and period.bounds()[1] <= timezone.now() and is_large(branch)
    data = stored(root=branch, period=period, per_child=per_child) or compute(root=branch, period=period)
    if xlsx:
        return _xlsx(branch, data)
    this_year = Period.containing("year", timezone.localdate()).label
    context = {"branch": branch, "data": data, "error": error, "this_year": this_year}
    return render(request, "service/figures.html", context)


def _xlsx(branch, data: Figures) -> HttpResponse:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title="社区")
    sheet.append(["社区党组织", "报到党员", "受理诉求", "办结", "办结率%", "办结用时中位数（小时）", "满意度（星）"])
    for community, registered, loop in data.communities:
        sheet.append(
            safe_row(
                [
                    community.name,
                    registered,
                    loop.received,
                    loop.completed,
                    loop.rate,
                    loop.median_hours,
                    loop.satisfaction,
                ]
            )
        )
    total = data.total
    sheet.append(
        ["合计", data.registered, total.received, total.completed, total.rate, total.median_hours, total.satisfaction]
    )
    units = book.create_sheet(title="单位")
    units.append(["单位党组织", "在职党员", "已报到", "报到率%"])
    for unit in data.units:
        units.append(safe_row([unit.name, unit.employed, unit.registered, unit.rate]))
    units.append(["合计", data.employed, data.registered, data.rate])
    months = book.create_sheet(title="月度")
    months.append(["月份", "受理诉求", "办结", "办结率%", "满意度（星）"])
    for label, loop in data.months:
        months.append([label, loop.received, loop.completed, loop.rate, loop.satisfaction])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="service-{branch.code}-{data.period.label}.xlsx"'
    return response
