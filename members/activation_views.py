"""Issuing the one-time activation code of a member who holds a committee position.

The code is what stops whoever can edit a member's phone from claiming, through that member's
account, the ``manage_branch`` of a position above their own scope (members/services.py
``account_activate``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches import access

from . import selectors, services
from .services import MemberError


@access.login_required
@require_POST
def activation_code(request, pk: int):
    """Issue the code (voiding any earlier one) and show it this once.

    404 outside the user's scope; 403 unless the user manages the member's branch and the branch of
    each of the member's committee positions.
    """
    member = selectors.member_for_page(request.user, pk)
    if not access.has_perm(request.user, access.MANAGE, member.branch):
        raise PermissionDenied(_("您没有管理该党员的权限"))
    positions = services.managing_positions(member)
    if positions and not services.can_issue_activation_code(request.user, positions):
        raise PermissionDenied(_("激活码只能由管理该党员任职党组织的人员签发"))
    try:
        code = services.activation_code_issue(member=member, by=request.user)
    except MemberError as exc:
        messages.error(request, exc.message)
        return redirect("members:detail", pk=member.pk)
    context = {"member": member, "code": code, "hours": settings.ACTIVATION_CODE_HOURS}
    response = render(request, "members/activation_code.html", context)
    response["Cache-Control"] = "no-store"
    return response
