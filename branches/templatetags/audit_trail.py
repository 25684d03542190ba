"""``{% audit_trail obj %}`` and ``{% audit_bulk_events branch %}``: the audit trail on an object's page.

Shown only to those who manage or review the object's branch (``audit.can_see_trail``); for
everyone else the tag renders nothing and runs no query. Each entry is a card (time, who, what,
each change on its own line) that wraps on a phone (static/css/audit.css).
"""

from django import template

from .. import audit

register = template.Library()


@register.inclusion_tag("branches/_audit_trail.html", takes_context=True)
def audit_trail(context, obj, branch, related: str = "", bulk: bool = False):
    """The entries of ``obj`` (and, with ``related="member_id"``, of the rows that name it).

    ``bulk`` adds the bulk events recorded on ``obj`` (an activity's freeze, its attendance
    sheets): one query more.
    """
    user = context["request"].user
    if not audit.can_see_trail(user, branch):
        return {"visible": False}
    entries = audit.trail_for(obj, related={related: obj.pk} if related else None, bulk=bulk, viewer=user)
    return {"visible": True, "entries": entries, "limit": audit.TRAIL_LIMIT}


@register.inclusion_tag("branches/_audit_trail.html", takes_context=True)
def audit_bulk_events(context, branch):
    """Imports, recomputations and review steps of ``branch``'s subtree and above."""
    user = context["request"].user
    if not audit.can_see_trail(user, branch):
        return {"visible": False}
    entries = audit.bulk_events_for(branch, viewer=user)
    return {"visible": True, "entries": entries, "limit": audit.TRAIL_LIMIT, "bulk": True}
