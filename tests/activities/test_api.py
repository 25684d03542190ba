"""POST /api/v1/check-ins: status codes, error codes, CSRF (Django's, answered in JSON), the session's user."""

from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from activities import services, tokens
from activities.models import Activity, Attendance
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/check-ins"


@pytest.fixture
def assembly(make_activity, tree):
    return make_activity(tree.branch_a, Activity.Kind.BRANCH_ASSEMBLY)


@pytest.fixture
def phone(client, member_a):
    client.force_login(member_a.user)
    return client


def _post(client, body, **extra):
    return client.post(URL, data=json.dumps(body), content_type="application/json", **extra)


def test_url_is_named():
    assert reverse("api:check_ins") == URL


def test_first_check_in_answers_201_with_the_attendance(phone, assembly, member_a):
    response = _post(phone, {"token": tokens.current_token(assembly), "nonce": "abc"})
    assert response.status_code == 201
    body = response.json()
    row = Attendance.objects.get()
    assert body["id"] == row.pk and body["status"] == "present" and body["created"] is True
    assert body["member"] == {"id": member_a.pk, "name": member_a.name}
    assert body["activity"]["id"] == assembly.pk and body["message"] == "签到成功"


def test_second_check_in_answers_200_with_the_same_attendance_and_original_time(phone, assembly):
    first = _post(phone, {"token": tokens.current_token(assembly), "nonce": "one"}).json()
    response = _post(phone, {"token": tokens.current_token(assembly), "nonce": "two"})
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == first["id"] and body["checked_in_at"] == first["checked_in_at"]
    assert body["created"] is False and body["message"].startswith("已签到")
    assert Attendance.objects.count() == 1


def _refused(client, assembly) -> None:
    response = _post(client, {"token": tokens.current_token(assembly), "nonce": "x"})
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    assert not Attendance.objects.exists()


def test_session_of_a_changed_password_gets_401_and_is_flushed(phone, assembly, member_a):
    member_a.user.set_password("a new password 123")
    member_a.user.save()
    _refused(phone, assembly)
    assert "_auth_user_id" not in phone.session


def test_session_signed_with_a_fallback_secret_still_checks_in(phone, assembly, settings):
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "another secret key for the rotation test, long enough to be used"
    response = _post(phone, {"token": tokens.current_token(assembly), "nonce": "f"})
    assert response.status_code == 201


def test_session_with_a_wrong_secret_gets_401(phone, assembly, settings):
    settings.SECRET_KEY = "another secret key for the rotation test, long enough to be used"
    _refused(phone, assembly)


def test_inactive_user_gets_401(phone, assembly, member_a):
    member_a.user.is_active = False
    member_a.user.save()
    _refused(phone, assembly)


def test_session_of_an_unknown_backend_gets_401(phone, assembly):
    session = phone.session
    session["_auth_user_backend"] = "somewhere.else.Backend"
    session.save()
    _refused(phone, assembly)


def test_session_of_a_deleted_user_gets_401(phone, assembly, member_a):
    user = member_a.user
    member_a.user = None
    member_a.save(update_fields=["user"])
    user.delete()  # its session rows go with it (core.UserSession.user cascades)
    _refused(phone, assembly)


def test_session_without_the_hash_gets_401(phone, assembly):
    session = phone.session
    del session["_auth_user_hash"]
    session.save()
    _refused(phone, assembly)


def test_logged_out_session_gets_401(phone, assembly):
    phone.logout()
    _refused(phone, assembly)


def test_stale_session_gets_401_before_body_errors(member_a, assembly):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member_a.user)
    strict.get(reverse("login"))  # the CSRF cookie: Django's CSRF check comes first, then the session's user
    csrf = strict.cookies["csrftoken"].value
    member_a.user.set_password("a new password 123")
    member_a.user.save()
    response = strict.post(URL, data="not json", content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_a_csrf_failure_elsewhere_keeps_djangos_page(member_a):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member_a.user)
    response = strict.post(reverse("logout"))
    assert response.status_code == 403 and response["Content-Type"].startswith("text/html")


