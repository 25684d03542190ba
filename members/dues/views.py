"""党费 pages: a branch's month (record payments one by one), generating a month's rows,
declared income, the Excel import (upload, check, confirm) and arrears per branch.

Branches come through ``branches.access`` and members through ``Member.objects.visible_to``:
404 outside the user's subtree, 403 inside without the permission. Reading a branch's dues
needs MANAGE or REVIEW there; recording, generating and declaring income need MANAGE on
the member's (or the page's) branch. Every change goes through a service.
"""

from __future__ import annotations

import datetime
import io
import logging
import os
from decimal import Decimal
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook
from openpyxl.styles import Font

from branches import access
from branches.excel import safe_row
from branches.files import save_failed_message
from branches.forms import add_domain_error
from branches.models import Branch
from branches.params import month_param, month_value, page_number
from branches.summaries import is_large, kept
from core.periods import add_months, month_start

from .. import selectors
from ..models import DuesPayment, Member
from ..roster_io.checks import RowError
from ..roster_io.sheets import ImportFileError, ParsedFile, parse_file, pending_discard, pending_keep, pending_load
from . import selectors as dues_selectors
from .basis import DuesBasis, Payer, basis_for
from .forms import (
    ArrearsForm,
    DuesImportForm,
    DuesRecordForm,
    GenerateForm,
    IncomeForm,
)
from .importing import COLUMNS, DuesImportResult, import_dues
from .income import member_income_declare
from .payments import dues_generate_month, dues_record
from .rules import DuesError, is_large_voluntary, max_delay_months, overdue_through, payment_deadline
from .selectors import dues_arrears_by_branch

logger = logging.getLogger(__name__)
PAGE_SIZE = 50
ARREARS_PAGE_SIZE = 100
MISSING_INCOME_SHOWN = 20
_SESSION_KEY = "dues_import_pending"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _branch(request, code: str, *perms: str) -> Branch:
    """The branch if visible (else 404) and the user holds any of ``perms`` there (else 403)."""
    branch = access.get_branch_or_404(request.user, code=code)
    access.require_any(request.user, perms, branch, _("您没有查看该党组织党费的权限"))
    return branch


def _managed_member(request, pk: int) -> Member:
    return selectors.managed_member_or_404(request.user, pk, message=_("您没有管理该党员的权限"))


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _month_url(branch: Branch, month: datetime.date) -> str:
    return f"{reverse('members:dues_branch', args=[branch.code])}?month={month:%Y-%m}"


# --------------------------------------------------------------------------- a branch's month


@login_required
def branch_dues(request, code: str):
    """Every member on the month's roster with what was due, paid and when; 50 a page."""
    branch = _branch(request, code, access.MANAGE, access.REVIEW)
    month = month_param(request) or month_start(timezone.localdate())
    paginator = Paginator(dues_selectors.dues_month_rows(branch=branch, month=month), PAGE_SIZE)
    page = paginator.get_page(page_number(request))
    rows = list(page.object_list)
    user = request.user
    today = timezone.localdate()
    month_overdue = month <= overdue_through(today)
    basis = DuesBasis([Payer.of(m) for m in rows if m.payment_id is None], first=month, last=month)
    for member in rows:
        live = member.payment_id is not None and member.cancelled_at is None
        member.can_record = member.is_active and access.has_perm(user, access.MANAGE, member.branch)
        member.can_record = member.can_record and (member.payment_id is None or live)
        member.large = live and is_large_voluntary(member.voluntary)
        member.paid_total = (member.paid or 0) + (member.voluntary or 0)  # the inline form re-splits it
        member.overdue = month_overdue and live and member.paid < member.due
        if member.payment_id is None:
            member.would_be_due = basis.due(member.pk, month)
    context = {
        "branch": branch,
        "month": month,
        "deadline": payment_deadline(month),
        "delay_months": max_delay_months(),
        "previous_month": add_months(month, -1),
        "next_month": add_months(month, 1),
        "page": page,
        "rows": rows,
        "totals": dues_selectors.dues_month_totals(branch=branch, month=month),
        "can_manage": access.has_perm(user, access.MANAGE, branch),
        "today": today,
        "here": request.get_full_path(),
    }
    return render(request, "members/dues_branch.html", context)


