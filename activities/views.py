"""Reading pages: the entry point, the secretary's workbench, the subtree's list, the
compliance table, and the activity page with its attendance sheet.

Changes live in ``views_manage`` (secretary), ``views_checkin`` (QR screen and the member's
check-in) and ``views_member`` (the member's phone page).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from branches import access
from branches.models import Branch
from branches.params import month_param, page_number
from branches.summaries import is_large, kept

from . import page_selectors, selectors
from .checkin import secretary_may_record_present
from .compliance import KIND_LABELS, LINE_KINDS, MONTH, QUARTER, REQUIRED_KINDS, YEAR, Cell, Period, compliance_report
from .forms import FileForm, ListFilterForm, ManualCheckInForm, PeriodForm
from .models import ActivityFile, Attendance, LeaveRequest
from .views_common import require_manager, visible_activity
from .views_rules import record_context

COMPLIANCE_UNITS_PER_PAGE = 100


def _query(request, **changes) -> str:
    """The current query string with ``changes`` applied (None drops a key)."""
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + params.urlencode() if params else "?"


@login_required
def index(request):
    """The nav's one link: secretaries to the workbench, other staff to the list, members to their page."""
    if access.manages_any(request.user):
        return redirect("activities:workbench")
    if access.is_staff_user(request.user):
        return redirect("activities:list")
    return redirect("activities:mine")


WORKBENCH_TITLES = {
    "to_log": _lazy("待登记"),
    "missing": _lazy("应开未开的会议"),
    "leave": _lazy("待审批的请假"),
    "lapsed": _lazy("脱党预警"),
    "upcoming": _lazy("即将开展"),
}