def test_anonymous_gets_401_json(client, assembly):
    response = _post(client, {"token": tokens.current_token(assembly)})
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_user_without_a_member_gets_403_json(client, assembly):
    client.force_login(UserFactory())
    response = _post(client, {"token": tokens.current_token(assembly)})
    assert response.status_code == 403 and response.json()["code"] == "no_member"
    assert not Attendance.objects.exists()


def test_csrf_is_enforced(member_a, assembly):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member_a.user)
    response = _post(strict, {"token": tokens.current_token(assembly)})
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
    assert not Attendance.objects.exists()

    strict.get(reverse("login"))  # sets the CSRF cookie, as the check-in page does
    csrf = strict.cookies["csrftoken"].value
    response = _post(strict, {"token": tokens.current_token(assembly)}, HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 201


def test_get_is_not_allowed(phone):
    response = phone.get(URL)
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize("body", ["not json", "[]", '{"nonce": "x"}', '{"token": "t", "nonce": 5}'])
def test_malformed_body_is_400(phone, body):
    response = phone.post(URL, data=body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "bad_request"


def _expect_error(client, token, status, code):
    response = _post(client, {"token": token, "nonce": "n"})
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code and body["message"]
    assert not Attendance.objects.exists()  # a rejected check-in writes nothing


def test_invalid_token_is_400(phone, assembly):
    _expect_error(phone, f"{assembly.pk}.1.forged", 400, "invalid_token")


def test_expired_token_is_400(phone, assembly):
    old = tokens.current_token(assembly, timezone.now() - datetime.timedelta(minutes=2))
    _expect_error(phone, old, 400, "expired_token")


def test_not_open_is_409(phone, make_activity, tree):
    later = make_activity(tree.branch_a, start=timezone.now() + datetime.timedelta(hours=2))
    _expect_error(phone, tokens.current_token(later), 409, "not_open")


def test_closed_is_409(phone, make_activity, tree):
    start = timezone.now() - datetime.timedelta(hours=3)
    over = make_activity(tree.branch_a, start=start, hours=1)
    _expect_error(phone, tokens.current_token(over), 409, "closed")


def test_not_expected_is_403(phone, make_activity, tree):
    elsewhere = make_activity(tree.branch_b)
    _expect_error(phone, tokens.current_token(elsewhere), 403, "not_expected")


def test_cancelled_is_409(phone, assembly, secretary_a):
    services.activity_cancel(activity=assembly, by=secretary_a)
    _expect_error(phone, tokens.current_token(assembly), 409, "cancelled")


# ---------------------------------------------------------------------------- errors answer JSON (issue 12 items 14, 19)


def test_a_body_over_the_upload_limit_answers_json_413(member_a, assembly, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    phone = Client(raise_request_exception=False)
    phone.force_login(member_a.user)
    body = {"token": tokens.current_token(assembly), "nonce": "big", "padding": "x" * 2048}
    response = _post(phone, body)
    assert response.status_code == 413 and response["Content-Type"] == "application/json"
    assert response.json() == {"code": "too_large", "message": "请求内容过大"}
    form = phone.post(URL, {"token": "x" * 2048})  # a form body: read by the CSRF check first
    assert form.status_code == 413 and form.json()["code"] == "too_large"
    assert not Attendance.objects.exists()


def test_a_database_error_answers_json_500_on_the_api(member_a, assembly):
    from unittest import mock

    from django.db import OperationalError

    phone = Client(raise_request_exception=False)
    phone.force_login(member_a.user)
    down = OperationalError("server closed the connection unexpectedly")
    with mock.patch("activities.api.check_in_with_token", side_effect=down):
        response = _post(phone, {"token": tokens.current_token(assembly), "nonce": "db"})
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert response.json()["code"] == "server_error"


def test_errors_outside_the_api_keep_the_sites_pages(secretary_a, settings):
    from unittest import mock

    from django.db import OperationalError

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    browser = Client(raise_request_exception=False)
    browser.force_login(secretary_a)
    with mock.patch("branches.views.render", side_effect=OperationalError("gone")):
        page = browser.get(reverse("branches:tree"))
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")
    big = browser.post(reverse("members:create"), {"name": "x" * 2048})
    assert big.status_code == 400 and big["Content-Type"].startswith("text/html")
