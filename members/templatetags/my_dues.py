"""``{% my_dues member %}``: 我的党费 on the member's own page (members/dues/mine.py, two queries)."""

from django import template

from ..dues.mine import CANCELLED, PAID, SHORT_PAID, UNPAID, member_dues

register = template.Library()


@register.inclusion_tag("members/_my_dues.html")
def my_dues(member):
    return {
        "dues": member_dues(member),
        "states": {"paid": PAID, "short": SHORT_PAID, "unpaid": UNPAID, "cancelled": CANCELLED},
    }
