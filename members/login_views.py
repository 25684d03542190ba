"""Logging in as members do it, on a phone: the log-in page and account activation, which logs in.

The log-in page says why it is shown when a check-in sent the member there ("登录后即可签到"), opens
the number keypad for the phone number (a link switches to the full keyboard for an ID number ending
in X or a username), and offers "在这台手机上保持登录" (core/devices.py ``remember``). Activation takes
the same choice, logs the member in and goes on to the page they came for (the check-in).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from core import devices
from core.ratelimit import rate_limit

from . import accounts
from .account_forms import ActivateAndLogInForm, LoginForm
from .services import MemberError

# The member's check-in page (activities/urls.py), named, not imported: activities is above members.
CHECKIN_VIEW = "activities:checkin"
BACKEND = "members.backends.MemberLoginBackend"


def is_checkin(url: str) -> bool:
    """Whether ``url`` (a ``next``) is a check-in page: the log-in page then says "登录后即可签到"."""
    try:
        return resolve(urlsplit(url or "").path).view_name == CHECKIN_VIEW
    except Resolver404:
        return False


def remember_if_chosen(request, user, chosen: bool) -> None:
    """Keep the session on this phone if the user chose it and may (``accounts.may_stay_logged_in``)."""
    if not chosen:
        return
    if accounts.may_stay_logged_in(user):
        devices.remember(request.session, settings.REMEMBER_PHONE_DAYS)
    else:
        messages.info(request, _("管理账号不在手机上保持登录：关闭浏览器或 8 小时后需重新登录"))


def _keyboard_context(request, next_url: str) -> dict:
    full = (request.POST.get("keyboard") or request.GET.get("keyboard")) == "full"
    return {"full_keyboard": full, "for_checkin": is_checkin(next_url)}


class LoginView(auth_views.LoginView):
    form_class = LoginForm

    def form_valid(self, form):
        response = super().form_valid(form)
        remember_if_chosen(self.request, form.get_user(), form.cleaned_data["remember"])
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_keyboard_context(self.request, context[self.redirect_field_name]))
        return context


def _next_url(request) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return url if safe else ""


# Every attempt is counted before it runs; a successful one is given back (only failures count,
# and a meeting's members may activate from one address), so no more than the limit are processed.
@rate_limit("activate", key="ip", counts=lambda response: response.status_code == 200)
def activate(request):
    """A member claims their account by name, ID number, phone (and, holding a committee position or
    after a reset, an activation code), sets a password, and is logged in: on to ``next`` (the
    check-in they scanned) or their first page."""
    form = ActivateAndLogInForm(request.POST or None)
    next_url = _next_url(request)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            member = accounts.account_activate(
                name=d["name"], id_number=d["id_number"], phone=d["phone"], password=d["password1"], code=d["code"]
            )
        except MemberError as exc:
            form.add_problems(exc.problems or [(None, exc.message)])
        else:
            login(request, member.user, backend=BACKEND)
            remember_if_chosen(request, member.user, d["remember"])
            messages.success(request, _("密码已设置，您已登录"))
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    context = {"form": form, "next": next_url, "for_checkin": is_checkin(next_url)}
    return render(request, "members/activate.html", context)
