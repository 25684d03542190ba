"""The branch page's panel of issue 14's meeting rules, for those who manage the branch.

Probation decisions of the subtree awaiting the higher committee's approval, flagged when more
than ``PROBATION_APPROVAL_WARN_MONTHS`` months have passed since the decision, and the link to
the branch's 不列入应到 exemptions. One query.
"""

from __future__ import annotations

from branches import access, panels
from branches.models import Branch

from .probation import approval_warn_months, probation_decisions_awaiting_approval


def meeting_rules_panel(request, branch: Branch) -> panels.Panel | None:
    if branch.kind in (Branch.Kind.GROUP, Branch.Kind.HOUSEHOLD):
        return None
    if not access.has_perm(request.user, access.MANAGE, branch):
        return None
    awaiting = probation_decisions_awaiting_approval(branch)
    context = {
        "branch": branch,
        "awaiting": awaiting,
        "overdue": sum(1 for row in awaiting if row.overdue),
        "warn_months": approval_warn_months(),
    }
    return panels.Panel("activities/branch_panel.html", context, order=35)
