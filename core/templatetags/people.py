"""``{{ user|person }}``: how a page names whoever did something (a builtin, no ``{% load %}``)."""

from django import template

register = template.Library()


@register.filter
def person(user) -> str:
    """The user's full name, else their log-in name; empty for nobody (an action of the system).

    ``{{ x.get_full_name|default:x.username }}`` raised VariableDoesNotExist, a 500, when ``x``
    was None: a filter's argument, unlike a variable, is not forgiven for failing to resolve.
    """
    if user is None:
        return ""
    return user.get_full_name() or user.username
