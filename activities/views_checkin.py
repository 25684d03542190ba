"""QR check-in pages: the secretary's screen (a QR that rotates every 30 seconds, with live
counts), the printable fixed-QR poster, and the member's page the QR leads to.

The member's page, the JSON API and the secretary's manual check-in all call the one
``check_in`` service (``activities.checkin``); tokens are ``activities.tokens``.

A rotating token lives at most a minute, while a member who scans it may first have to log
in. So the first visit with a valid token notes it in the visitor's session; for
``GRANT_SECONDS`` afterwards that session (and only it, so a forwarded link or a photo sent
home gains nothing) may still use the token once it has expired.
"""

from __future__ import annotations

import secrets

import segno
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core.ratelimit import rate_limit

from . import selectors, tokens
from .checkin import MESSAGES, check_in, decide, member_of, verify_token
from .errors import CheckInError
from .models import Activity, Attendance
from .views_common import managed_activity

GRANTS_KEY = "activities_checkin_grants"
GRANT_SECONDS = 180


def qr_svg(text: str) -> str:
    """``text`` as a QR code in inline SVG (segno), sized by CSS through its viewBox."""
    code = segno.make(text, error="m")
    svg = code.svg_inline(
        scale=1,
        border=4,
        omitsize=True,
        svgclass="qr",
        lineclass=None,
        title=_("签到二维码"),
        dark="#000",
        light="#fff",
    )
    return mark_safe(svg)  # segno's own markup; the text inside is our URL, escaped by segno


def _checkin_url(request, token: str) -> str:
    return request.build_absolute_uri(reverse("activities:checkin", args=[token]))


def _window_state(activity: Activity, now) -> str:
    if activity.is_cancelled:
        return "cancelled"
    if now < activity.checkin_opens:
        return "not_open"
    if now > activity.checkin_closes:
        return "closed"
    return "open"


def _screen_context(request, activity: Activity) -> dict:
    now = timezone.now()
    context = {
        "activity": activity,
        "state": _window_state(activity, now),
        "summary": selectors.attendance_summary(activity),
        "seconds_left": tokens.seconds_left(now),
        "now": now,
    }
    if not activity.is_cancelled:
        context["qr"] = qr_svg(_checkin_url(request, tokens.current_token(activity, now)))
    return context


@login_required
def checkin_screen(request, pk: int):
    """The check-in screen for a projector or a laptop: QR, counts, the check-in window."""
    activity = managed_activity(request.user, pk)
    return render(request, "activities/checkin_screen.html", _screen_context(request, activity))


@login_required
def checkin_screen_live(request, pk: int):
    """The screen's changing part (QR and counts) as an HTML fragment the page fetches."""
    activity = managed_activity(request.user, pk)
    response = render(request, "activities/_screen_live.html", _screen_context(request, activity))
    response["Cache-Control"] = "no-store"
    return response


@login_required
def poster(request, pk: int):
    """A printable poster with the fixed QR, when the secretary has enabled it."""
    activity = managed_activity(request.user, pk)
    context = {"activity": activity}
    if activity.fixed_qr_enabled and not activity.is_cancelled:
        context["qr"] = qr_svg(_checkin_url(request, tokens.fixed_token(activity)))
    return render(request, "activities/poster.html", context)


# --- the member's page --------------------------------------------------------------------


def _remember(session, token: str, now) -> None:
    """Note that this session saw ``token`` while it was valid (first time kept; stale entries dropped)."""
    stamp = int(now.timestamp())
    seen = session.get(GRANTS_KEY, {})
    grants = {t: s for t, s in seen.items() if stamp - s < GRANT_SECONDS}
    grants.setdefault(token, stamp)
    if grants != seen:  # the session is written only when it changes
        session[GRANTS_KEY] = grants


def _granted(session, token: str, now) -> bool:
    stamp = session.get(GRANTS_KEY, {}).get(token)
    return stamp is not None and int(now.timestamp()) - stamp < GRANT_SECONDS


def _error(code: str) -> CheckInError:
    return CheckInError(MESSAGES[code], code=code)


def _token_activity(request, token: str, now) -> Activity:
    """The activity of a valid token (noted in the session), or of an expired one this session saw."""
    try:
        activity = verify_token(token, now)
    except CheckInError as exc:
        if exc.code != "expired_token" or not _granted(request.session, token, now):
            raise
        activity = Activity.objects.select_related("branch").filter(pk=tokens.parse_token(token).activity_id).first()
        if activity is None:
            raise _error("invalid_token") from None
        return activity
    _remember(request.session, token, now)
    return activity


def _page(request, token: str, **context):
    context.setdefault("activity", None)
    context["token"] = token
    return render(request, "activities/checkin.html", context)


@rate_limit("check_in", key="user")
def checkin(request, token: str):
    """签到: the page behind the QR. Login first (and back here), then one big button."""
    now = timezone.now()
    if not request.user.is_authenticated:
        try:
            _token_activity(request, token, now)
        except CheckInError:
            pass  # say nothing about the token before login
        return redirect_to_login(request.get_full_path())
    if request.method == "POST":
        return _check_in_post(request, token, now)
    activity = None
    try:
        activity = _token_activity(request, token, now)
        member = member_of(request.user)
        existing = Attendance.objects.filter(activity=activity, member=member).first()
        if decide(activity, member, existing, method=Attendance.Method.QR, reason="", now=now):
            return _page(request, token, activity=activity, attendance=existing, created=False)
    except CheckInError as exc:
        return _page(request, token, error=exc, activity=activity)
    return _page(request, token, activity=activity, member=member, nonce=secrets.token_urlsafe(16))


def _check_in_post(request, token: str, now):
    """The tap: the one ``check_in`` service, with a token that is valid or that this session saw valid."""
    nonce = (request.POST.get("nonce") or "")[:64]
    try:
        activity = _token_activity(request, token, now)
        attendance, created = check_in(
            activity=activity, member=member_of(request.user), nonce=nonce, by=request.user, now=now
        )
    except CheckInError as exc:
        return _page(request, token, error=exc)
    return _page(request, token, activity=attendance.activity, attendance=attendance, created=created)
