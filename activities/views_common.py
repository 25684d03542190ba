"""What every activity view shares: fetching an activity through the user's scope.

An activity outside the subtrees the user may read answers 404 (whatever its id); a visible
one the user may not manage answers 403 on the pages that change it.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from branches import access
from members.models import Member

from .models import Activity


def visible_activity(user, pk: int, *related: str) -> Activity:
    """The activity if ``user`` may read its branch; 404 otherwise."""
    activities = Activity.objects.visible_to(user).select_related("branch", *related)
    return get_object_or_404(activities, pk=pk)


def managed_activity(user, pk: int, *related: str) -> Activity:
    """The activity if visible (else 404) and ``user`` manages its branch (else 403)."""
    activity = visible_activity(user, pk, *related)
    access.require(user, access.MANAGE, activity.branch)
    return activity


def require_manager(user) -> None:
    """Pages for secretaries: 403 without MANAGE on any branch."""
    access.require_manager(user, _("您没有管理活动的权限"))


def own_member(user) -> Member:
    """The member record of the logged-in user; 404 for an account without one."""
    member = Member.objects.filter(user=user).select_related("branch").first()
    if member is None:
        raise Http404(_("您的账号没有关联党员档案"))
    return member


def user_label(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username
