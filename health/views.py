"""Health-check pages: the branch's scores (adjust, submit), the department's review (approve,
return, publish), and a member's own published breakdown.

Branches are fetched through ``branches.access`` (404 outside the user's subtree, 403 inside
without the permission); every change goes through ``health.services``.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from activities.lapse import lapse_warnings, with_last_dates
from activities.page_selectors import page_of
from branches import access
from branches.models import Branch
from branches.params import page_number, period_param
from branches.summaries import is_large
from core.periods import YEAR, Period
from members.models import Member

from . import branch_page, review_summary, selectors, services
from .forms import AdjustForm, CommentForm
from .models import HealthCheck
from .services import HealthError

WARNING_LIMIT = 50
logger = logging.getLogger(__name__)


def _period(request, branch: Branch | None = None) -> Period:
    """The period of the query or form (``?period=2026`` or ``2026Q3``). By default the year the reports
    show for ``branch``'s subtree (``selectors.yearly_checks_period``: this year once it has checks, last
    year until then); this year without a branch."""
    found = period_param(request, services.health_period)
    if found is not None:
        return found
    today = timezone.localdate()
    if branch is None:
        return Period.containing(YEAR, today)
    return services.health_period(selectors.yearly_checks_period(branch, today))


def _back(request, branch: Branch, period: Period) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return f"{reverse('health:branch', args=[branch.code])}?period={period.label}"


def _warnings(branch: Branch) -> dict:
    """The department's overview: the 党章 art. 9 warning (``activities.lapse``) and probation ending."""
    inactive = list(with_last_dates(lapse_warnings(branch=branch))[: WARNING_LIMIT + 1])
    return {
        "inactive": inactive[:WARNING_LIMIT],
        "inactive_more": len(inactive) > WARNING_LIMIT,
        "probation": selectors.probation_ending(branch=branch)[:WARNING_LIMIT],
    }


def _lapse_list_url(branch: Branch, actions: branch_page.BranchActions) -> str:
    """Where the branch's page sends its reader for the art. 9 list, which it does not repeat: the
    workbench's 脱党预警 of the branch (those who manage it), else the department's overview."""
    if actions.can_manage:
        return f"{reverse('activities:workbench')}?{urlencode({'branch': branch.code, 'show': 'lapsed'})}"
    return reverse("health:review", args=[branch.code])


# --------------------------------------------------------------------------- the branch's scores


@access.branch_permission_required(access.MANAGE, access.REVIEW)
def branch(request, branch: Branch):
    """The secretary's page: the members' breakdowns ``CHECKS_PAGE_SIZE`` a page, adjustments,
    submission; the review steps (over every check of the branch, counted in one query)."""
    period = _period(request, branch)
    checks = selectors.checks_of_branch(branch=branch, period=period.label)
    counts = branch_page.check_counts(checks)
    page = page_of(checks, page_number(request), size=branch_page.CHECKS_PAGE_SIZE)
    actions = branch_page.BranchActions(
        counts,
        can_manage=access.has_perm(request.user, access.MANAGE, branch),
        can_review=access.has_perm(request.user, access.REVIEW, branch),
    )
    returned = counts.get(HealthCheck.Status.RETURNED, 0)
    context = {
        "branch": branch,
        "period": period,
        "checks": page.items,
        "page": page,
        "page_query": urlencode({"period": period.label}),
        "summary": selectors.BranchReview(branch, counts),
        "actions": actions,
        "can_manage": actions.can_manage,
        "can_review": actions.can_review,
        "returned": returned,
        "latest_return": branch_page.latest_return(branch=branch, period=period.label) if returned else None,
        "history": branch_page.history_of_branch(branch=branch, period=period.label),
        "adjust_form": AdjustForm(),
        "comment_form": CommentForm(),
        "probation": selectors.probation_ending(branch=branch)[:WARNING_LIMIT],
        "lapse_url": _lapse_list_url(branch, actions),
    }
    return render(request, "health/branch.html", context)


def _act(request, branch: Branch, period: Period, call, done: str):
    try:
        count = call()
    except HealthError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done.format(count=count))
    return redirect(_back(request, branch, period))


