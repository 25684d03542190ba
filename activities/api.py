"""JSON endpoints: ``POST /api/v1/check-ins`` for a logged-in member's phone.

Session authentication with CSRF enforced (the page sends ``X-CSRFToken``); every answer is
JSON, errors as ``{"code": ..., "message": "<Chinese>"}``. The request runs three queries: the
session (none with sessions in Redis), the check-in's one read and its one write. The user is
not loaded: the read also returns the session account's password hash and ``is_active``, and
``_session_verified`` checks them exactly as ``django.contrib.auth.get_user`` would (the backend
is configured, the account may log in, the session hash matches SECRET_KEY or a fallback).
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model, load_backend
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

from branches.ratelimit import rate_limit

from .checkin import check_in_loaded, check_in_with_token, check_token_shape, load_account_state
from .errors import CheckInError
from .models import Attendance

ERROR_STATUS = {
    "invalid_token": 400,
    "expired_token": 400,
    "bad_request": 400,
    "not_open": 409,
    "closed": 409,
    "cancelled": 409,
    "nonce_reused": 409,
    "not_expected": 403,
    "no_member": 403,
    "csrf_failed": 403,
    "not_authenticated": 401,
    "method_not_allowed": 405,
    "too_large": 413,
    "server_error": 500,
}
API_PREFIX = "/api/"  # where partysite/urls.py mounts api_urls


def error_response(code: str, message: str) -> JsonResponse:
    response = JsonResponse({"code": code, "message": message}, status=ERROR_STATUS.get(code, 400))
    if code == "method_not_allowed":
        response["Allow"] = "POST"
    return response


_CSRF = CsrfViewMiddleware(lambda r: None)  # keeps no state between requests


def _csrf_rejected(request: HttpRequest) -> bool:
    """CSRF checked here rather than by the middleware, so that a failure answers JSON too."""
    return _CSRF.process_view(request, None, (), {}) is not None


def attendance_json(attendance: Attendance, *, created: bool) -> dict:
    checked_in_at = timezone.localtime(attendance.checked_in_at) if attendance.checked_in_at else None
    if created:
        message = "签到成功"
    else:
        message = f"已签到（{checked_in_at:%H:%M}）" if checked_in_at else "已签到"
    return {
        "id": attendance.pk,
        "activity": {"id": attendance.activity.pk, "title": attendance.activity.title},
        "member": {"id": attendance.member.pk, "name": attendance.member.name},
        "status": attendance.status,
        "status_display": str(Attendance.Status(attendance.status).label),
        "method": attendance.method,
        "checked_in_at": checked_in_at.isoformat() if checked_in_at else None,
        "created": created,
        "message": message,
    }


def _read_body(request: HttpRequest) -> tuple[str, str]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise CheckInError("请求格式错误", code="bad_request") from None
    if not isinstance(body, dict) or not isinstance(body.get("token"), str):
        raise CheckInError("缺少签到码", code="bad_request")
    nonce = body.get("nonce") or ""
    if not isinstance(nonce, str) or len(nonce) > 64:
        raise CheckInError("请求标识应为不超过 64 个字符的字符串", code="bad_request")
    return body["token"], nonce


SESSION_HASH_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"


def _session_hash(password: str, secret: str) -> str:
    """``AbstractBaseUser._get_session_auth_hash`` for a password hash read without the user."""
    return salted_hmac(SESSION_HASH_SALT, password, secret=secret, algorithm="sha256").hexdigest()


def _session_login(request: HttpRequest) -> tuple[int, object] | None:
    """The session's user id and backend, if its backend is configured (as ``get_user`` reads them)."""
    try:
        user_id = get_user_model()._meta.pk.to_python(request.session[SESSION_KEY])
        backend_path = request.session[BACKEND_SESSION_KEY]
    except (KeyError, ValidationError):
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    return user_id, load_backend(backend_path)


