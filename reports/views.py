"""Pages of the reports: the organization department's dashboard, background jobs, one's reminders.

The dashboard and the exports need ``review_health`` or ``view_branch`` on the subtree;
recomputing needs ``review_health``. Outside the user's subtree a page answers 404, inside
without the permission 403. Each page runs a constant number of queries.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from activities.compliance import KIND_LABELS, LINE_KINDS, Period
from activities.study import hours_required
from branches import access
from branches.models import Branch
from branches.params import period_param
from health.models import HealthCheck
from members.models import Member
from service.figures import stored_section

from . import jobs, schedule, selectors
from .charts import bar_chart
from .forms import DashboardForm
from .models import Job
from .structure import label

STRUCTURE_WARNINGS_SHOWN = 50


def _reports_branch(request, code: str) -> Branch:
    """The branch of the URL: 404 outside the user's subtree, 403 without view or review."""
    branch = access.get_branch_or_404(request.user, code=code)
    access.require_any(request.user, jobs.READ_REPORTS, branch, _("您没有查看报表的权限"))
    return branch


_GROUPS = (("month", _lazy("月度")), ("quarter", _lazy("季度")), ("year", _lazy("年度")))


def _period_choices(today, computed: set[str], chosen: Period) -> list[tuple[str, list[tuple[str, str]]]]:
    """The dashboard's periods, by kind, latest first: every one the beat computes (reports/schedule.py),
    those with a report, and the one shown; one without a report for this branch says so."""
    periods = {p.label: p for p in schedule.ended_periods(today)}
    periods.update((label, Period.parse(label)) for label in computed)
    periods[chosen.label] = chosen
    ordered = sorted(periods.values(), key=lambda p: (p.year, p.first_month), reverse=True)
    missing = _("（未计算）")
    return [
        (label, [(p.label, p.display + ("" if p.label in computed else missing)) for p in ordered if p.kind == kind])
        for kind, label in _GROUPS
    ]


def _dashboard_url(branch: Branch, period: str) -> str:
    url = reverse("reports:dashboard", kwargs={"code": branch.code})
    return f"{url}?{urlencode({'period': period})}" if period else url


@access.login_required
def dashboard_home(request):
    """The dashboard of the highest organization the user may read reports of."""
    branch = access.top_branches(request.user).first()
    if branch is None:
        raise PermissionDenied(_("您没有查看报表的权限"))
    return redirect("reports:dashboard", code=branch.code)


@access.login_required
def dashboard(request, code):
    user = request.user
    branch = _reports_branch(request, code)
    today = timezone.localdate()
    chosen = period_param(request, Period.parse) or schedule.last_complete_month(today)
    period = chosen.label
    place = DashboardForm(request.GET, user=user, initial={"branch": branch})
    other = place.chosen()
    if other is not None and other != branch:  # the picker named another organization
        return redirect(_dashboard_url(other, period))
    computed = set(selectors.periods_of(branch, limit=60))
    report = selectors.report_of(branch, period)
    if report is not None:
        computed.add(period)
    children = selectors.child_reports(branch, period) if report else []
    # 为民服务 (issue 16): the stored figures of the branch and its children, beside the report (one query).
    service, service_children = stored_section(branch=branch, period=period) if report else (None, [])
    trail = [b for b in Branch.objects.filter(path__in=branch.ancestor_paths()[:-1]) if access.can_view(user, b)]
    context = {
        "branch": branch,
        "trail": trail,
        "period": period,
        "period_display": chosen.display,
        "period_choices": _period_choices(today, computed, chosen),
        "place": place,
        "report": report,
        # No report yet: when the beat computes it (None: only on request; no beat without Redis).
        "beat": bool(settings.REDIS_URL),
        "next_computation": None if report else schedule.next_computation(chosen),
        "catch_up_months": settings.REPORTS_CATCH_UP_MONTHS,
        "children": [(child, _dashboard_url(child.branch, period)) for child in children],
        "charts": _charts(report, children, period) if report else [],
        "meetings": _meeting_rows(report) if report else [],
        "can_recompute": access.has_perm(user, access.REVIEW, branch),
        "my_jobs": jobs.jobs_of(user, branch),
        "health_period": report.data["health"]["period"] if report else "",
        # The checks the report counts, on the health pages (those who manage or review them).
        "health_link": bool(report) and access.has_any(user, (access.MANAGE, access.REVIEW), branch),
        # Reports computed before these figures existed have neither: the page leaves them out.
        "organizations": _organizations(report),
        "study": report.data.get("study") if report else None,
        "study_required": (hours_required(committee=False), hours_required(committee=True)),
        "warnings": _structure_warnings(report, branch, period),
        "job_kinds": Job.Kind,
        "service": service,
        "service_children": service_children,
        "service_figures_period": period if chosen.kind in ("month", "year") else "",
    }
    return render(request, "reports/dashboard.html", context)


