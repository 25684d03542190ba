"""Ending a registration (docs/rules/service.md, rule 1): the member their own, from 我的报到; the community's
secretary or the member's own secretary any one, with a reason; the community's secretary a unit's. POST only;
the rows stay (ended_on, end_reason, ended_by), audited by their model's trail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from activities.views_common import own_member
from branches import access

from . import services
from .errors import ServiceError
from .models import Registration, UnitRegistration


def _done_or_told(request, action, done: str) -> None:
    try:
        action()
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)


@login_required
@require_POST
def end_mine(request):
    """The member ends their own open registration (e.g. moved house); a reason optional."""
    member = own_member(request.user)
    registration = get_object_or_404(Registration, member=member, ended_on=None)
    _done_or_told(
        request,
        lambda: services.registration_end(
            registration=registration, reason=request.POST.get("reason", ""), own=True, by=request.user
        ),
        _("已结束在%(name)s的报到") % {"name": registration.community.name},
    )
    return redirect("service:mine")


@login_required
@require_POST
def end_registration(request, pk: int):
    """A secretary ends a member's registration with a reason: 404 unless the community or the member's branch
    lies in the user's subtrees, 403 without ``manage_branch`` on either."""
    user = request.user
    visible = access.branch_scope_q(user, "community__path") | access.branch_scope_q(user, "member__branch__path")
    registration = get_object_or_404(
        Registration.objects.filter(visible).select_related("community", "member__branch"), pk=pk
    )
    community, home = registration.community, registration.member.branch
    if not (access.has_perm(user, access.MANAGE, community) or access.has_perm(user, access.MANAGE, home)):
        access.deny_unless(user, (access.MANAGE,), community, _("只有报到社区或党员所在党组织的书记可以结束报到"))
    _done_or_told(
        request,
        lambda: services.registration_end(registration=registration, reason=request.POST.get("reason", ""), by=user),
        _("已结束%(member)s在%(name)s的报到") % {"member": registration.member.name, "name": community.name},
    )
    back = community if access.can_view(user, community) else home
    return redirect("service:registrations", code=back.code)


@login_required
@require_POST
def end_unit(request, pk: int):
    """The community's secretary ends a unit's registration with a reason (404 outside, 403 without manage)."""
    user = request.user
    queryset = UnitRegistration.objects.filter(access.branch_scope_q(user, "community__path"))
    registration = get_object_or_404(queryset.select_related("community", "unit"), pk=pk)
    access.deny_unless(user, (access.MANAGE,), registration.community)
    _done_or_told(
        request,
        lambda: services.unit_registration_end(
            registration=registration, reason=request.POST.get("reason", ""), by=user
        ),
        _("已结束%(name)s的报到") % {"name": registration.unit.name},
    )
    return redirect("service:registrations", code=registration.community.code)
