"""A user's account: their password and the devices they are logged in on; a secretary's reset of a
member's password.

- 修改密码: Django's ``PasswordChangeView`` with the project's templates; the other sessions end.
- 账号与登录设备 (``account``): the devices (core/devices.py) with 退出 each and 全部退出; the
  member's own page (我的) shows the same list (templates/members/_devices.html).
- 重置密码 (``password_reset``): who manages the member and every branch where the member's account
  holds a permission issues a code shown once (members/password_reset.py).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches import access
from core import devices

from . import selectors
from .password_reset import password_reset_allowed, password_reset_issue
from .services import MemberError


class PasswordChangeView(auth_views.PasswordChangeView):
    """The user's own password; every other session of the account ends (this one stays)."""

    success_url = reverse_lazy("account")

    def form_valid(self, form):
        response = super().form_valid(form)
        ended = devices.devices_end(user=self.request.user, keep=self.request.session.session_key)
        if ended:
            message = _("密码已修改，其他 %(count)d 个设备已退出登录") % {"count": ended}
        else:
            message = _("密码已修改")
        messages.success(self.request, message)
        return response


@access.login_required
def account(request):
    """账号与登录设备: the user's devices and the way to change the password."""
    return render(request, "registration/account.html", {})


def _back(request) -> str:
    url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return reverse("account")


@access.login_required
@require_POST
def device_end(request, ref: str):
    """退出 one of the user's devices; this one's is a log-out."""
    if request.session.session_key and devices.ref(request.session.session_key) == ref:
        logout(request)
        messages.success(request, _("已在这台设备上退出登录"))
        return redirect(settings.LOGOUT_REDIRECT_URL)
    if devices.device_end(user=request.user, device_ref=ref[:64]):
        messages.success(request, _("该设备已退出登录"))
    else:
        messages.info(request, _("该设备已经退出登录"))
    return redirect(_back(request))


@access.login_required
@require_POST
def devices_end_all(request):
    """全部退出: every session of the account ends, this one too."""
    devices.devices_end(user=request.user, keep=request.session.session_key)
    logout(request)  # this one
    messages.success(request, _("已在全部设备上退出登录"))
    return redirect(settings.LOGOUT_REDIRECT_URL)


@access.login_required
@require_POST
def password_reset(request, pk: int):
    """重置密码 of a member, the code shown once. 404 outside the user's scope; 403 without manage on
    the member's branch, or when the member's account may do more than the user may."""
    member = selectors.managed_member_or_404(request.user, pk, message=_("您没有管理该党员的权限"))
    if member.user_id is not None and not password_reset_allowed(request.user, member):
        raise PermissionDenied(_("该党员的账号有您管理范围以外的权限，须由上级党组织重置密码"))
    try:
        code = password_reset_issue(member=member, by=request.user)
    except MemberError as exc:
        messages.error(request, exc.message)
        return redirect("members:detail", pk=member.pk)
    context = {"member": member, "code": code, "hours": settings.ACTIVATION_CODE_HOURS}
    response = render(request, "members/password_reset_code.html", context)
    response["Cache-Control"] = "no-store"
    return response
