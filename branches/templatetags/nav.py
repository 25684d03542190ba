"""The site navigation: ``{% main_menu as menu %}`` and ``{{ user|nav_role }}``.

``main_menu`` is ``branches.menu.menu_for``: only the entries the user may open, and the 我的
group where the account has a member record. ``nav_role`` is "staff" (holds a branch grant),
"member" (holds none) or "" (not logged in). Both ask ``branches.access`` like every view does:
the grants are read once per request (one query, cached on the request's user), so a page whose
view already asked costs nothing more, and any other page one query; the member record is
noted in the session at log-in (no query).
"""

from __future__ import annotations

from django import template

from .. import access, menu

register = template.Library()


@register.filter
def nav_role(user) -> str:
    if not getattr(user, "is_authenticated", False):
        return ""
    return "staff" if access.is_staff_user(user) else "member"


@register.simple_tag(takes_context=True)
def main_menu(context) -> menu.Menu:
    request = context.get("request")
    if request is None:  # 400 and 500 are rendered without a request: no menu
        return menu.Menu("")
    return menu.menu_for(request)
