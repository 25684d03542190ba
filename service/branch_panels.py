"""The branch page's links to the service pages: the board, registrations and posts (managers), and
where the branch's own members reported (readers)."""

from __future__ import annotations

from branches import access
from branches.models import Branch
from branches.panels import Panel

from .models import COMMUNITY_KINDS


def service_panel(request, branch: Branch) -> Panel | None:
    """No query: the user's grants are already cached by the page."""
    if branch.kind not in COMMUNITY_KINDS or not access.can_view(request.user, branch):
        return None
    manages = access.has_perm(request.user, access.MANAGE, branch)
    return Panel("service/branch_panel.html", {"branch": branch, "manages": manages}, order=250)
