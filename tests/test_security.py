"""Log-in lockout (django-axes, by typed identifier and IP together) and CSRF on every POST."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from core.masking import mask_phone
from members.idnumbers import mask_id_number
from members.models import Member
from tests.test_permission_matrix import DONE, FORM, LOGIN, NOT_ALLOWED, OK, PERSONAS, TABLE, world  # noqa: F401

pytestmark = pytest.mark.django_db

RIGHT = "pw-for-tests-1"  # tests.factories.UserFactory's password
LOCKED_TEXT = "登录失败次数过多，请 15 分钟后再试"


@pytest.fixture(autouse=True)
def fresh_counters(settings, own_cache):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = 0.25  # 15 minutes


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def _fail(client, username, times, ip="10.0.0.1"):
    return [_login(client, username, "wrong-password", ip).status_code for _ in range(times)]


# --- lockout ---------------------------------------------------------------------------------


def test_five_failures_lock_that_identifier_from_that_address_with_a_clear_message(client, member_a):
    assert _fail(client, member_a.phone, 4) == [200, 200, 200, 200]  # the form again, with its error
    response = _login(client, member_a.phone, "wrong-password")
    assert response.status_code == 429
    assert LOCKED_TEXT in response.text and response["Retry-After"] == "900"
    # Now even the right password is refused, and no session is opened.
    response = _login(client, member_a.phone, RIGHT)
    assert response.status_code == 429 and LOCKED_TEXT in response.text
    assert "_auth_user_id" not in client.session


def test_a_locked_identifier_still_logs_in_from_another_address(client, member_a):
    _fail(client, member_a.phone, 5, ip="10.0.0.1")
    response = _login(client, member_a.phone, RIGHT, ip="10.9.9.9")
    assert response.status_code == 302 and int(client.session["_auth_user_id"]) == member_a.user.pk


def test_one_attacker_cannot_lock_out_the_rest_of_the_office(client, member_a, secretary_a):
    """Same address, another identifier: the colleague logs in."""
    _fail(client, member_a.phone, 8, ip="10.0.0.1")
    response = _login(Client(), secretary_a.username, RIGHT, ip="10.0.0.1")
    assert response.status_code == 302


def test_lockout_keys_on_the_phone_as_typed_in_any_spelling_and_stores_it_masked(client, member_a):
    spaced = f"{member_a.phone[:3]} {member_a.phone[3:7]} {member_a.phone[7:]}"
    _fail(client, spaced, 3)
    _fail(client, f"+86{member_a.phone}", 2)
    assert _login(client, member_a.phone, RIGHT).status_code == 429
    stored = AccessAttempt.objects.get().username
    assert stored.startswith(mask_phone(member_a.phone) + "#") and member_a.phone not in stored


def test_phone_and_id_number_log_ins_go_through_the_member_backend_and_are_both_counted(client, member_a):
    """The member backend (phone or ID number) runs after the lockout check: a wrong password counts."""
    assert _login(client, member_a.id_number, RIGHT).status_code == 302
    client.logout()
    _fail(client, member_a.id_number.lower(), 5)
    assert _login(client, member_a.id_number, RIGHT).status_code == 429
    attempt = AccessAttempt.objects.get()
    # The attempt made while locked counts too (and restarts the cool-off).
    assert attempt.failures_since_start == 6
    assert attempt.username.startswith(mask_id_number(member_a.id_number) + "#")
    assert member_a.id_number not in attempt.username  # sensitive personal information: never in clear


def test_success_before_the_limit_resets_the_count(client, member_a):
    _fail(client, member_a.phone, 4)
    assert _login(client, member_a.phone, RIGHT).status_code == 302
    client.logout()
    assert _fail(client, member_a.phone, 4) == [200] * 4
    assert _login(client, member_a.phone, RIGHT).status_code == 302


def test_lockout_ends_after_the_cool_off(client, member_a, settings):
    _fail(client, member_a.phone, 5)
    assert _login(client, member_a.phone, RIGHT).status_code == 429
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time.replace(year=2000))
    assert _login(client, member_a.phone, RIGHT).status_code == 302


def test_log_in_page_failure_message_does_not_say_whether_the_identifier_exists(client, member_a):
    unknown = _login(client, "13900000000", "wrong-password")
    known = _login(client, member_a.phone, "wrong-password")
    assert unknown.status_code == known.status_code == 200
    assert unknown.context["form"].errors == known.context["form"].errors


def test_log_lines_of_failures_lockouts_and_limits_carry_no_raw_id_number_or_phone(client, member_a, member_b, caplog):
    caplog.set_level(logging.INFO)
    settings_limits = {**settings.RATE_LIMITS, "activate": (1, 600)}
    _fail(client, member_a.id_number, 6)
    _fail(client, member_a.phone, 6)
    wrong = {
        "name": "冒名",
        "id_number": member_b.id_number,
        "phone": member_b.phone,
        "password1": "x",
        "password2": "x",
    }
    with override_settings(RATE_LIMITS=settings_limits):
        answers = [client.post(reverse("members:activate"), wrong).status_code for _ in range(2)]
    assert answers == [200, 429]
    assert "Locking out" in caplog.text and "rate limited: activate" in caplog.text  # the events were logged
    raw = [member_a.id_number, member_a.phone, member_b.id_number, member_b.phone]
    assert [value for value in raw if value in caplog.text] == []


# --- CSRF ------------------------------------------------------------------------------------

POST_TEMPLATE = re.compile(r"<form\b[^>]*method\s*=\s*[\"']?post[^>]*>", re.IGNORECASE)


def test_every_post_form_in_the_templates_carries_a_csrf_token():
    forms = []
    for path in sorted(Path(settings.BASE_DIR, "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for match in POST_TEMPLATE.finditer(text):
            end = text.find("</form>", match.end())
            body = text[match.end() : end if end != -1 else None]
            # the tag, or the context processor's token in a hidden field (rows of one page share it)
            forms.append((path.name, "{% csrf_token %}" in body or 'value="{{ csrf_token }}"' in body))
    assert len(forms) >= 30  # the site's forms were found
    assert [name for name, ok in forms if not ok] == []


def _persona_for_post(answers: dict[str, str]) -> str | None:
    """Someone whose POST the table says is served (or sent to log in); None if nobody may POST."""
    for wanted in (OK, DONE, FORM, LOGIN):
        for persona in PERSONAS:
            if answers[persona] == wanted:
                return persona
    return None


def _user(request, persona):
    obj = request.getfixturevalue(persona)
    return obj.user if isinstance(obj, Member) else obj


def test_every_post_without_a_csrf_token_is_refused_and_with_one_it_is_not(world, request):  # noqa: F811
    """Every URL of the permission table that accepts POST, as a persona the table lets POST there."""
    checked, refused = [], []
    for name, row in sorted(TABLE.items()):
        side = row.sides[0]
        persona = _persona_for_post(row.post(side))
        if persona is None or all(a == NOT_ALLOWED for a in row.post(side).values()):
            continue
        url = reverse(name, kwargs=row.kwargs(world, side))
        client = Client(enforce_csrf_checks=True)
        if persona != "anonymous":
            client.force_login(_user(request, persona))
        with transaction.atomic():
            without = client.post(url, row.post_data(world, side))
            transaction.set_rollback(True)
        client.get(reverse("login"))  # sets the csrftoken cookie
        token = client.cookies["csrftoken"].value
        with transaction.atomic():
            if name == "api:check_ins":
                with_token = client.post(url, "{}", content_type="application/json", HTTP_X_CSRFTOKEN=token)
            else:
                with_token = client.post(url, {**row.post_data(world, side), "csrfmiddlewaretoken": token})
            transaction.set_rollback(True)
        checked.append(name)
        if without.status_code != 403:
            refused.append(f"{name} as {persona}: {without.status_code} without a token")
        elif name == "api:check_ins":
            assert without.json()["code"] == "csrf_failed"
        else:
            assert "CSRF" in without.content.decode(), name
        if with_token.status_code == 403 and "CSRF" in with_token.content.decode():
            refused.append(f"{name} as {persona}: refused even with a token")
    assert not refused, "\n".join(refused)
    must = {
        "login",
        "logout",
        "members:activate",
        "members:create",
        "members:edit",
        "members:import",
        "activities:create",
        "activities:hold",
        "activities:checkin",
        "api:check_ins",
        "health:adjust",
    }
    assert must <= set(checked), must - set(checked)
    assert len(checked) >= 60


def test_check_in_api_refuses_a_post_without_a_token_as_json(member_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member_a.user)
    response = client.post("/api/v1/check-ins", json.dumps({"token": "x"}), content_type="application/json")
    assert response.status_code == 403
    assert response.json() == {"code": "csrf_failed", "message": "页面已过期，请刷新后重试"}


# --- the same work for every identifier, and a limit per address (issue 12, item 7) -----------


def _hashes(identifier: str, password: str = "wrong-password", ip: str = "10.4.0.1") -> int:
    """How many times the password hasher ran for one log-in attempt."""
    from django.contrib.auth.hashers import get_hasher

    hasher_class = type(get_hasher("default"))
    with mock.patch.object(hasher_class, "encode", autospec=True, side_effect=hasher_class.encode) as encode:
        _login(Client(), identifier, password, ip)
    return encode.call_count


def test_a_known_and_an_unknown_identifier_cost_the_same_password_hashes(member_a, member_b, secretary_a):
    """A phone or ID number with an account, without one (member_b has none) or of nobody; a username or not."""
    from tests.factories import new_id_number

    phones = [_hashes(member_a.phone), _hashes(member_b.phone), _hashes("13900009999")]
    numbers = [_hashes(member_a.id_number), _hashes(member_b.id_number), _hashes(new_id_number())]
    usernames = [_hashes(secretary_a.username), _hashes("nobody-here")]
    assert len(set(phones)) == len(set(numbers)) == len(set(usernames)) == 1, (phones, numbers, usernames)
    assert phones[0] >= 1 and usernames[0] >= 1


def test_many_identifiers_from_one_address_lock_that_address_out(client, member_a, settings):
    settings.AXES_IP_FAILURE_LIMIT = 30
    answers = [_login(client, f"1390000{i:04d}", "wrong-password", "10.6.6.6").status_code for i in range(30)]
    assert answers == [200] * 30  # five failures of any one identifier would lock it; none repeats
    response = _login(client, member_a.phone, RIGHT, "10.6.6.6")
    assert response.status_code == 429 and LOCKED_TEXT in response.text
    assert "_auth_user_id" not in client.session
    # Another address still logs in.
    assert _login(Client(), member_a.phone, RIGHT, "10.6.6.7").status_code == 302


def test_the_per_address_limit_is_configurable(client, member_a, settings):
    settings.AXES_IP_FAILURE_LIMIT = 3
    assert [_login(client, f"1390000{i:04d}", "x", "10.6.6.8").status_code for i in range(3)] == [200] * 3
    assert _login(client, member_a.phone, RIGHT, "10.6.6.8").status_code == 429
