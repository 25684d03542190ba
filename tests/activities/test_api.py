"""POST /api/v1/check-ins: status codes, error codes, CSRF, and the four-query budget."""

from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from activities import checkin, services
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
    response = _post(phone, {"token": checkin.current_token(assembly), "nonce": "abc"})
    assert response.status_code == 201
    body = response.json()
    row = Attendance.objects.get()
    assert body["id"] == row.pk and body["status"] == "present" and body["created"] is True
    assert body["member"] == {"id": member_a.pk, "name": member_a.name}
    assert body["activity"]["id"] == assembly.pk and body["message"] == "签到成功"


def test_second_check_in_answers_200_with_the_same_attendance_and_original_time(phone, assembly):
    first = _post(phone, {"token": checkin.current_token(assembly), "nonce": "one"}).json()
    response = _post(phone, {"token": checkin.current_token(assembly), "nonce": "two"})
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == first["id"] and body["checked_in_at"] == first["checked_in_at"]
    assert body["created"] is False and body["message"].startswith("已签到")
    assert Attendance.objects.count() == 1


def test_check_in_runs_at_most_four_queries(phone, assembly, django_assert_max_num_queries):
    token = checkin.current_token(assembly)
    with django_assert_max_num_queries(4):
        assert _post(phone, {"token": token, "nonce": "q1"}).status_code == 201
    with django_assert_max_num_queries(4):
        assert _post(phone, {"token": token, "nonce": "q2"}).status_code == 200


def test_anonymous_gets_401_json(client, assembly):
    response = _post(client, {"token": checkin.current_token(assembly)})
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_user_without_a_member_gets_403_json(client, assembly):
    client.force_login(UserFactory())
    response = _post(client, {"token": checkin.current_token(assembly)})
    assert response.status_code == 403 and response.json()["code"] == "no_member"
    assert not Attendance.objects.exists()


def test_csrf_is_enforced(member_a, assembly):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member_a.user)
    response = _post(strict, {"token": checkin.current_token(assembly)})
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
    assert not Attendance.objects.exists()

    strict.get(reverse("login"))  # sets the CSRF cookie, as the check-in page does
    csrf = strict.cookies["csrftoken"].value
    response = _post(strict, {"token": checkin.current_token(assembly)}, HTTP_X_CSRFTOKEN=csrf)
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
    old = checkin.current_token(assembly, timezone.now() - datetime.timedelta(minutes=2))
    _expect_error(phone, old, 400, "expired_token")


def test_not_open_is_409(phone, make_activity, tree):
    later = make_activity(tree.branch_a, start=timezone.now() + datetime.timedelta(hours=2))
    _expect_error(phone, checkin.current_token(later), 409, "not_open")


def test_closed_is_409(phone, make_activity, tree):
    start = timezone.now() - datetime.timedelta(hours=3)
    over = make_activity(tree.branch_a, start=start, hours=1)
    _expect_error(phone, checkin.current_token(over), 409, "closed")


def test_not_expected_is_403(phone, make_activity, tree):
    elsewhere = make_activity(tree.branch_b)
    _expect_error(phone, checkin.current_token(elsewhere), 403, "not_expected")


def test_cancelled_is_409(phone, assembly, secretary_a):
    services.activity_cancel(activity=assembly, by=secretary_a)
    _expect_error(phone, checkin.current_token(assembly), 409, "cancelled")
