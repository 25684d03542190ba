"""JSON endpoints: ``POST /api/v1/check-ins`` for a logged-in member's phone.

Django's session authentication (``request.user``) and Django's CSRF middleware (the page sends
``X-CSRFToken``; ``settings.CSRF_FAILURE_VIEW`` is ``csrf_failure`` below, JSON under ``/api/``).
Every answer is JSON, errors as ``{"code": ..., "message": "<Chinese>"}``; the check-in itself
is ``activities.checkin.check_in``, as on the phone's page and the secretary's screen.
"""

from __future__ import annotations

import json

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views import csrf, defaults

from core.ratelimit import rate_limit

from .checkin import check_in_with_token
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


@rate_limit("check_in", key="user", json=True)
def check_ins(request: HttpRequest) -> JsonResponse:
    """签到: 201 with the attendance on the first check-in, 200 with the same row afterwards.

    CSRF is Django's middleware's (its failure answers JSON here, ``csrf_failure``); then 405,
    401, the body's 400, the token's errors and the check-in's.
    """
    if request.method != "POST":
        return error_response("method_not_allowed", "只接受 POST 请求")
    if not request.user.is_authenticated:
        return error_response("not_authenticated", "请先登录")
    try:
        token, nonce = _read_body(request)
        attendance, created = check_in_with_token(token=token, user=request.user, nonce=nonce)
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


def csrf_failure(request: HttpRequest, reason: str = ""):
    """``CSRF_FAILURE_VIEW``: under ``/api/`` the API's JSON 403 ``csrf_failed``, elsewhere Django's page."""
    if not request.path_info.startswith(API_PREFIX):
        return csrf.csrf_failure(request, reason=reason)
    return error_response("csrf_failed", "页面已过期，请刷新后重试")
