"""The forms of a member's account: log-in (with "remember this phone") and activation (with the
same choice, since activating logs the member in)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .forms import ActivateForm


def _remember_field() -> forms.BooleanField:
    return forms.BooleanField(
        label=_("在这台手机上保持登录"),
        required=False,
        help_text=_("本人的手机可勾选：之后扫码签到无需再登录，可随时在“我的”中退出。公用电脑请勿勾选。"),
    )


class LoginForm(AuthenticationForm):
    """Django's log-in form (the backends read a phone number, an ID number or a username) and the choice."""

    remember = _remember_field()


class ActivateAndLogInForm(ActivateForm):
    """The activation form (members/forms.py), for a first activation and for setting a new password
    with the code a secretary issued (``accounts.password_reset_issue``), with the choice."""

    remember = _remember_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = _(
            "担任支委及以上职务或网格长、网格员的党员、以及密码被重置的党员，须填写签发给您的激活码；其他党员不填"
        )
