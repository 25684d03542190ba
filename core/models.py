"""The session table: Django's database session with the columns that let a user see and end their
own sessions (the devices they are logged in on), written from the session's data on every save
(core/sessions_db.py ``UserSessionMixin``). The row stays the session's source of truth: deleting it
ends the session, even a copy cached in Redis (core/sessions.py)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserSession(AbstractBaseSession):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    remembered = models.BooleanField(_("保持登录"), default=False)
    user_agent = models.CharField(_("设备"), max_length=300, blank=True)
    ip = models.CharField(_("IP 地址（部分隐藏）"), max_length=64, blank=True)
    last_used = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta(AbstractBaseSession.Meta):
        verbose_name = _("登录会话")
        verbose_name_plural = _("登录会话")

    @classmethod
    def get_session_store_class(cls):
        from .sessions_db import SessionStore

        return SessionStore
