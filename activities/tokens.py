"""签到码: sign, make and verify the QR tokens. Pure functions: no database, no request.

A rotating token is ``"<activity id>.<window>.<signature>"``: the window is the 30-second slot of
the Unix time, the signature an HMAC (SHA-256, key ``settings.CHECKIN_TOKEN_KEY`` or else
``SECRET_KEY``, with a salt of its own) over the activity id and the window. The current and the
previous window are accepted, so a photo of the screen sent to someone at home stops working
within a minute. A fixed token for a printed poster is ``"<activity id>.F.<signature>"`` over the
activity's ``fixed_qr_secret``; it holds only while the secretary keeps it enabled (disabling
changes the secret, so old posters stop working).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, get_random_string, salted_hmac
from django.utils.http import urlsafe_base64_encode

from .errors import CheckInError

WINDOW_SECONDS = 30
TOKEN_SALT = "partysite.activities.checkin"
FIXED = "F"
MESSAGES = {
    "invalid_token": "签到码无效，请重新扫描现场二维码",
    "expired_token": "签到码已过期，请重新扫描现场二维码",
}


def _error(code: str) -> CheckInError:
    return CheckInError(MESSAGES[code], code=code)


def sign(message: str) -> str:
    """The token signature of ``message``."""
    secret = getattr(settings, "CHECKIN_TOKEN_KEY", "") or settings.SECRET_KEY
    digest = salted_hmac(TOKEN_SALT, message, secret=secret, algorithm="sha256").digest()
    return urlsafe_base64_encode(digest[:16])


def window_of(now: datetime.datetime) -> int:
    return int(now.timestamp()) // WINDOW_SECONDS


def seconds_left(now: datetime.datetime | None = None) -> int:
    """Seconds until the current token is replaced (for the check-in screen's refresh)."""
    now = now or timezone.now()
    return WINDOW_SECONDS - int(now.timestamp()) % WINDOW_SECONDS


def rotating_token(activity_id: int, window: int) -> str:
    return f"{activity_id}.{window}.{sign(f'{activity_id}:{window}')}"


def current_token(activity, now: datetime.datetime | None = None) -> str:
    """The rotating token of ``activity`` for the 30-second window containing ``now``."""
    return rotating_token(activity.pk, window_of(now or timezone.now()))


def _fixed_signature(activity_id: int, secret: str) -> str:
    return sign(f"fixed:{activity_id}:{secret}")


def fixed_token(activity) -> str:
    """The poster token; only valid while ``activity.fixed_qr_enabled``."""
    if not activity.fixed_qr_enabled or not activity.fixed_qr_secret:
        raise CheckInError("未启用固定签到码", code="fixed_qr_disabled")
    return f"{activity.pk}.{FIXED}.{_fixed_signature(activity.pk, activity.fixed_qr_secret)}"


def new_fixed_secret() -> str:
    return get_random_string(32)


@dataclass(frozen=True)
class ParsedToken:
    activity_id: int
    window: int | None  # None: a fixed token
    signature: str


def parse_token(token: str) -> ParsedToken:
    """Split a token; ``invalid_token`` when it is not one of ours in shape."""
    parts = (token or "").strip().split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[2] or len(parts[0]) > 18:
        raise _error("invalid_token")
    if parts[1] == FIXED:
        return ParsedToken(int(parts[0]), None, parts[2])
    if not parts[1].isdigit() or len(parts[1]) > 12:
        raise _error("invalid_token")
    return ParsedToken(int(parts[0]), int(parts[1]), parts[2])


def check_rotating(parsed: ParsedToken, now: datetime.datetime) -> None:
    """A rotating token's signature and age: ``invalid_token`` or ``expired_token``."""
    if not constant_time_compare(sign(f"{parsed.activity_id}:{parsed.window}"), parsed.signature):
        raise _error("invalid_token")
    current = window_of(now)
    if parsed.window > current:
        raise _error("invalid_token")
    if parsed.window < current - 1:
        raise _error("expired_token")


def check_fixed(parsed: ParsedToken, activity) -> None:
    """A fixed token against the activity's current poster secret: ``invalid_token`` otherwise."""
    if not activity.fixed_qr_enabled or not activity.fixed_qr_secret:
        raise _error("invalid_token")
    if not constant_time_compare(_fixed_signature(activity.pk, activity.fixed_qr_secret), parsed.signature):
        raise _error("invalid_token")


def check_before_reading(token: str, now: datetime.datetime) -> ParsedToken:
    """Everything decided without the activity: the shape, and a rotating token's signature and age."""
    parsed = parse_token(token)
    if parsed.window is not None:
        check_rotating(parsed, now)
    return parsed