def _reads_accounts_like_model_backend(backend) -> bool:
    """``get_user`` of this backend is ``ModelBackend``'s: the account by id, if it may log in."""
    return isinstance(backend, ModelBackend) and type(backend).get_user is ModelBackend.get_user


def _session_verified(request: HttpRequest, account, backend) -> bool:
    """``get_user``'s checks on the account read with the state (``ModelBackend.get_user`` + session hash)."""
    if account is None or not backend.user_can_authenticate(account):
        return False
    session_hash = request.session.get(HASH_SESSION_KEY)
    current = _session_hash(account.password, settings.SECRET_KEY)
    if session_hash and constant_time_compare(session_hash, current):
        return True
    if session_hash and any(
        constant_time_compare(session_hash, _session_hash(account.password, fallback))
        for fallback in settings.SECRET_KEY_FALLBACKS
    ):
        request.session.cycle_key()
        request.session[HASH_SESSION_KEY] = current
        return True
    request.session.flush()
    return False


def _check_in_other_backend(request: HttpRequest) -> JsonResponse:
    """A session of a backend with a ``get_user`` of its own: Django's lazy user, as before."""
    if not request.user.is_authenticated:
        return error_response("not_authenticated", "请先登录")
    if _csrf_rejected(request):
        return error_response("csrf_failed", "页面已过期，请刷新后重试")
    try:
        token, nonce = _read_body(request)
        attendance, created = check_in_with_token(token=token, user=request.user, nonce=nonce)
    except CheckInError as exc:
        return error_response(exc.code, exc.message)
    return JsonResponse(attendance_json(attendance, created=created), status=201 if created else 200)


@csrf_exempt
@rate_limit("check_in", key="session", json=True)
def check_ins(request: HttpRequest) -> JsonResponse:
    """签到: 201 with the attendance on the first check-in, 200 with the same row afterwards.

    The answers and their order are those of the lazy-user version (405, 401, CSRF 403, 400, the
    token's errors, then the check-in's), but the account is read in the check-in's own SELECT.
    """
    if request.method != "POST":
        return error_response("method_not_allowed", "只接受 POST 请求")
    login = _session_login(request)
    if login is None:
        return error_response("not_authenticated", "请先登录")
    user_id, backend = login
    if not _reads_accounts_like_model_backend(backend):
        return _check_in_other_backend(request)
    # Everything decided without the database first; answered after the 401 as before.
    refusal, parsed, nonce, now = None, None, "", timezone.now()
    if _csrf_rejected(request):
        refusal = error_response("csrf_failed", "页面已过期，请刷新后重试")
    else:
        try:
            token, nonce = _read_body(request)
            parsed = check_token_shape(token, now)
        except CheckInError as exc:
            refusal = error_response(exc.code, exc.message)
    account = load_account_state(user_id=user_id, activity_id=parsed.activity_id if parsed else None)
    if not _session_verified(request, account, backend):
        return error_response("not_authenticated", "请先登录")
    if refusal is not None:
        return refusal
    try:
        attendance, created = check_in_loaded(parsed=parsed, state=account.state, user_id=user_id, nonce=nonce, now=now)
    except CheckInError as exc:
        return error_response(exc.code, exc.message)
    return JsonResponse(attendance_json(attendance, created=created), status=201 if created else 200)


# ---------------------------------------------------------------------------- error handlers


def bad_request(request: HttpRequest, exception):
    """``handler400``: under ``/api/`` the API's JSON, elsewhere Django's page.

    A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (``RequestDataTooBig``, raised when the body is
    read) answers 413 ``too_large``.
    """
    if not request.path_info.startswith(API_PREFIX):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return error_response("too_large", "请求内容过大")
    return error_response("bad_request", "请求格式错误")


def server_error(request: HttpRequest):
    """``handler500``: under ``/api/`` JSON ``server_error`` (the phone's page shows its message), elsewhere Django's page."""
    if not request.path_info.startswith(API_PREFIX):
        return defaults.server_error(request)
    return error_response("server_error", "服务器暂时出现问题，请稍后再试")
