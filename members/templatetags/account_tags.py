"""The account's pieces on other pages: ``{% account_devices %}``, the devices the logged-in user is
logged in on with 退出 each and 全部退出 (core/devices.py; one query), and ``member|password_resettable:user``,
whether the member page offers 重置密码 (members/password_reset.py)."""

from django import template
from django.conf import settings

from core import devices

from ..password_reset import password_reset_allowed

register = template.Library()


@register.inclusion_tag("members/_devices.html", takes_context=True)
def account_devices(context):
    request = context["request"]
    return {
        "devices": devices.user_devices(request.user, current_key=request.session.session_key),
        "back": request.get_full_path(),
        "remember_days": settings.REMEMBER_PHONE_DAYS,
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def password_resettable(member, user) -> bool:
    return password_reset_allowed(user, member)
