"""The client's address, read the same way by the audit trail, the rate limiters and the log-in lockout
(``settings.AXES_CLIENT_IP_CALLABLE``)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """``REMOTE_ADDR``; behind ``settings.AUDIT_TRUSTED_PROXIES`` reverse proxies, the entry the
    outermost of them added to X-Forwarded-For (their own entries are the rightmost), so that a client
    cannot choose the address it is logged and limited under. None when there is no address."""
    hops = getattr(settings, "AUDIT_TRUSTED_PROXIES", 0)
    if hops > 0:
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",") if a.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or None
