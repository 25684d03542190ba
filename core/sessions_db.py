"""The database session engine (``SESSION_ENGINE`` without Redis, and in tests): Django's ``db``
engine on ``core.UserSession``, whose row carries the user, the device and when it was last used.

``UserSessionMixin`` is shared with the Redis engine (core/sessions.py): the columns are written from
the session's data on every save (``create_model_instance``, the hook Django documents for
"extending database-backed session engines"). A session its owner chose to keep on this phone
(``devices.REMEMBER_KEY``) is saved again when a request uses it more than
``REMEMBER_PHONE_REFRESH_MINUTES`` after its last save: its row says when it was last used and its
expiry (and the cookie's) moves ``REMEMBER_PHONE_DAYS`` ahead, so a member who checks in every month
is never asked to log in again. Other sessions are saved only when their data changes, as Django does.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.utils import timezone

REMEMBER_KEY = "_remember_phone"
DEVICE_KEY = "_device"
SEEN_KEY = "_seen"


def _user_id(data: dict) -> int | None:
    try:
        return int(data.get(SESSION_KEY))
    except (TypeError, ValueError):
        return None


class UserSessionMixin:
    @classmethod
    def get_model_class(cls):
        from .models import UserSession

        return UserSession

    def load(self):
        data = super().load()
        refresh = getattr(settings, "REMEMBER_PHONE_REFRESH_MINUTES", 60) * 60
        if data.get(REMEMBER_KEY) and time.time() - data.get(SEEN_KEY, 0) >= refresh:
            self.modified = True  # saved at the end of this request (SessionMiddleware)
        return data

    def create_model_instance(self, data):
        data[SEEN_KEY] = int(time.time())  # before encoding: the saved data says when it was saved
        obj = super().create_model_instance(data)
        device = data.get(DEVICE_KEY) or {}
        obj.user_id = _user_id(data)
        obj.remembered = bool(data.get(REMEMBER_KEY))
        obj.user_agent = str(device.get("ua", ""))[:300]
        obj.ip = str(device.get("ip", ""))[:64]
        obj.last_used = timezone.now()
        return obj


class SessionStore(UserSessionMixin, db.SessionStore):
    pass
