"""The loop's rules, each read from one setting (docs/rules/service.md: local practice, configurable)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django.conf import settings

from core.periods import add_months

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def renewal_due_on(confirmed_on: datetime.date) -> datetime.date:
    """The day a registration confirmed on ``confirmed_on`` lapses: the same day ``SERVICE_RENEWAL_MONTHS``
    later (the month's last day when that month is shorter)."""
    months = settings.SERVICE_RENEWAL_MONTHS
    first = add_months(confirmed_on, months)
    following = add_months(confirmed_on, months + 1)
    last_day = (following - datetime.timedelta(days=1)).day
    return first.replace(day=min(confirmed_on.day, last_day))


def registration_current(confirmed_on: datetime.date, today: datetime.date) -> bool:
    """Current until the day it lapses (that day it needs renewing)."""
    return today < renewal_due_on(confirmed_on)


def current_since(today: datetime.date) -> datetime.date:
    """The earliest ``confirmed_on`` still current on ``today`` (for one filter over many rows)."""
    day = add_months(today, -settings.SERVICE_RENEWAL_MONTHS - 1)
    while not registration_current(day, today):
        day += datetime.timedelta(days=1)
    return day


def dispatch_deadline(now: datetime.datetime) -> datetime.datetime:
    """A dispatch not accepted by then returns to the pool."""
    return now + datetime.timedelta(hours=settings.SERVICE_DISPATCH_HOURS)


def rating_reopens(stars: int) -> bool:
    """A rating at or below ``SERVICE_REOPEN_RATING`` stars reopens the request for the secretary."""
    return stars <= settings.SERVICE_REOPEN_RATING


def max_hours() -> Decimal:
    return Decimal(settings.SERVICE_MAX_HOURS)


def max_photos() -> int:
    """Photos with a request, and with its completion: ``SERVICE_MAX_PHOTOS`` each."""
    return settings.SERVICE_MAX_PHOTOS


def photo_max_bytes() -> int:
    return settings.SERVICE_PHOTO_MAX_BYTES
