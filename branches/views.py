from django.shortcuts import render

from . import access


@access.staff_required
def tree(request):
    return render(request, "branches/tree.html", {"roots": access.top_branches(request.user)})


@access.branch_permission_required(access.VIEW)
def detail(request, branch):
    return render(request, "branches/detail.html", {"branch": branch})
