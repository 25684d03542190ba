"""本月全部已缴: a branch's month recorded in one form, the members who did not pay ticked.

The branch comes through ``branches.access`` (404 outside the user's subtree, 403 inside without
``manage_branch``); the write is ``members.dues.month_record.dues_record_month``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from branches import access
from branches.forms import add_domain_error
from branches.params import month_param
from core.periods import month_start

from .forms import MonthRecordForm
from .month_record import CANCELLED, NO_INCOME, PAID, dues_record_month, month_sheet
from .rules import DuesError
from .views import _branch, _month_url


@login_required
@require_http_methods(["GET", "POST"])
def record_month(request, code: str):
    """The month's members, all paid unless ticked; on POST all recorded at once."""
    branch = _branch(request, code, access.MANAGE)
    month = month_param(request, query=request.GET) or month_start(timezone.localdate())
    try:
        sheet = month_sheet(branch=branch, month=month)
    except DuesError as exc:
        messages.error(request, exc.message)
        return redirect(_month_url(branch, month))
    choosable = [line.member for line in sheet if line.choosable]
    form = MonthRecordForm(request.POST or None, members=choosable, initial={"paid_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            result = dues_record_month(branch=branch, month=month, by=request.user, **form.cleaned_data)
        except DuesError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("%(month)s党费已登记：%(paid)d 人足额交纳，%(unpaid)d 人未缴")
                % {"month": f"{month:%Y-%m}", "paid": len(result.paid), "unpaid": len(result.unpaid)},
            )
            return redirect(_month_url(branch, month))
    ticked = {str(pk) for pk in (form["unpaid"].value() or [])}
    context = {
        "branch": branch,
        "month": month,
        "form": form,
        "lines": sheet,
        "ticked": ticked,
        "to_record": len(choosable),
        "states": {"paid": PAID, "cancelled": CANCELLED, "no_income": NO_INCOME},
        "back": _month_url(branch, month),
    }
    return render(request, "members/dues_month.html", context)
