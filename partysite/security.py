"""Log-in lockout with django-axes: hooks named in settings (AXES_*).

Failures are counted per (what the user typed, client IP) together, so one attacker behind an
office's address cannot lock everyone else there out, and a locked user can still log in from
their phone's network. Beside it, an address is locked out after ``AXES_IP_FAILURE_LIMIT``
failures within the cool-off whatever identifiers were tried (credential stuffing), counted from
the same attempts Axes records.
"""

from __future__ import annotations

import math

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.http import client_ip
from core.masking import mask_phone
from members import crypto
from members.idnumbers import mask_id_number, normalize_id_number, normalize_phone, normalize_text


class LoginLockoutBackend(AxesStandaloneBackend):
    """Axes' lockout check, first of AUTHENTICATION_BACKENDS.

    ``authenticate()`` without a request comes from code (a shell, a management command, the test
    client's ``login()``), not from the log-in page; there is nothing to lock out, so it is let through
    to the next backend instead of raising as Axes does.
    """

    def authenticate(self, request: HttpRequest | None, username=None, password=None, **kwargs):
        if request is None:
            return None
        if address_failures(request) >= settings.AXES_IP_FAILURE_LIMIT:
            # As Axes does for a locked identifier: the middleware answers with ``lockout_response``.
            request.axes_locked_out = True
            raise AxesBackendPermissionDenied("too many failed log-ins from this address")
        return super().authenticate(request, username=username, password=password, **kwargs)


def address_failures(request: HttpRequest) -> int:
    """Failed log-ins from the request's address within the cool-off, over every identifier."""
    ip = getattr(request, "axes_ip_address", None) or client_ip(request)
    recent = AccessAttempt.objects.filter(ip_address=ip)
    cool_off = get_cool_off(request)
    if cool_off:
        recent = recent.filter(attempt_time__gte=timezone.now() - cool_off)
    return recent.aggregate(n=Sum("failures_since_start"))["n"] or 0


def typed_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The identifier the user typed, normalized as the log-in backends read it, never stored in clear.

    The lockout keys on what was typed, not on the account it resolves to: looking the account up
    would cost a query per failure and tell an attacker which identifiers exist. A phone number or an
    ID number (personal information; an ID number is sensitive under the PIPL) becomes its mask and a
    short keyed digest, e.g. ``138****5678#1f2e3d4c``, so that Axes' tables and logs hold no raw value.
    The log-in form's field comes first, so that a successful log-in (where Axes passes the account's
    username) resets the count of what was typed.
    """
    typed = None
    if request is not None and request.method == "POST":
        typed = request.POST.get("username")
    if typed is None:
        typed = (credentials or {}).get("username")
    if typed is None:
        return None
    phone = normalize_phone(typed)
    if phone.isdigit() and len(phone) == 11:
        return f"{mask_phone(phone)}#{crypto.digest(phone)[:8]}"
    number = normalize_id_number(typed)
    if len(number) == 18:
        return f"{mask_id_number(number)}#{crypto.digest(number)[:8]}"
    return "".join(normalize_text(typed).split())[:150]


def lockout_minutes(request: HttpRequest | None = None) -> int:
    cool_off = get_cool_off(request)
    return max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else 0


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """429 with "登录失败次数过多，请 N 分钟后再试"."""
    minutes = lockout_minutes(request)
    response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    if minutes:
        response["Retry-After"] = str(minutes * 60)
    return response
