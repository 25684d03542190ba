"""Issuing the one-time activation code of a member who holds a committee position, and the
任职确认码 of a position given to a member who already has an account.

The codes are what stop whoever can edit a member's phone (and so may have set up the member's
account) from gaining, through that account, the ``manage_branch`` of a position above their own
scope (members/accounts.py ``account_activate``, ``position_grant_confirm``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches import access
from core.ratelimit import rate_limit

from . import accounts, selectors
from .models import Member
from .services import MemberError


@access.login_required
@require_POST
def activation_code(request, pk: int):
    """Issue the code (voiding any earlier one) and show it this once.

    404 outside the user's scope; 403 unless the user manages the member's branch and the branch of
    each of the member's committee positions.
    """
    member = selectors.managed_member_or_404(request.user, pk, message=_("您没有管理该党员的权限"))
    positions = accounts.managing_positions(member)
    if positions and not accounts.can_issue_activation_code(request.user, positions):
        raise PermissionDenied(_("激活码只能由管理该党员任职党组织的人员签发"))
    try:
        code = accounts.activation_code_issue(member=member, by=request.user)
    except MemberError as exc:
        messages.error(request, exc.message)
        return redirect("members:detail", pk=member.pk)
    context = {"member": member, "code": code, "hours": settings.ACTIVATION_CODE_HOURS}
    response = render(request, "members/activation_code.html", context)
    response["Cache-Control"] = "no-store"
    return response


@access.login_required
@require_POST
def position_code(request, pk: int):
    """Issue a 任职确认码 for the member's pending positions and show it this once.

    404 outside the user's scope; 403 unless the user manages the branch of one of the member's
    pending positions (with none pending: unless the user manages the member's branch, who is then
    told there is nothing to confirm).
    """
    member = selectors.member_for_page(request.user, pk)
    pending = accounts.pending_grants(member)
    if pending and not accounts.position_code_issuable(request.user, member):
        raise PermissionDenied(_("任职确认码只能由管理该职务所在党组织的人员签发"))
    if not pending:
        access.deny_unless(request.user, (access.MANAGE,), member.branch, _("您没有管理该党员的权限"))
    try:
        code = accounts.position_code_issue(member=member, by=request.user)
    except MemberError as exc:
        messages.error(request, exc.message)
        return redirect("members:detail", pk=member.pk)
    covered = [p for p in pending if access.has_perm(request.user, access.MANAGE, p.branch)]
    context = {"member": member, "code": code, "hours": settings.ACTIVATION_CODE_HOURS, "positions": covered}
    response = render(request, "members/position_code.html", context)
    response["Cache-Control"] = "no-store"
    return response


# Every attempt counts (per account), successes included: a member confirms a position rarely.
@access.login_required
@require_POST
@rate_limit("activate", key="user")
def confirm_position(request):
    """The member enters a 任职确认码 on their own page; back to it with one message either way."""
    member = Member.objects.filter(user=request.user).select_related("branch", "user").first()
    if member is None:
        raise Http404(_("您的账号没有关联党员档案"))
    code = request.POST.get("code", "")[:64]
    if not code.strip():
        messages.error(request, _("请输入任职确认码"))
        return redirect("members:me")
    try:
        confirmed = accounts.position_grant_confirm(member=member, code=code)
    except MemberError as exc:
        messages.error(request, exc.message)
        return redirect("members:me")
    if confirmed:
        names = "、".join(f"{p.branch.name}{p.get_title_display()}" for p in confirmed)
        messages.success(request, _("已确认任职权限：%(positions)s") % {"positions": names})
    else:
        messages.warning(request, _("确认码已使用，但没有可由它确认的任职"))
    return redirect("members:me")
