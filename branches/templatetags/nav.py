"""The site navigation's one question, answered without a query.

``{{ user|nav_role }}`` is "staff" (holds a branch grant), "member" (holds none) or "" (not known
on this request). It reads only the grants that ``branches.access`` cached on the user when the
view asked for them; it never loads them itself, so it adds no query to any page (list pages pin
their query counts). When the view did not ask, the nav shows every link, as before.
"""

from __future__ import annotations

from django import template

from branches import access

register = template.Library()


@register.filter
def nav_role(user) -> str:
    if not getattr(user, "is_authenticated", False):
        return ""
    cached = getattr(user, access._CACHE_ATTR, None)
    if cached is None:
        return ""
    return "staff" if any(cached.values()) else "member"