@login_required
def workbench(request):
    """The secretary's workbench over every subtree they manage, or one of them (``?branch=``: the
    drill-down from a large subtree's rows per child); ``?show=`` one section in full, by pages."""
    user = request.user
    require_manager(user)
    branch = None
    if code := request.GET.get("branch", "").strip():
        branch = access.get_branch_or_404(user, code=code)
        access.require_any(user, (access.MANAGE,), branch, _("您没有管理该党组织的权限"))
    section = request.GET.get("show", "")
    if section in page_selectors.SECTIONS:
        page = page_selectors.workbench_section(user, section, branch=branch, number=page_number(request))
        context = {
            "section": section,
            "title": WORKBENCH_TITLES[section],
            "branch": branch,
            "page": page,
            "previous_url": _query(request, page=str(page.number - 1)),
            "next_url": _query(request, page=str(page.number + 1)),
        }
        return render(request, "activities/workbench_section.html", context)
    data = page_selectors.workbench(user, branch=branch)
    context = {"wb": data, "branch": branch, "summary_minutes": settings.SUBTREE_SUMMARY_SECONDS // 60}
    return render(request, "activities/workbench.html", context)


@access.staff_required
def activity_list(request):
    """The subtree's activities, newest first, filtered by month, kind, status and branch; 30 a page."""
    user = request.user
    filters = ListFilterForm(request.GET, user=user)
    branch = filters.value("branch") or None  # one not found: an error on the filter, which is not applied
    chosen = month_param(request)
    month = (chosen.year, chosen.month) if chosen else None
    activities = page_selectors.activity_list(
        user, branch=branch, month=month, kind=filters.value("kind"), status=filters.value("status")
    )
    page = page_selectors.page_of(activities, page_number(request))
    counts = selectors.summaries(page.items)
    rows = [(activity, counts[activity.pk]) for activity in page.items]
    context = {
        "filters": filters,
        "branch": branch,
        "month": month,
        "page": page,
        "rows": rows,
        "previous_url": _query(request, page=str(page.number - 1)),
        "next_url": _query(request, page=str(page.number + 1)),
        "month_links": _month_links(request, month),
        "can_plan": access.manages_any(user),
    }
    return render(request, "activities/list.html", context)


def _month_links(request, month: tuple[int, int] | None) -> dict | None:
    if month is None:
        return None
    year, number = month
    previous = (year - 1, 12) if number == 1 else (year, number - 1)
    following = (year + 1, 1) if number == 12 else (year, number + 1)
    return {
        "previous": _query(request, month=f"{previous[0]}-{previous[1]:02d}", page=None),
        "next": _query(request, month=f"{following[0]}-{following[1]:02d}", page=None),
    }


# --- compliance ---------------------------------------------------------------------------


@dataclass
class UnitRow:
    branch: Branch
    cells: list[Cell | None]  # one per required kind, None where the unit has no such requirement


def _shift(period: Period, step: int) -> Period:
    if period.kind == YEAR:
        return Period(YEAR, period.year + step)
    size = 12 if period.kind == MONTH else 4
    index = period.index - 1 + step
    return Period(period.kind, period.year + index // size, index % size + 1)


def _period_query(request, period: Period) -> str:
    return _query(request, kind=period.kind, year=str(period.year), index=str(period.index or ""), page=None)


@access.staff_required
def compliance(request):
    """Held against required meetings per unit, and rolled up per child of the chosen branch."""
    user = request.user
    today = timezone.localdate()
    form = PeriodForm(request.GET, user=user)
    period = form.period(Period.containing(MONTH, today))
    root = form.cleaned_data.get("branch") or access.top_branches(user).first()
    if root is None:
        raise Http404
    form.initial.setdefault("branch", root)  # the picker shows the branch the page is about
    kinds = LINE_KINDS if period.kind == YEAR else REQUIRED_KINDS  # the secretary's 党课 is a yearly line
    units, rows, computed_at = None, [], None
    if is_large(root):  # a city: its totals per child, kept a few minutes; each child a drill-down
        kept_summary = kept(
            "compliance",
            root,
            [period.label, today],
            lambda: page_selectors.compliance_summary(compliance_report(branch=root, period=period, today=today)),
            large=True,
        )
        summary, computed_at = kept_summary.value, kept_summary.computed_at
    else:
        report = compliance_report(branch=root, period=period, today=today)
        units = Paginator(report.branches, COMPLIANCE_UNITS_PER_PAGE).get_page(page_number(request))
        rows = [UnitRow(unit.branch, [unit.cells().get(kind) for kind in kinds]) for unit in units]
        summary = page_selectors.compliance_summary(report)
    context = {
        "form": form,
        "period": period,
        "root": root,
        "unit_count": summary.units,
        "kinds": [(kind, KIND_LABELS[kind], summary.rollup[kind]) for kind in kinds],
        "units": units,
        "rows": rows,
        "children": summary.children,
        "total": summary.total,
        "computed_at": computed_at,
        "summary_minutes": settings.SUBTREE_SUMMARY_SECONDS // 60,
        "previous_url": _period_query(request, _shift(period, -1)),
        "next_url": _period_query(request, _shift(period, 1)),
        "quick_urls": [
            (_period_query(request, Period.containing(MONTH, today)), _("本月")),
            (_period_query(request, Period.containing(QUARTER, today)), _("本季度")),
            (_period_query(request, Period.containing(YEAR, today)), _("本年")),
        ],
    }
    return render(request, "activities/compliance.html", context)


# --- the activity page --------------------------------------------------------------------


@login_required
def detail(request, pk: int):
    """The activity: details, attendance sheet with counts, leave requests, minutes, resolutions, files."""
    user = request.user
    activity = visible_activity(user, pk, "host", "recorder", "speaker", "held_by", "cancelled_by")
    can_manage = access.has_perm(user, access.MANAGE, activity.branch)
    files = list(activity.files.select_related("uploaded_by"))
    context = {
        "activity": activity,
        "can_manage": can_manage,
        "editable": can_manage and not activity.is_cancelled,
        "can_sign": can_manage and not activity.is_cancelled and secretary_may_record_present(activity, timezone.now()),
        "sheet": selectors.attendance_sheet(activity),
        "summary": selectors.attendance_summary(activity),
        **record_context(user, activity, editable=can_manage and not activity.is_cancelled),
        "extra_kinds": [row.get_kind_display() for row in activity.extra_kinds.all()],
        "photos": [f for f in files if f.kind == ActivityFile.Kind.PHOTO],
        "documents": [f for f in files if f.kind == ActivityFile.Kind.DOCUMENT],
        "leave_requests": sorted(
            activity.leave_requests.select_related("member", "decided_by").order_by("requested_at", "pk"),
            key=lambda leave: leave.status != LeaveRequest.Status.PENDING,  # waiting ones first
        ),
        "file_form": FileForm(),
        "manual_form": ManualCheckInForm(),
        "present": Attendance.Status.PRESENT,
        "now": timezone.now(),
    }
    return render(request, "activities/detail.html", context)


@login_required
def file_download(request, pk: int, file_pk: int):
    """A photo or document, served only to those who may read the activity."""
    activity = visible_activity(request.user, pk)
    item = get_object_or_404(ActivityFile.objects.filter(activity=activity), pk=file_pk)
    as_attachment = item.kind != ActivityFile.Kind.PHOTO
    try:
        handle = item.file.open("rb")  # the private storage: no URL reaches it but this view
    except FileNotFoundError:
        raise Http404(_("文件已不存在")) from None
    response = FileResponse(handle, as_attachment=as_attachment, filename=item.original_name)
    response["Cache-Control"] = "private, max-age=3600"
    return response
