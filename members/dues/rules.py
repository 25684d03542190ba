"""党费 amounts: the monthly due by the member's occupation and income, and the rules' settings.

关于中国共产党党费收缴、使用和管理的规定 (中组发〔2008〕3号), part 一 (党费的收缴). The base is the
monthly income less personal income tax (art. 1); the rate applies to the whole income:

    在职, and 其他 with a declared income          ≤3000 0.5%; ≤5000 1%; ≤10000 1.5%; above 2%  (art. 2)
    离退休 (pension or retirement pay)             ≤5000 0.5%; above 1%                         (art. 5)
    农民                                          0.20 to 1.00 yuan as the branch sets            (art. 6)
    学生, 下岗失业, anyone living on relief         ``DUES_FLAT_AMOUNT`` (0.20 yuan)               (art. 6)

A member counts as living on relief (or a minimum allowance) when their declared income is 0, or
when they are 其他 (other) and declared none. The situation (流动, 失联) does not change the due.
When no income is declared for 在职 or 离退休 the due cannot be computed and the secretary must
declare it first (``income_required``). What the month's due is computed from (the income in
force that month, the branch's farmers' rate, a hardship reduction) is ``members.dues.basis``;
the rows are written by ``members.dues.payments``.

Settings (partysite/settings.py), where provinces differ: ``DUES_FLAT_AMOUNT`` (0.20),
``DUES_FARMER_DEFAULT`` (0.20, the farmers' due where no branch set one), ``DUES_LARGE_VOLUNTARY``
(1000: a voluntary payment of that much or more goes whole to the Centre, art. 11),
``DUES_MAX_DELAY_MONTHS`` (6: dues paid late within that many months count as paid, art. 12).
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings

from core.errors import DomainError
from core.periods import add_months, month_end, month_start

from ..models import Member

FEN = Decimal("0.01")
MAX_AMOUNT = Decimal("99999999.99")  # what the columns hold (10 digits, 2 places)
EMPLOYED_BRACKETS = (
    (Decimal(3000), Decimal("0.005")),
    (Decimal(5000), Decimal("0.01")),
    (Decimal(10000), Decimal("0.015")),
)
EMPLOYED_TOP_RATE = Decimal("0.02")
RETIRED_BRACKETS = ((Decimal(5000), Decimal("0.005")),)
RETIRED_TOP_RATE = Decimal("0.01")
FLAT_OCCUPATIONS = frozenset({Member.Occupation.STUDENT, Member.Occupation.UNEMPLOYED})


class DuesError(DomainError):
    pass


# ---------------------------------------------------------------------------- settings


def _decimal_setting(name: str) -> Decimal:
    return Decimal(str(getattr(settings, name))).quantize(FEN)


def flat_due() -> Decimal:
    """学生, 下岗失业 and members living on relief: the monthly due (art. 6)."""
    return _decimal_setting("DUES_FLAT_AMOUNT")


def farmer_default() -> Decimal:
    """农民 where no branch set an amount (art. 6: 0.20 to 1.00 yuan)."""
    return _decimal_setting("DUES_FARMER_DEFAULT")


def large_voluntary() -> Decimal:
    """A voluntary payment of this much or more at once goes whole to the Centre (art. 11)."""
    return _decimal_setting("DUES_LARGE_VOLUNTARY")


def is_large_voluntary(amount: Decimal | None) -> bool:
    return amount is not None and amount >= large_voluntary()


def max_delay_months() -> int:
    """How many months late dues may be paid with the branch's consent and still count (art. 12)."""
    return int(settings.DUES_MAX_DELAY_MONTHS)


def payment_deadline(month: datetime.date) -> datetime.date:
    """The last day a month's dues count as paid: the end of the month ``max_delay_months()`` later."""
    return month_end(add_months(month, max_delay_months()))


def overdue_through(today: datetime.date) -> datetime.date:
    """The latest month whose deadline has passed on ``today``: months up to it, unpaid, are overdue."""
    return add_months(month_start(today), -(max_delay_months() + 1))


# ---------------------------------------------------------------------------- amounts


def _rate(income: Decimal, brackets, top_rate: Decimal) -> Decimal:
    for ceiling, rate in brackets:
        if income <= ceiling:
            return rate
    return top_rate


def dues_amount(
    *, occupation: str, monthly_income: Decimal | None, farmer_rate: Decimal | None = None
) -> Decimal | None:
    """The monthly due in yuan, rounded half up to the fen; ``None`` when income must be declared first.

    ``farmer_rate``: the amount of the farmer's branch (``basis.DuesBasis.farmer_rate``), else the default.
    """
    if occupation == Member.Occupation.FARMER:
        return farmer_default() if farmer_rate is None else farmer_rate
    if occupation in FLAT_OCCUPATIONS or monthly_income == 0:
        return flat_due()
    if monthly_income is None:
        return flat_due() if occupation == Member.Occupation.OTHER else None
    if monthly_income < 0:
        return None
    if occupation == Member.Occupation.RETIRED:
        rate = _rate(monthly_income, RETIRED_BRACKETS, RETIRED_TOP_RATE)
    else:
        rate = _rate(monthly_income, EMPLOYED_BRACKETS, EMPLOYED_TOP_RATE)
    return (monthly_income * rate).quantize(FEN, rounding=ROUND_HALF_UP)


def check_amount(value, *, field: str, label: str) -> Decimal:
    """An amount of money typed by a user: a number, not negative, at most two decimals."""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise DuesError(f"{label}应为数字", code="not_a_number", field=field) from None
    if not amount.is_finite():
        raise DuesError(f"{label}应为数字", code="not_a_number", field=field)
    if amount < 0:
        raise DuesError(f"{label}不能为负数", code="negative_amount", field=field)
    if amount > MAX_AMOUNT:
        raise DuesError(f"{label}超出可记录的范围", code="amount_too_large", field=field)
    if amount != amount.quantize(FEN):
        raise DuesError(f"{label}最多保留两位小数（分）", code="amount_precision", field=field)
    return amount.quantize(FEN)


def month_label(month: datetime.date) -> str:
    return f"{month.year}年{month.month}月"
