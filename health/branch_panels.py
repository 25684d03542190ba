"""The branch page's panel of dues and health-check links (``branches`` may not import health).

Shown to users who manage or review the branch; it runs no query (the grants are cached).
"""

from __future__ import annotations

from branches import access, panels
from branches.models import Branch


def dues_and_health_panel(request, branch: Branch) -> panels.Panel | None:
    user = request.user
    can_manage = access.has_perm(user, access.MANAGE, branch)
    can_review = access.has_perm(user, access.REVIEW, branch)
    if not (can_manage or can_review):
        return None
    context = {"branch": branch, "can_manage": can_manage, "can_review": can_review}
    return panels.Panel("health/branch_panel.html", context, order=40)
