"""Pages of the organization tree: the tree, a branch, and managing branches.

Who may change the tree:
- set up a child branch, rename: ``manage_branch`` on the branch itself;
- move, dissolve: ``manage_branch`` on its parent (the organization that decides on it;
  for a root, on the root itself); a move also needs ``manage_branch`` on the new parent.
Outside the user's subtree every page answers 404, inside without the permission 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from . import access, params, picker, selectors, services
from .errors import BranchError
from .forms import BranchCreateForm, BranchDissolveForm, BranchMoveForm, BranchRenameForm, add_domain_error
from .models import Branch
from .panels import Panel, panels_for
from .summaries import is_large


def _decider(branch: Branch, trail: list[Branch]) -> Branch:
    """The organization that decides on moving or dissolving ``branch``: its parent."""
    return trail[-1] if trail else branch


@access.staff_required
def tree(request):
    user = request.user
    root_code = request.GET.get("root", "").strip()
    if root_code:
        root = access.get_branch_or_404(user, code=root_code)
        roots = [root]
        trail = [b for b in selectors.ancestors(root) if access.can_view(user, b)]
    else:
        roots, trail = selectors.top_branches(user), []
    # A city opens on its towns (each a link one level down), its member counts kept a few minutes.
    large = len(roots) == 1 and is_large(roots[0])
    default = selectors.LARGE_DEPTH if large else selectors.DEFAULT_DEPTH
    depth = params.int_param(request, "depth", default=default, low=1, high=selectors.MAX_DEPTH, query=request.GET)
    show_dissolved = request.GET.get("dissolved") == "1"
    query = request.GET.get("q", "").strip()
    nodes = selectors.tree_with_counts(roots, depth=depth, dissolved=show_dissolved, large=large)
    # Thousands of rows: one flat loop, and detail links built from one reversed URL.
    detail_prefix, detail_suffix = reverse("branches:detail", args=["__code__"]).split("__code__")
    context = {
        "nodes": nodes,
        "rows": selectors.flatten(nodes),
        "detail_prefix": detail_prefix,
        "detail_suffix": detail_suffix,
        "dissolved_label": _("已撤销"),
        "deeper_label": _("下级"),
        "columns": selectors.count_columns(),
        "root_code": root_code,
        "trail": trail,
        "depth": depth,
        "depth_choices": range(1, selectors.MAX_DEPTH + 1),
        "show_dissolved": show_dissolved,
        "query": query,
        "found": selectors.search_visible(user, query) if query else None,
    }
    return render(request, "branches/tree.html", context)


@access.staff_required
@require_GET
def search(request):
    """The picker's matches (``?q=``), or the branches of a kind below one (``?under=CODE``, for the
    group and household selects), within the user's scope: JSON, never a 404 (branches/picker.py)."""
    user = request.user
    scope = picker.Scope.from_query(request.GET)
    under = request.GET.get("under")
    if under is not None:
        found, labels = picker.children(user, scope, under), {}
    else:
        found = picker.search(user, scope, request.GET.get("q", ""))
        labels = picker.path_labels(user, found)
    results = [
        {
            "code": b.code,
            "name": b.name,
            "label": labels.get(b.code, b.name),
            "kind": b.get_kind_display(),
            "dissolved": b.is_dissolved,
        }
        for b in found
    ]
    response = JsonResponse({"results": results})
    response["Cache-Control"] = "private, no-store"
    return response


@access.login_required
def detail(request, code):
    user = request.user
    branch = access.get_branch_or_404(user, code=code)
    trail = selectors.ancestors(branch)
    node = selectors.tree_with_counts([branch], depth=2, dissolved=True, large=is_large(branch))[0]
    can_manage = access.has_perm(user, access.MANAGE, branch)
    columns = selectors.count_columns()
    # The children come between the panels of other apps (positions before, members after).
    children = Panel("branches/_children_panel.html", {"node": node, "columns": columns}, order=20)
    context = {
        "branch": branch,
        "node": node,
        "columns": columns,
        "trail": [b for b in trail if access.can_view(user, b)],
        "can_manage": can_manage,
        "can_add_child": can_manage and not branch.is_dissolved and bool(Branch.ALLOWED_CHILDREN[branch.kind]),
        "can_restructure": access.has_perm(user, access.MANAGE, _decider(branch, trail)) and not branch.is_dissolved,
        "panels": sorted([children, *panels_for(request, branch)], key=lambda panel: panel.order),
    }
    return render(request, "branches/detail.html", context)


def _form_page(request, branch, form, **context):
    return render(request, "branches/branch_form.html", {"branch": branch, "form": form, **context})


@access.branch_permission_required(access.MANAGE)
@require_http_methods(["GET", "POST"])
def create_child(request, branch):
    parent = branch
    form = BranchCreateForm(request.POST or None, parent=parent)
    if request.method == "POST" and form.is_valid():
        try:
            child = services.branch_create(parent=parent, by=request.user, **form.cleaned_data)
        except BranchError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已设立“%(name)s”") % {"name": child.name})
            return redirect("branches:detail", code=child.code)
    title = _("在“%(name)s”下设立组织") % {"name": parent.name}
    return _form_page(request, parent, form, title=title, submit=_("设立"))


@access.branch_permission_required(access.MANAGE)
@require_http_methods(["GET", "POST"])
def rename(request, branch):
    initial = {"name": branch.name, "grid_name": branch.grid_name}
    form = BranchRenameForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.branch_rename(branch=branch, by=request.user, **form.cleaned_data)
        except BranchError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("名称已保存"))
            return redirect("branches:detail", code=branch.code)
    return _form_page(request, branch, form, title=_("修改名称和网格"), submit=_("保存"))


@access.login_required
@require_http_methods(["GET", "POST"])
def move(request, code):
    user = request.user
    branch = access.get_branch_or_404(user, code=code)
    access.deny_unless(user, (access.MANAGE,), _decider(branch, selectors.ancestors(branch)))
    form = BranchMoveForm(request.POST or None, user=user, branch=branch)
    if request.method == "POST" and form.is_valid():
        try:
            services.branch_move(branch=branch, new_parent=form.cleaned_data["new_parent"], by=request.user)
        except BranchError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已移到“%(name)s”之下") % {"name": form.cleaned_data["new_parent"].name})
            return redirect("branches:detail", code=branch.code)
    return _form_page(
        request,
        branch,
        form,
        title=_("移动组织"),
        intro=_("组织连同其全部下级组织一起移动。"),
        submit=_("移动"),
    )


@access.login_required
@require_http_methods(["GET", "POST"])
def dissolve(request, code):
    branch = access.get_branch_or_404(request.user, code=code)
    access.deny_unless(request.user, (access.MANAGE,), _decider(branch, selectors.ancestors(branch)))
    form = BranchDissolveForm(request.POST or None, initial={"on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.branch_dissolve(branch=branch, on=form.cleaned_data["on"], by=request.user)
        except BranchError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已撤销“%(name)s”") % {"name": branch.name})
            return redirect("branches:detail", code=branch.code)
    intro = _("撤销后组织及其历史记录仍然保留。须先撤销或移走全部下级组织，并为全部在册党员办理转接或离册。")
    return _form_page(request, branch, form, title=_("撤销组织"), intro=intro, submit=_("撤销"), danger=True)
