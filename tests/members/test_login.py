"""Logging in on a phone (members/login_views.py, issue 15): "remember this phone", why the page is
shown, the number keypad, and activation that logs the member in and goes on to the check-in."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import UserSession
from core.sessions_db import REMEMBER_KEY
from members import accounts
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

RIGHT = "pw-for-tests-1"  # tests.factories.UserFactory's password
PASSWORD = "Hongqi-2024-activate"
CHECKIN = "/activities/c/some-token/"


@pytest.fixture(autouse=True)
def _own_cache(own_cache):
    """The limiters' counters in a cache of these tests' own."""


def log_in(client: Client, username: str, **extra):
    return client.post(reverse("login"), {"username": username, "password": RIGHT, **extra})


def session_row(client: Client) -> UserSession:
    return UserSession.objects.get(session_key=client.session.session_key)


def test_remembering_the_phone_keeps_the_session_30_days_past_the_browser(client, member_a):
    response = log_in(client, member_a.phone, remember="on")
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["max-age"] == 30 * 86400  # a persistent cookie: it outlives the browser
    row = session_row(client)
    assert row.remembered
    assert abs(row.expire_date - timezone.now() - datetime.timedelta(days=30)) < datetime.timedelta(minutes=1)


def test_without_the_choice_the_session_ends_with_the_browser(client, member_a):
    response = log_in(client, member_a.phone)
    assert response.cookies["sessionid"]["max-age"] == ""  # a browser-session cookie
    row = session_row(client)
    assert not row.remembered
    assert row.expire_date - timezone.now() <= datetime.timedelta(hours=8)


def test_the_days_are_a_setting(client, member_a, settings):
    settings.REMEMBER_PHONE_DAYS = 7
    assert log_in(client, member_a.phone, remember="on").cookies["sessionid"]["max-age"] == 7 * 86400


def test_a_later_log_in_without_the_choice_forgets_it(client, member_a):
    log_in(client, member_a.phone, remember="on")
    response = log_in(client, member_a.phone)
    assert response.cookies["sessionid"]["max-age"] == ""
    assert REMEMBER_KEY not in client.session and not session_row(client).remembered


def test_staff_accounts_are_not_remembered_and_are_told(client, secretary_a):
    response = log_in(client, "secretary_a", remember="on")
    assert response.cookies["sessionid"]["max-age"] == ""
    assert not session_row(client).remembered
    page = client.get(response["Location"], follow=True)
    assert "管理账号不在手机上保持登录" in page.text


def test_staff_accounts_are_remembered_when_the_setting_allows(client, secretary_a, settings):
    settings.REMEMBER_PHONE_STAFF = True
    assert log_in(client, "secretary_a", remember="on").cookies["sessionid"]["max-age"] == 30 * 86400


def test_only_accounts_without_a_branch_grant_may_stay_logged_in(member_a, secretary_a):
    assert accounts.may_stay_logged_in(member_a.user)
    assert not accounts.may_stay_logged_in(secretary_a)


def test_the_log_in_page_says_why_when_a_check_in_sent_the_member(client):
    page = client.get(reverse("login"), {"next": CHECKIN})
    assert "登录后即可签到" in page.text
    assert f"?next={CHECKIN.replace('/', '%2F')}" in page.text  # the activation link goes on to the check-in
    assert "登录后即可签到" not in client.get(reverse("login"), {"next": reverse("members:me")}).text
    assert "登录后即可签到" not in client.get(reverse("login")).text


def test_a_failed_log_in_from_a_check_in_still_says_why(client, member_a):
    page = client.post(reverse("login"), {"username": member_a.phone, "password": "wrong", "next": CHECKIN})
    assert page.status_code == 200 and "登录后即可签到" in page.text


def test_the_phone_field_opens_the_number_keypad_and_can_switch_to_the_full_keyboard(client):
    page = client.get(reverse("login"), {"next": CHECKIN}).text
    assert 'type="tel" inputmode="numeric" name="username"' in page
    assert 'autocomplete="username"' in page
    full = client.get(reverse("login"), {"keyboard": "full", "next": CHECKIN}).text
    assert 'type="text" name="username"' in full and 'inputmode="numeric"' not in full
    assert 'name="keyboard" value="full"' in full  # a refused log-in keeps the full keyboard


def test_the_member_goes_on_to_the_check_in_after_logging_in(client, member_a):
    response = client.post(
        reverse("login"), {"username": member_a.phone, "password": RIGHT, "remember": "on", "next": CHECKIN}
    )
    assert response["Location"] == CHECKIN


# --- activation logs in ---------------------------------------------------------------------------


def activation_form(member, **changes) -> dict:
    data = {
        "name": member.name,
        "id_number": member.id_number,
        "phone": member.phone,
        "code": "",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    return {**data, **changes}


def test_activation_logs_the_member_in_and_goes_on_to_the_check_in(client, tree):
    member = MemberFactory(branch=tree.branch_a)
    url = reverse("members:activate") + f"?next={CHECKIN}"
    assert "激活后即可签到" in client.get(url).text
    response = client.post(url, activation_form(member, next=CHECKIN, remember="on"))
    assert response.status_code == 302 and response["Location"] == CHECKIN
    member.refresh_from_db()
    assert client.session["_auth_user_id"] == str(member.user.pk)
    assert session_row(client).remembered and response.cookies["sessionid"]["max-age"] == 30 * 86400


def test_activation_without_next_lands_on_the_first_page_not_remembered(client, tree):
    member = MemberFactory(branch=tree.branch_a)
    response = client.post(reverse("members:activate"), activation_form(member))
    assert response["Location"] == reverse("home")
    assert not session_row(client).remembered


def test_activation_refuses_a_next_on_another_site(client, tree):
    member = MemberFactory(branch=tree.branch_a)
    response = client.post(reverse("members:activate"), activation_form(member, next="https://evil.example/"))
    assert response["Location"] == reverse("home")


def test_a_refused_activation_logs_nobody_in(client, tree):
    member = MemberFactory(branch=tree.branch_a)
    response = client.post(reverse("members:activate"), activation_form(member, phone="13000000000"))
    assert response.status_code == 200 and "_auth_user_id" not in client.session
