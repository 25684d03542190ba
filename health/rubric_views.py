"""评分细则 pages: the rubric in force for a branch and year, and the organization department's
editing of its subtree's rubric for a year.

Reading needs MANAGE or REVIEW on the branch (the secretary sees what scores the branch);
editing needs REVIEW. Branches come through ``branches.access`` (404 outside the user's
subtree, 403 inside without the permission); saving goes through ``health.services.rubric_save``,
which validates the rubric with ``health.rubric.validate``.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from branches import access
from branches.forms import add_domain_error
from branches.models import Branch
from branches.params import MAX_YEAR, MIN_YEAR, int_param
from members.models import Commendation, Sanction

from .models import Rubric
from .rubric_forms import DEDUCTED_KINDS, RubricForm
from .services import HealthError, rubric_in_force, rubric_save


def _year(request: HttpRequest) -> int:
    """The query string's year (400 if absurd); a posted year is the form's to check."""
    return int_param(request, "year", default=timezone.localdate().year, low=MIN_YEAR, high=MAX_YEAR, query=request.GET)


def _source(rubric: Rubric | None, branch: Branch) -> str:
    """Where the rubric in force comes from, in words."""
    if rubric is None:
        return _("系统默认评分细则")
    if rubric.branch is None:
        return _("全局评分细则（%(year)d 年起施行）") % {"year": rubric.year}
    if rubric.branch.pk == branch.pk:
        return _("本组织的评分细则（%(year)d 年起施行）") % {"year": rubric.year}
    return _("上级组织“%(name)s”的评分细则（%(year)d 年起施行）") % {"name": rubric.branch.name, "year": rubric.year}


def _described(config: dict) -> dict:
    """The rubric's bonuses, deductions and veto with their Chinese names, for the page."""
    levels, kinds = dict(Commendation.Level.choices), dict(Sanction.Kind.choices)
    grades = {g["grade"]: g["label"] for g in config["grades"]}
    return {
        "bonuses": [(levels.get(k, k), v) for k, v in config.get("commendation_points", {}).items()],
        "deductions": [(kinds.get(k, k), v) for k, v in config.get("deduction_points", {}).items()],
        "veto_labels": [kinds.get(k, k) for k in config.get("veto_kinds", [])],
        "veto_grade_label": grades.get(config.get("veto_grade"), ""),
    }


@access.branch_permission_required(access.MANAGE, access.REVIEW)
def show(request, branch: Branch):
    """The rubric scoring the branch's members in a year, item by item; the branch's own rubrics."""
    year = _year(request)
    rubric, config = rubric_in_force(branch=branch, year=year)
    context = {
        "branch": branch,
        "year": year,
        "rubric": rubric,
        "config": config,
        "source": _source(rubric, branch),
        **_described(config),
        "own": list(Rubric.objects.filter(branch=branch).select_related("updated_by").order_by("-year")),
        "can_edit": access.has_perm(request.user, access.REVIEW, branch),
    }
    return render(request, "health/rubric_detail.html", context)


@access.branch_permission_required(access.REVIEW)
@require_http_methods(["GET", "POST"])
def edit(request, branch: Branch):
    """Create or change the rubric of the branch's subtree from a year on (organization department)."""
    year = _year(request)
    own = Rubric.objects.filter(branch=branch, year=year).first()
    base = own.config if own is not None else rubric_in_force(branch=branch, year=year)[1]
    data = request.POST if request.method == "POST" else None
    form = RubricForm(data, config=base, initial={"year": year})
    if data is not None and form.is_valid():
        try:
            saved = rubric_save(
                branch=branch,
                year=form.cleaned_data["year"],
                config=form.config(),
                name=form.cleaned_data["name"],
                by=request.user,
            )
        except HealthError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("已保存“%(name)s”，自 %(year)d 年起在%(branch)s及下级组织施行")
                % {"name": saved.name, "year": saved.year, "branch": branch.name},
            )
            return redirect(f"{reverse('health:rubric', args=[branch.code])}?year={saved.year}")
    context = {
        "branch": branch,
        "year": year,
        "own": own,
        "form": form,
        "deducted_kinds": DEDUCTED_KINDS,
    }
    return render(request, "health/rubric_form.html", context)