@login_required
@require_POST
def generate(request, code: str):
    """Create the month's due rows for the branch's subtree; existing rows stay as they are."""
    branch = _branch(request, code, access.MANAGE)
    form = GenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("月份应写成 2026-03 的形式"))
        return redirect("members:dues_branch", code=branch.code)
    month = form.cleaned_data["month"]
    result = dues_generate_month(branch=branch, month=month, by=request.user)
    messages.success(
        request,
        _("%(month)s：新生成 %(created)d 条，已有 %(existing)d 条")
        % {"month": f"{month:%Y-%m}", "created": result.created, "existing": result.existing},
    )
    if result.missing_income:
        names = "、".join(m.name for m in result.missing_income[:MISSING_INCOME_SHOWN])
        more = (
            _("等 %(n)d 人") % {"n": len(result.missing_income)}
            if len(result.missing_income) > MISSING_INCOME_SHOWN
            else ""
        )
        messages.warning(
            request, _("以下党员未申报月收入，未生成应缴记录：%(names)s%(more)s") % {"names": names, "more": more}
        )
    return redirect(_month_url(branch, month))


@login_required
def record(request, pk: int, year: int, month: int):
    """Record one member's payment for one month (the row is created with its due if missing)."""
    member = _managed_member(request, pk)
    first = month_value(year, month)
    row = DuesPayment.objects.filter(member=member, month=first).first()
    due = row.due if row else basis_for([member], first=first).due(member.pk, first)
    back = _safe_next(request, _month_url(member.branch, first))
    if request.method == "POST":
        form = DuesRecordForm(request.POST)
        if form.is_valid():
            try:
                saved = dues_record(member=member, month=first, by=request.user, **form.cleaned_data)
            except DuesError as exc:
                add_domain_error(form, exc)
            else:
                _recorded_messages(request, member, saved)
                return redirect(back)
    else:
        initial = {
            "paid": row.paid if row and row.paid else due,
            "voluntary": row.voluntary if row and row.voluntary else None,
            "paid_on": (row and row.paid_on) or timezone.localdate(),
        }
        form = DuesRecordForm(initial=initial)
    context = {
        "member": member,
        "month": first,
        "row": row,
        "due": due,
        "form": form,
        "income_form": IncomeForm(initial={"monthly_income": member.monthly_income}),
        "large": row is not None and is_large_voluntary(row.voluntary),
        "deadline": payment_deadline(first),
        "back": back,
        "here": request.get_full_path(),
    }
    return render(request, "members/dues_record.html", context)


def _recorded_messages(request, member: Member, row: DuesPayment) -> None:
    messages.success(
        request, _("已记录 %(name)s %(month)s 的党费") % {"name": member.name, "month": f"{row.month:%Y-%m}"}
    )
    if row.voluntary:
        messages.info(request, _("自愿多交 %(amount)s 元") % {"amount": row.voluntary})
    if is_large_voluntary(row.voluntary):
        messages.warning(request, _("单笔1000元以上，全额上缴中央"))


@login_required
def income(request, pk: int):
    """Declare a member's monthly income (the dues brackets apply to it)."""
    member = _managed_member(request, pk)
    back = _safe_next(request, reverse("members:detail", args=[member.pk]))
    form = IncomeForm(request.POST or None, initial={"monthly_income": member.monthly_income})
    if request.method == "POST" and form.is_valid():
        try:
            member_income_declare(member=member, by=request.user, **form.cleaned_data)
        except DuesError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已保存 %(name)s 的月收入") % {"name": member.name})
            return redirect(back)
    context = {"member": member, "form": form, "back": back}
    return render(request, "members/dues_income.html", context)


# --------------------------------------------------------------------------- arrears


@login_required
def arrears(request, code: str):
    """Per branch of the subtree: due, paid, owed, months and members in arrears (one query)."""
    branch = _branch(request, code, access.MANAGE, access.REVIEW)
    form = ArrearsForm(request.GET or None)
    start = end = None
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    today = timezone.localdate()
    large = is_large(branch)  # a city: per child, each a drill-down, the figures kept a few minutes
    figures = kept(
        "dues_arrears",
        branch,
        [start, end, today],
        lambda: dues_arrears_by_branch(branch=branch, start=start, end=end, today=today, per_child=large),
        large=large,
    )
    rows = figures.value
    total_due = sum((r.due for r in rows), Decimal(0))
    total_paid = sum((r.paid for r in rows), Decimal(0))
    page = Paginator(rows, ARREARS_PAGE_SIZE).get_page(page_number(request))
    context = {
        "branch": branch,
        "form": form,
        "page": page,
        "start": start,
        "end": end,
        "month": end or month_start(today),
        "total_due": total_due,
        "total_paid": total_paid,
        "total_owed": total_due - total_paid,
        "total_members": sum(r.members_in_arrears for r in rows),
        "total_overdue": sum(r.months_overdue for r in rows),
        "total_large": sum(r.large_payments for r in rows),
        "delay_months": max_delay_months(),
        "per_child": large,
        "computed_at": figures.computed_at,
        "summary_minutes": settings.SUBTREE_SUMMARY_SECONDS // 60,
    }
    return render(request, "members/dues_arrears.html", context)


