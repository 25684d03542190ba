"""A small fixed-window rate limiter in Django's cache (Redis in production), as a view decorator.

``@rate_limit("check_in", key="user")`` lets each user (anonymous: each client IP) make at most
``settings.RATE_LIMITS["check_in"] = (limit, window_seconds)`` requests in one window, then answers
429 with a Chinese message (JSON ``{"code": "rate_limited", ...}`` with ``json=True``) and a
``Retry-After`` header. The counter is ``cache.add`` + ``cache.incr`` on one key per (scope, who,
window), through Django's cache API: no SQL, and inexact only by a key expiring between the two
calls, which lets one more request through. If the cache is down (Redis unreachable) the limiter
lets the request through and logs a warning: a meeting's check-in must not fail because Redis did.

``counts`` makes only some answers count, e.g. a failed activation attempt but not a successful one:
every request is counted before the view runs (so that no more than the limit are ever processed,
concurrent ones included), and the count of an answer that ``counts`` rejects is given back after it.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from .http import client_ip

logger = logging.getLogger(__name__)

DEFAULT_METHODS = ("POST",)


def _ip_who(request: HttpRequest) -> str:
    return "ip" + hashlib.sha256((client_ip(request) or "unknown").encode()).hexdigest()[:16]


def _who(request: HttpRequest, key: str) -> str:
    user = getattr(request, "user", None)
    if key == "user" and user is not None and user.is_authenticated:
        return f"u{user.pk}"
    return _ip_who(request)


def _cache_key(scope: str, who: str, window: int, now: float) -> tuple[str, int]:
    slot = int(now // window)
    retry_after = max(1, math.ceil((slot + 1) * window - now))
    return f"ratelimit:{scope}:{who}:{slot}", retry_after


def _count(key: str, count: int, window: int) -> int:
    """Add ``count`` to the window's counter (created by the first request, expiring after the window)."""
    cache.add(key, 0, timeout=window + 1)
    try:
        return cache.incr(key, count)
    except ValueError:  # the key expired between add and incr
        cache.set(key, count, timeout=window + 1)
        return count


def rate_limit_hit(*, scope: str, who: str, limit: int, window: int, now: float | None = None) -> tuple[bool, int]:
    """Count one request; ``(allowed, seconds until the window ends)``. Allowed when the cache fails."""
    key, retry_after = _cache_key(scope, who, window, time.time() if now is None else now)
    try:
        count = _count(key, 1, window)
    except Exception:  # noqa: BLE001 - a cache outage must not take the site down
        logger.warning("rate limiter: cache unavailable, %s not limited", scope, exc_info=True)
        return True, 0
    return count <= limit, retry_after


def rate_limit_uncount(*, scope: str, who: str, window: int, now: float) -> None:
    """Give back one request counted by ``rate_limit_hit`` at ``now`` (the same window's counter)."""
    key, _ = _cache_key(scope, who, window, now)
    try:
        cache.decr(key)
    except ValueError:  # the window's counter has expired: nothing to give back
        pass
    except Exception:  # noqa: BLE001
        logger.warning("rate limiter: cache unavailable, %s not given back", scope, exc_info=True)


def rate_limit_peek(*, scope: str, who: str, limit: int, window: int, now: float | None = None) -> tuple[bool, int]:
    """Whether one more counted request would still be allowed, without counting it."""
    key, retry_after = _cache_key(scope, who, window, time.time() if now is None else now)
    try:
        count = cache.get(key, 0)
    except Exception:  # noqa: BLE001
        logger.warning("rate limiter: cache unavailable, %s not limited", scope, exc_info=True)
        return True, 0
    return count < limit, retry_after


def limited_response(request: HttpRequest, *, retry_after: int, json: bool) -> HttpResponse:
    message = f"操作过于频繁，请 {wait_text(retry_after)}后再试"
    if json:
        response = JsonResponse({"code": "rate_limited", "message": message, "retry_after": retry_after}, status=429)
    else:
        html = render_to_string("rate_limited.html", {"message": message}, request=request)
        response = HttpResponse(html, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def rate_limit(
    scope: str,
    *,
    key: str = "user",
    methods: tuple[str, ...] = DEFAULT_METHODS,
    json: bool = False,
    counts: Callable[[HttpResponse], bool] | None = None,
):
    """Limit a view to ``settings.RATE_LIMITS[scope]`` requests per window, by user (``key="user"``) or IP."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if request.method not in methods:
                return view(request, *args, **kwargs)
            limit, window = settings.RATE_LIMITS[scope]
            now = time.time()
            who = _who(request, key)
            allowed, retry_after = rate_limit_hit(scope=scope, who=who, limit=limit, window=window, now=now)
            if not allowed:
                logger.warning("rate limited: %s %s", scope, who)
                return limited_response(request, retry_after=retry_after, json=json)
            response = view(request, *args, **kwargs)
            if counts is not None and not counts(response):
                rate_limit_uncount(scope=scope, who=who, window=window, now=now)
            return response

        return wrapped

    return decorator


def rate_limit_spend(*, scope: str, who: str, count: int, now: float | None = None) -> tuple[bool, int]:
    """Count ``count`` requests at once (e.g. the failed look-ups of one import, ``settings.RATE_LIMITS[scope]``):
    ``(still within the limit, seconds until the window ends)``. Allowed when the cache fails, as above."""
    limit, window = settings.RATE_LIMITS[scope]
    key, retry_after = _cache_key(scope, who, window, time.time() if now is None else now)
    try:
        total = _count(key, count, window) if count > 0 else cache.get(key, 0)
    except Exception:  # noqa: BLE001 - a cache outage must not take the site down
        logger.warning("rate limiter: cache unavailable, %s not limited", scope, exc_info=True)
        return True, 0
    return total <= limit, retry_after


def wait_text(retry_after: int) -> str:
    """``retry_after`` seconds in words, as ``limited_response`` says them."""
    return f"{retry_after} 秒" if retry_after < 120 else f"{math.ceil(retry_after / 60)} 分钟"
