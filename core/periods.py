"""Periods: a calendar month, quarter or year, as health checks, compliance, reports and dues name them.

``Period.parse("2026-10" | "2026Q3" | "2026")`` is the one parser of a period's text; its
``label`` is the canonical text again ("2026-10", "2026Q3", "2026"), ``display`` the one pages
show in the reader's language (2026年10月 / October 2026), ``display_zh`` the Chinese one whatever the
language (domain errors, files, stored history). Days are dates; ``bounds()`` gives the period as aware datetimes [start, end) in the
site's time zone (Asia/Shanghai), for filtering timestamps. The month helpers below are the
only copies of month arithmetic in the project.
"""

from __future__ import annotations

import calendar
import datetime
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, override

MONTH, QUARTER, YEAR = "month", "quarter", "year"  # the values of activities' MeetingRule.Period
KINDS = (MONTH, QUARTER, YEAR)
# The years any period may name (a page, a job or an import asking for year 0 or 9999 is refused).
MIN_YEAR, MAX_YEAR = 2000, 2100

_EXAMPLES = {MONTH: "2026-10", QUARTER: "2026Q3", YEAR: "2026"}
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_QUARTER = re.compile(r"(\d{4})Q([1-4])")
_YEAR = re.compile(r"\d{4}")


# ---------------------------------------------------------------------------- months


def month_start(day: datetime.date) -> datetime.date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def month_end(day: datetime.date) -> datetime.date:
    """The last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_index(day: datetime.date) -> int:
    """Months since year 0: consecutive months differ by one."""
    return day.year * 12 + day.month - 1


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month ``months`` months after ``day``'s (before it when negative)."""
    index = month_index(day) + months
    return datetime.date(index // 12, index % 12 + 1, 1)


# ---------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year."""

    kind: str
    year: int
    index: int = 0  # month 1–12 or quarter 1–4; 0 for a year

    @classmethod
    def parse(cls, text: str, kinds: Iterable[str] = KINDS, name: str = "期间") -> Period:
        """The period of ``text`` if it is one of ``kinds``, its year in [MIN_YEAR, MAX_YEAR]; ``ValueError``
        otherwise, its message naming the value as ``name`` (考核期 for a health check)."""
        text = (text or "").strip().upper()
        if (m := re.match(r"\d{4}", text)) and not MIN_YEAR <= int(m[0]) <= MAX_YEAR:
            raise ValueError(f"{name}“{text}”的年份应在{MIN_YEAR}至{MAX_YEAR}年之间")
        period = cls._match(text)
        if period is None or period.kind not in kinds:
            examples = [_EXAMPLES[k] for k in KINDS if k in kinds]
            wanted = "、".join(examples[:-1]) + " 或 " + examples[-1] if len(examples) > 1 else examples[0]
            raise ValueError(f"无法识别的{name}“{text}”，应为 {wanted}")
        return period

    @classmethod
    def _match(cls, text: str) -> Period | None:
        if (m := _MONTH.fullmatch(text)) and 1 <= int(m[2]) <= 12:
            return cls(MONTH, int(m[1]), int(m[2]))
        if m := _QUARTER.fullmatch(text):
            return cls(QUARTER, int(m[1]), int(m[2]))
        if _YEAR.fullmatch(text):
            return cls(YEAR, int(text))
        return None

    @classmethod
    def containing(cls, kind: str, day: datetime.date) -> Period:
        """The month, quarter or year (``kind``) that ``day`` falls in."""
        if kind == MONTH:
            return cls(MONTH, day.year, day.month)
        if kind == QUARTER:
            return cls(QUARTER, day.year, (day.month - 1) // 3 + 1)
        return cls(YEAR, day.year)

    @property
    def first_month(self) -> int:
        return {MONTH: self.index, QUARTER: 3 * self.index - 2, YEAR: 1}[self.kind]

    @functools.cached_property
    def months(self) -> tuple[datetime.date, ...]:
        """The first day of each month; computed once per value (a report asks ~85,000 times)."""
        count = {MONTH: 1, QUARTER: 3, YEAR: 12}[self.kind]
        return tuple(datetime.date(self.year, self.first_month + i, 1) for i in range(count))

    @functools.cached_property
    def start(self) -> datetime.date:
        return self.months[0]

    @functools.cached_property
    def last_day(self) -> datetime.date:
        return month_end(self.months[-1])

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The period as aware datetimes [start, end) in the site's time zone (Asia/Shanghai)."""
        tz = timezone.get_default_timezone()
        start = datetime.datetime.combine(self.start, datetime.time.min, tzinfo=tz)
        end = datetime.datetime.combine(self.last_day + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
        return start, end

    def months_between(self, joined_on: datetime.date, left_on: datetime.date | None) -> int:
        """Months of the period with at least one day from ``joined_on`` to ``left_on`` (None: still there)."""
        first = max(month_index(self.start), month_index(joined_on))
        last = month_index(self.last_day) if left_on is None else min(month_index(self.last_day), month_index(left_on))
        return max(0, last - first + 1)

    @property
    def label(self) -> str:
        """The canonical text, what ``parse`` reads: "2026-10", "2026Q3", "2026"."""
        return {MONTH: f"{self.year}-{self.index:02d}", QUARTER: f"{self.year}Q{self.index}", YEAR: str(self.year)}[
            self.kind
        ]

    @property
    def display(self) -> str:
        """The period in the reader's language, whole (a page never glues a Chinese 年度 to English):
        2026年10月 / October 2026, 2026年第3季度 / Q3 2026, 2026年度 / 2026."""
        if self.kind == MONTH:
            return date_format(self.start, "YEAR_MONTH_FORMAT")
        if self.kind == QUARTER:
            return gettext("%(year)s年第%(quarter)s季度") % {"year": self.year, "quarter": self.index}
        return gettext("%(year)s年度") % {"year": self.year}

    @property
    def display_zh(self) -> str:
        """The Chinese ``display`` whatever the reader's language: 2026年10月, 2026年第3季度, 2026年度."""
        with override("zh-hans"):
            return self.display

    def windows(self, kind: str) -> tuple[Period, ...]:
        """The periods of ``kind`` that this one asks about: each finer one inside it, or the coarser one containing it."""
        return _windows(self, kind)

    def __str__(self) -> str:
        return self.label


@functools.lru_cache(maxsize=1024)
def _windows(period: Period, kind: str) -> tuple[Period, ...]:
    """``Period.windows``, once per (immutable) period and kind."""
    if KINDS.index(kind) > KINDS.index(period.kind):
        return (Period.containing(kind, period.start),)
    seen: dict[str, Period] = {}
    for first in period.months:
        window = Period.containing(kind, first)
        seen.setdefault(window.label, window)
    return tuple(seen.values())