@require_POST
@access.branch_permission_required(access.MANAGE, access.REVIEW)
def compute(request, branch: Branch):
    """Recompute the branch's subtree in the background (inline without a broker)."""
    from partysite.celery import QUEUE_ERRORS, broker_check

    from .tasks import compute_health_checks

    period = _period(request)
    try:  # nothing written before: queue at once, and say so plainly if Redis is down
        broker_check()
        compute_health_checks.apply_async((period.label, branch.pk, request.user.pk), retry=False)
    except QUEUE_ERRORS as exc:
        logger.warning("health recomputation of %s could not be queued: %s", branch.code, exc)
        messages.error(request, _("后台任务队列暂时无法连接，体检结果未能开始计算，请稍后再试或联系系统管理员。"))
    else:
        messages.success(request, _("已开始计算，已提交、已审核和已公示的结果不会被覆盖"))
    return redirect(_back(request, branch, period))


@require_POST
@access.branch_permission_required(access.MANAGE)
def submit(request, branch: Branch):
    period = _period(request)
    return _act(
        request,
        branch,
        period,
        lambda: services.health_checks_submit(branch=branch, period=period.label, by=request.user),
        _("已提交 {count} 人的体检结果"),
    )


@require_POST
@access.branch_permission_required(access.REVIEW)
def approve(request, branch: Branch):
    return _review(request, branch, services.health_checks_approve, _("已审核通过 {count} 人的体检结果"))


@require_POST
@access.branch_permission_required(access.REVIEW)
def return_(request, branch: Branch):
    return _review(request, branch, services.health_checks_return, _("已退回 {count} 人的体检结果"))


def _review(request, branch: Branch, service, done_message):
    """Approve or return a branch's checks for the period, with the reviewer's comment."""
    period = _period(request)
    form = CommentForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    return _act(
        request,
        branch,
        period,
        lambda: service(branch=branch, period=period.label, by=request.user, comment=comment),
        done_message,
    )


@require_POST
@access.branch_permission_required(access.REVIEW)
def publish(request, branch: Branch):
    period = _period(request)
    return _act(
        request,
        branch,
        period,
        lambda: services.health_checks_publish(branch=branch, period=period.label, by=request.user),
        _("已公示 {count} 人的体检结果"),
    )


@require_POST
def adjust(request, pk: int):
    """The secretary's adjustment of one member's check (±5 with a written reason)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    visible = HealthCheck.objects.filter(access.branch_scope_q(request.user, "branch__path")).select_related("branch")
    check = access.managed_or_404(request.user, visible, pk=pk)
    period = services.health_period(check.period)
    form = AdjustForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写调整分值（数字）和理由"))
        return redirect(_back(request, check.branch, period))
    try:
        services.health_check_adjust(
            check=check, adjustment=form.cleaned_data["adjustment"], reason=form.cleaned_data["reason"], by=request.user
        )
    except HealthError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已调整，理由已记录"))
    return redirect(_back(request, check.branch, period))


# --------------------------------------------------------------------------- the department's review


@access.branch_permission_required(access.MANAGE, access.REVIEW)
def review(request, branch: Branch):
    """Every branch of the subtree with checks for the period, how far each has gone, and the warnings.

    Secretaries of a higher node see it too (to reach their branches); only reviewers get the
    approve, return and publish buttons.
    """
    period = _period(request, branch)
    context = {
        "root": branch,
        "period": period,
        "can_review": access.has_perm(request.user, access.REVIEW, branch),
        "comment_form": CommentForm(),
        "next": request.get_full_path(),
    }
    if is_large(branch):  # a city: one row per child, each a drill-down, the figures kept a few minutes
        children = review_summary.kept_review_by_child(branch, period.label, timezone.localdate())
        context |= {"children": children.value, "computed_at": children.computed_at, "rows": []}
        context["summary_minutes"] = settings.SUBTREE_SUMMARY_SECONDS // 60
    else:
        context |= {"rows": selectors.branches_for_review(root=branch, period=period.label), **_warnings(branch)}
    return render(request, "health/review.html", context)


# --------------------------------------------------------------------------- the member's own


def me(request):
    """A member's own published checks, item by item (phone-sized page)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    member = Member.objects.filter(user=request.user).first()
    if member is None:
        raise Http404(_("您的账号没有关联党员档案"))
    checks = list(selectors.published_checks_of(member))
    return render(request, "health/me.html", {"member": member, "checks": checks})


def index(request):
    """Where the user's health-check pages are: own results, branches to score, subtrees to review."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    period = _period(request)
    tops = list(access.top_branches(request.user))
    links = [b for b in tops if access.has_any(request.user, (access.REVIEW, access.MANAGE), b)]
    is_member = Member.objects.filter(user=request.user).exists()
    return render(request, "health/index.html", {"links": links, "is_member": is_member, "period": period})
