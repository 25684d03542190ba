"""JSON endpoints: ``POST /api/v1/check-ins`` for a logged-in member's phone.

Session authentication with CSRF enforced (the page sends ``X-CSRFToken``); every answer is
JSON, errors as ``{"code": ..., "message": "<Chinese>"}``. The request runs at most four
queries: the session, the user, the check-in's one read and its one write.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from branches.ratelimit import rate_limit

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
}


def error_response(code: str, message: str) -> JsonResponse:
    response = JsonResponse({"code": code, "message": message}, status=ERROR_STATUS.get(code, 400))
    if code == "method_not_allowed":
        response["Allow"] = "POST"
    return response


def _csrf_rejected(request: HttpRequest) -> bool:
    """CSRF checked here rather than by the middleware, so that a failure answers JSON too."""
    return CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {}) is not None


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
        "status_display": attendance.get_status_display(),
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


@csrf_exempt
@rate_limit("check_in", key="user", json=True)
def check_ins(request: HttpRequest) -> JsonResponse:
    """签到: 201 with the attendance on the first check-in, 200 with the same row afterwards."""
    if request.method != "POST":
        return error_response("method_not_allowed", "只接受 POST 请求")
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
