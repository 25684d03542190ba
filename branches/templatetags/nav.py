"""The site navigation's one question: does the user hold any branch grant?

``{{ user|nav_role }}`` is "staff" (holds a branch grant), "member" (holds none) or "" (not
logged in). It asks ``branches.access`` like every view does: the grants are read once per
request (one query, cached on the request's user), so a page whose view already asked costs
nothing more, and any other page one query.
"""

from __future__ import annotations

from django import template

from branches import access

register = template.Library()


@register.filter
def nav_role(user) -> str:
    if not getattr(user, "is_authenticated", False):
        return ""
    return "staff" if access.is_staff_user(user) else "member"
