"""The farmers' monthly due set by a branch (农民党员党费标准).

关于中国共产党党费收缴、使用和管理的规定 art. 6: a farmer member pays 0.20 to 1.00 yuan a month. A
branch sets the amount for the farmers of its subtree from a month on; a farmer pays the latest
amount in force that month of their own branch, else of the nearest branch above that set one,
else ``settings.DUES_FARMER_DEFAULT`` (0.20). The lookup is ``members.dues.basis.DuesBasis``.

A new amount applies to the months generated (or recorded) after it is set: rows already generated
keep their due, as the whole subtree's rows would otherwise be rewritten one by one. The page says
so, and a branch sets its amount before generating the months it covers.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction

from branches.models import Branch
from core.periods import month_start

from .basis import DuesBasis, Payer
from .models import FARMER_RATE_MAX, FARMER_RATE_MIN, FarmerDuesRate
from .rules import DuesError, check_amount


def farmer_rate_set(*, branch: Branch, amount: Decimal, effective_from: datetime.date, by=None) -> FarmerDuesRate:
    """Set the monthly due of ``branch``'s farmers from ``effective_from``'s month on (0.20 to 1.00 yuan)."""
    amount = check_amount(amount, field="amount", label="农民党员每月应缴")
    if not FARMER_RATE_MIN <= amount <= FARMER_RATE_MAX:
        raise DuesError(
            f"农民党员每月应缴应在{FARMER_RATE_MIN}元至{FARMER_RATE_MAX}元之间",
            code="farmer_rate_range",
            field="amount",
        )
    with transaction.atomic():
        return FarmerDuesRate.objects.create(
            branch=branch, amount=amount, effective_from=month_start(effective_from), set_by=by
        )


def farmer_rate_in_force(*, branch: Branch, month: datetime.date) -> tuple[Decimal, Branch | None]:
    """The farmers' due in ``branch`` for ``month`` and the branch that set it (None: the default)."""
    month = month_start(month)
    basis = DuesBasis([Payer(0, "", None, branch.path)], first=month, last=month)
    amount = basis.farmer_rate(branch.path, month)
    source = basis.farmer_rate_source(branch.path, month)
    if source is None:
        return amount, None
    return amount, Branch.objects.get(path=source)


def farmer_rates_of(branch: Branch):
    """The amounts ``branch`` itself set, latest first, with who set them."""
    return FarmerDuesRate.objects.filter(branch=branch).select_related("set_by").order_by("-effective_from", "-pk")
