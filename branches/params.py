"""Query-string and URL parameters, parsed in one place: a value out of shape or range answers 400.

Views never call ``int()`` or build a date from a request's value themselves: a page number of
25 nines reached the database's OFFSET, and ``?month=0000-01`` a ``datetime.date`` out of range,
and both gave a 500. Each helper here either returns a value inside a sane range or raises
``BadRequest``, which Django answers with the 400 page (templates/400.html). A blank value is
"not given" and gets the caller's default. A posted form's value wins over the query string's
unless the caller names the ``query`` to read.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import BadRequest
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _

from core.periods import MAX_YEAR, MIN_YEAR, MONTH, Period

MAX_PAGE = 100_000
MAX_ID = 2**31 - 1  # an integer primary key on every database
MAX_LENGTH = 32  # no parameter parsed here is longer

T = TypeVar("T")

_INT = re.compile(r"^[0-9]{1,9}$")


def bad_request(name: str) -> BadRequest:
    return BadRequest(_("参数“%(name)s”的值无效") % {"name": name})


def _text(request: HttpRequest, name: str, query: QueryDict | None) -> str:
    """The parameter from ``query``; by default the posted form's, else the query string's."""
    if query is None:
        value = request.POST.get(name) or request.GET.get(name) or ""
    else:
        value = query.get(name) or ""
    value = value.strip()
    if len(value) > MAX_LENGTH:
        raise bad_request(name)
    return value


def int_value(text: str, *, name: str, low: int, high: int) -> int:
    """``text`` as an integer in [low, high]; 400 otherwise."""
    if not _INT.match(text or ""):
        raise bad_request(name)
    number = int(text)
    if not low <= number <= high:
        raise bad_request(name)
    return number


def id_value(text: str, *, name: str) -> int:
    """A primary key typed in a form's field name or value (``hours-<member id>``)."""
    return int_value(text, name=name, low=1, high=MAX_ID)


def int_param(
    request: HttpRequest, name: str, *, default: int, low: int, high: int, query: QueryDict | None = None
) -> int:
    text = _text(request, name, query)
    return default if not text else int_value(text, name=name, low=low, high=high)


def page_number(request: HttpRequest, name: str = "page") -> int:
    """``?page=``: 1 when absent, else an integer in 1..MAX_PAGE."""
    return int_param(request, name, default=1, low=1, high=MAX_PAGE, query=request.GET)


def year_value(year: int, *, name: str = "year") -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise bad_request(name)
    return year


def month_value(year: int, month: int) -> datetime.date:
    """The first day of a month named in a URL (``…/dues/<year>/<month>/``)."""
    year_value(year)
    if not 1 <= month <= 12:
        raise bad_request("month")
    return datetime.date(year, month, 1)


def month_param(request: HttpRequest, name: str = "month", query: QueryDict | None = None) -> datetime.date | None:
    """``?month=2026-03`` → 2026-03-01; None when absent."""
    month = period_param(request, lambda text: Period.parse(text, kinds=[MONTH]), name, query)
    return None if month is None else month.start


def period_param(
    request: HttpRequest,
    parse: Callable[[str], T] = Period.parse,
    name: str = "period",
    query: QueryDict | None = None,
) -> T | None:
    """``?period=`` (2026, 2026Q3, 2026-10) read by ``Period.parse``, or by the caller's ``parse``
    built on it (health's: a year or a quarter); None when absent. Every value ``parse`` refuses
    (ValueError), a year outside [MIN_YEAR, MAX_YEAR] included, answers 400."""
    text = _text(request, name, query)
    if not text:
        return None
    try:
        return parse(text)
    except ValueError:
        raise bad_request(name) from None