def _structure_warnings(report, branch: Branch, period: str) -> dict | None:
    """The report's structure warnings: counts per warning, and the first flagged 党支部 (one query,
    only when there are some). None for a report computed before they existed."""
    structure = report.data.get("structure") if report else None
    if not structure or "warnings" not in structure:
        return None
    flagged = (
        selectors.flagged_branches(branch, period, limit=STRUCTURE_WARNINGS_SHOWN) if report.structure_warnings else []
    )
    return {
        "total": report.structure_warnings,
        "rows": [(label(w), n) for w, n in structure["warnings"].items() if n],
        "branches": [
            (r, [label(w) for w, n in r.data["structure"]["warnings"].items() if n], r.data["structure"]["committee"])
            for r in flagged
        ],
        "more": report.structure_warnings > len(flagged),
    }


def _organizations(report) -> dict | None:
    """The report's count of organizations by kind; 党小组 and 党员中心户 apart (not organizations)."""
    structure = report.data.get("structure") if report else None
    if not structure:
        return None
    organizations = structure["organizations"]
    return {
        "total": sum(organizations.values()),
        "kinds": [(Branch.Kind(kind).label, n) for kind, n in organizations.items()],
        "groups": structure["groups"],
        "households": structure["households"],
    }


def _meeting_rows(report) -> list[dict]:
    rows = []
    for kind in LINE_KINDS:
        m = report.data["meetings"].get(kind)  # a report computed before a kind of line existed lacks it
        if m and m["lines"]:
            rows.append({"label": KIND_LABELS[kind], **m})
    return rows


def _charts(report, children, period: str) -> list:
    data = report.data
    occupation = data["members"].get("by_occupation", {})  # absent from reports computed before the split
    grades = data["health"]["grades"]
    charts = [
        bar_chart(
            _("党员职业类别"),
            [(label, occupation.get(value, 0), "", "") for value, label in Member.Occupation.choices],
        ),
        bar_chart(
            _("会议落实（已开/应开）"),
            [
                (
                    KIND_LABELS[kind],
                    m["held"] * 100 // m["required"] if m["required"] else None,
                    f"{m['held']}/{m['required']}",
                    "",
                )
                for kind, m in data["meetings"].items()
                if m["required"]
            ],
            maximum=100,
        ),
        bar_chart(
            _("政治体检等次（%(period)s）") % {"period": data["health"]["period"]},
            [(label, grades.get(value, 0), "", "") for value, label in HealthCheck.Grade.choices],
        ),
    ]
    if children:
        charts.append(
            bar_chart(
                _("下级组织出勤率"),
                [(c.branch.name, c.attendance_rate, "", _dashboard_url(c.branch, period)) for c in children],
                maximum=100,
                unit="%",
            )
        )
        charts.append(
            bar_chart(
                _("下级组织党费收缴率"),
                [(c.branch.name, c.dues_rate, "", _dashboard_url(c.branch, period)) for c in children],
                maximum=100,
                unit="%",
            )
        )
    return charts


@require_POST
@access.login_required
def job_start(request, code):
    branch = access.get_branch_or_404(request.user, code=code)
    kind = request.POST.get("kind", "")
    access.require_any(request.user, jobs.perms_to_start(kind), branch)
    period = request.POST.get("period", "")
    try:
        job = jobs.job_start(kind=kind, branch=branch, period=period, by=request.user)
    except jobs.JobError as exc:
        messages.error(request, exc.message)
        if kind == Job.Kind.EXPORT_MEMBERS:
            return redirect("members:list")
        return redirect(_dashboard_url(branch, period if exc.code != "invalid_period" else ""))
    return redirect("reports:job", pk=job.pk)


@access.login_required
def job_detail(request, pk):
    job = get_object_or_404(jobs.visible_jobs(request.user).select_related("branch"), pk=pk)
    may_retry = job.status == Job.Status.FAILED and jobs.may_start(request.user, job.kind, job.branch)
    return render(request, "reports/job.html", {"job": job, "branch": job.branch, "may_retry": may_retry})


@require_POST
@access.login_required
def job_retry(request, pk):
    """Start a failed job again: whoever started it, if they may still start it."""
    job = get_object_or_404(jobs.visible_jobs(request.user).select_related("branch"), pk=pk)
    access.require_any(request.user, jobs.perms_to_start(job.kind), job.branch)
    try:
        retried = jobs.job_retry(job=job, by=request.user)
    except jobs.JobError as exc:
        messages.error(request, exc.message)
        return redirect("reports:job", pk=job.pk)
    return redirect("reports:job", pk=retried.pk)


@access.login_required
def job_download(request, pk):
    job = get_object_or_404(jobs.visible_jobs(request.user).select_related("branch"), pk=pk)
    if job.status != Job.Status.DONE or not job.result_file:
        raise Http404(_("没有可下载的文件"))
    try:
        handle = job.result_file.open("rb")  # the private storage: no URL reaches it but this view
    except FileNotFoundError:  # swept after PRIVATE_FILES_MAX_AGE_DAYS
        raise Http404(_("文件已不存在，请重新导出")) from None
    response = FileResponse(handle, as_attachment=True, filename=jobs.download_name(job))
    response["Cache-Control"] = "private, no-store"
    return response


@access.login_required
def reminders(request):
    return render(request, "reports/reminders.html", {"reminders": selectors.reminders_of(request.user)})
