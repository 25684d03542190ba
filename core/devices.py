"""A user's sessions as the devices they are logged in on: noted at log-in, listed, ended.

Each session row (``core.UserSession``) carries its user, the browser's user agent, the client's
address (masked) and when it was last used. Ending a session deletes its row: the row is the
session's source of truth, so a copy still cached in Redis is refused on its next use
(core/sessions.py).

"Remember this phone" (``remember``): the session outlives the browser and lasts
``REMEMBER_PHONE_DAYS`` after its last use (core/sessions_db.py refreshes it); otherwise it ends with
the browser and after ``SESSION_COOKIE_AGE`` at the latest (settings).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from .http import client_ip
from .masking import mask_ip
from .models import UserSession
from .sessions_db import DEVICE_KEY, REMEMBER_KEY

# (pattern in the user agent, name shown), first match wins: the apps that embed a browser come
# before the browsers they are built on (WeChat's and most Chinese browsers' agents also say Chrome
# or Safari; Edge's says Chrome; Chrome's says Safari).
BROWSERS = [
    (r"MicroMessenger", _("微信")),
    (r"\bQQ/", "QQ"),
    (r"MQQBrowser|QQBrowser", _("QQ浏览器")),
    (r"UCBrowser|UCWEB", _("UC浏览器")),
    (r"HuaweiBrowser|HONORBrowser", _("华为浏览器")),
    (r"MiuiBrowser|XiaoMi", _("小米浏览器")),
    (r"Quark", _("夸克")),
    (r"baiduboxapp|BIDUBrowser", _("百度")),
    (r"Edg(e|A|iOS)?/", "Edge"),
    (r"Firefox|FxiOS", "Firefox"),
    (r"Chrome|CriOS", "Chrome"),
    (r"Safari", "Safari"),
]
DEVICES = [
    (r"iPhone", "iPhone"),
    (r"iPad", "iPad"),
    (r"HarmonyOS|OpenHarmony", _("鸿蒙手机")),
    (r"Android", _("安卓手机")),
    (r"Windows", _("Windows 电脑")),
    (r"Macintosh|Mac OS X", _("Mac 电脑")),
    (r"Linux|CrOS", _("Linux 电脑")),
]


def _first(table, text: str):
    return next((name for pattern, name in table if re.search(pattern, text)), None)


def describe(user_agent: str) -> str:
    """ "iPhone · 微信", "安卓手机 · Chrome", "Windows 电脑 · Edge": what a member recognizes, from the
    browser's user agent (no library: the few names people use here)."""
    device = _first(DEVICES, user_agent) or _("未知设备")
    browser = _first(BROWSERS, user_agent) or _("其他浏览器")
    return f"{device} · {browser}"


@receiver(user_logged_in, dispatch_uid="core.devices.note_device")
def note_device(sender, request, user, **kwargs) -> None:
    """Every log-in notes its device in the session, and starts as not remembered (the log-in
    page's choice comes after it: ``remember``)."""
    if request is None or not hasattr(request, "session"):
        return
    request.session[DEVICE_KEY] = {
        "ua": request.headers.get("User-Agent", "")[:300],
        "ip": mask_ip(client_ip(request)),
    }
    if request.session.pop(REMEMBER_KEY, None):
        request.session.set_expiry(None)


def remember(session, days: int) -> None:
    """Keep this session on this device for ``days`` after its last use."""
    session.set_expiry(int(datetime.timedelta(days=days).total_seconds()))
    session[REMEMBER_KEY] = True


def ref(session_key: str) -> str:
    """How pages name a session: a keyed digest of its key, never the key (a bearer secret)."""
    return salted_hmac("core.devices.ref", session_key, algorithm="sha256").hexdigest()[:20]


@dataclass(frozen=True)
class Device:
    ref: str
    name: str
    ip: str
    last_used: datetime.datetime | None
    remembered: bool
    expires: datetime.datetime
    current: bool


def _live(user):
    return UserSession.objects.filter(user=user, expire_date__gt=timezone.now())


def user_devices(user, *, current_key: str | None = None) -> list[Device]:
    """The user's live sessions, the one of ``current_key`` first, then the most recently used (one query)."""
    rows = _live(user).only("session_key", "user_agent", "ip", "last_used", "remembered", "expire_date")
    devices = [
        Device(
            ref=ref(row.session_key),
            name=describe(row.user_agent),
            ip=row.ip,
            last_used=row.last_used,
            remembered=row.remembered,
            expires=row.expire_date,
            current=row.session_key == current_key,
        )
        for row in rows
    ]
    oldest = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    return sorted(devices, key=lambda d: (not d.current, -(d.last_used or oldest).timestamp()))


def device_end(*, user, device_ref: str) -> bool:
    """End the user's session named ``device_ref``; False if there is none (ended already)."""
    keys = [k for k in _live(user).values_list("session_key", flat=True) if ref(k) == device_ref]
    return bool(keys) and UserSession.objects.filter(user=user, session_key__in=keys).delete()[0] > 0


def devices_end(*, user, keep: str | None = None) -> int:
    """End every session of ``user`` but the one of ``keep`` (a password changed, reset or
    全部退出); how many were ended."""
    with transaction.atomic():
        return UserSession.objects.filter(user=user).exclude(session_key=keep or "").delete()[0]