# --------------------------------------------------------------------------- the Excel import


def _require_manager(request) -> None:
    access.require_manager(request.user, _("您没有管理权限，不能导入党费"))


def _preview(request, upload) -> tuple[DuesImportResult, ParsedFile | None]:
    """Parse the upload once and check every row; the parsed rows are kept for the confirmation."""
    try:
        parsed = parse_file(upload, name=os.path.basename(upload.name or ""))
    except ImportFileError as exc:
        return DuesImportResult(dry_run=True, errors=[RowError(None, None, exc.message)]), None
    return import_dues(parsed, user=request.user, dry_run=True), parsed


@login_required
def import_upload(request):
    """Upload: every row is checked, nothing is written. No error: a preview to confirm."""
    _require_manager(request)
    form = DuesImportForm(request.POST or None, request.FILES or None)
    context = {"form": form, "result": None, "pending": None, "columns": list(COLUMNS.values())}
    if request.method == "POST" and form.is_valid():
        result, parsed = _preview(request, form.cleaned_data["file"])
        context["result"] = result
        if result.ok:
            try:
                context["pending"] = pending_keep(request.session, _SESSION_KEY, parsed)
            except OSError:  # the preview could not be stored (a full disk): nothing partial is left
                logger.exception("dues import preview not stored")
                messages.error(request, save_failed_message())
    return render(request, "members/dues_import.html", context)


@login_required
@require_POST
def import_confirm(request):
    """Write the checked file: all rows or, if anything changed meanwhile and a row fails, none."""
    _require_manager(request)
    _pending, parsed = pending_load(request.session, _SESSION_KEY, request.POST.get("token"))
    if parsed is None:
        messages.error(request, _("没有待确认的导入，请重新上传文件"))
        return redirect("members:dues_import")
    try:
        result = import_dues(parsed, user=request.user)
    except DatabaseError:  # rolled back: nothing written; a message, not a 500
        logger.exception("dues import not written")
        pending_discard(request.session, _SESSION_KEY)
        messages.error(request, _("数据库暂时无法写入，未导入任何数据，请稍后重新上传文件"))
        return redirect("members:dues_import")
    pending_discard(request.session, _SESSION_KEY)
    if not result.ok:
        context = {"form": DuesImportForm(), "result": result, "pending": None, "columns": list(COLUMNS.values())}
        return render(request, "members/dues_import.html", context)
    messages.success(
        request,
        _("党费已导入：新增 %(created)d 条，更新 %(updated)d 条")
        % {"created": result.created, "updated": result.updated},
    )
    return redirect("members:dues_import")


@login_required
def import_template(request):
    """An empty sheet with the import's headers, and a sheet of instructions."""
    _require_manager(request)
    book = Workbook()
    sheet = book.active
    sheet.title = _("党费")
    headers = [COLUMNS[key] for key in ("name", "id_number", "month", "paid", "paid_on", "voluntary")]
    sheet.append(safe_row(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["B"].width = 22
    sheet.column_dimensions["C"].width = 10
    sheet.column_dimensions["E"].width = 12
    notes = book.create_sheet(_("填写说明"))
    for line in (
        _("每行填写一名党员一个月的党费，只导入第一个工作表。"),
        _("公民身份号码：18位，请设为文本格式。姓名可不填，填写时须与花名册一致。"),
        _("月份：如 2026-03 或 2026年3月。实缴金额：单位元，最多两位小数，未交填0。"),
        _("缴纳日期：如 2026-03-15；已缴纳的必须填写，不能晚于今天。"),
        _("自愿多交：可不填；实缴金额超出应缴金额的部分也记为自愿多交。"),
        _("任何一行有错误时整个文件都不会导入，请按提示修改后重新上传。"),
    ):
        notes.append(safe_row([line]))
    notes.column_dimensions["A"].width = 80
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    filename = quote(_("党费导入模板") + ".xlsx")
    response["Content-Disposition"] = f"attachment; filename=\"dues-template.xlsx\"; filename*=UTF-8''{filename}"
    return response
