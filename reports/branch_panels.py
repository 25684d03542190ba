"""The branch page's link to the branch's report dashboard (for those who may read reports)."""

from __future__ import annotations

from branches.models import Branch
from branches.panels import Panel

from .jobs import may_read_reports


def reports_panel(request, branch: Branch) -> Panel | None:
    """No query: the user's grants are already cached by the page."""
    if branch.kind not in (Branch.Kind.COMMITTEE, Branch.Kind.GENERAL_BRANCH, Branch.Kind.BRANCH):
        return None
    if not may_read_reports(request.user, branch):
        return None
    return Panel("reports/branch_panel.html", {"branch": branch}, order=300)
