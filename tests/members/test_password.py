"""Passwords and devices (members/password_views.py, members/password_reset.py, issue 15): a user
changes their password and ends their sessions; a secretary resets a member's password with a code
the member uses on the activation page."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from branches import access
from branches.models import AuditBulkEvent
from core import devices
from core.models import UserSession
from members import password_reset, services
from members.models import ActivationCode
from members.services import MemberError
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

RIGHT = "pw-for-tests-1"  # tests.factories.UserFactory's password
NEW = "Hongqi-2024-newpass"


@pytest.fixture(autouse=True)
def _own_cache(own_cache):
    pass


def logged_in_client(user, agent: str = "iPhone") -> Client:
    client = Client(HTTP_USER_AGENT=agent)
    assert client.post(reverse("login"), {"username": user.username, "password": RIGHT}).status_code == 302
    return client


def is_logged_in(client: Client) -> bool:
    response = client.get(reverse("account"))
    return response.status_code == 200


# --- changing one's password ------------------------------------------------------------------


def test_changing_the_password_keeps_this_device_and_ends_the_others(member_a):
    phone, other = logged_in_client(member_a.user), logged_in_client(member_a.user, "Windows")
    page = phone.get(reverse("password_change"))
    assert page.status_code == 200 and "旧密码" in page.text
    data = {"old_password": RIGHT, "new_password1": NEW, "new_password2": NEW}
    response = phone.post(reverse("password_change"), data, follow=True)
    assert "密码已修改，其他 1 个设备已退出登录" in response.text
    assert is_logged_in(phone) and not is_logged_in(other)
    assert UserSession.objects.filter(user=member_a.user).count() == 1
    member_a.user.refresh_from_db()
    assert member_a.user.check_password(NEW)


def test_a_wrong_old_password_changes_nothing_and_says_so_in_chinese(member_a):
    phone, other = logged_in_client(member_a.user), logged_in_client(member_a.user, "Windows")
    data = {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW}
    response = phone.post(reverse("password_change"), data)
    assert response.status_code == 200 and "旧密码不正确" in response.text
    assert is_logged_in(other)
    member_a.user.refresh_from_db()
    assert member_a.user.check_password(RIGHT)


def test_the_password_pages_need_a_log_in(client):
    for name in ("password_change", "account"):
        assert client.get(reverse(name))["Location"].startswith(reverse("login"))


# --- devices --------------------------------------------------------------------------------------


def test_the_members_own_page_lists_their_devices_with_a_log_out_each(member_a):
    phone = logged_in_client(member_a.user, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4) MicroMessenger/8.0")
    logged_in_client(member_a.user, "Mozilla/5.0 (Windows NT 10.0) Chrome/124.0 Safari/537.36")
    page = phone.get(reverse("members:me")).text
    assert "iPhone · 微信" in page and "Windows 电脑 · Chrome" in page and "本机" in page
    assert page.count('/end/">') == 2  # 退出 of each device
    assert reverse("devices_end_all") in page and reverse("password_change") in page
    assert phone.session.session_key not in page


def test_ending_another_device_from_the_list(member_a):
    phone, other = logged_in_client(member_a.user), logged_in_client(member_a.user, "Windows")
    ref = devices.ref(other.session.session_key)
    back = reverse("members:me")
    response = phone.post(reverse("device_end", args=[ref]), {"next": back})
    assert response["Location"] == back
    assert is_logged_in(phone) and not is_logged_in(other)
    again = phone.post(reverse("device_end", args=[ref]), follow=True)
    assert "该设备已经退出登录" in again.text


def test_a_device_of_another_user_cannot_be_ended(member_a, secretary_a):
    phone, staff = logged_in_client(member_a.user), logged_in_client(secretary_a)
    phone.post(reverse("device_end", args=[devices.ref(staff.session.session_key)]))
    assert is_logged_in(staff)


def test_ending_this_device_logs_out(member_a):
    phone = logged_in_client(member_a.user)
    response = phone.post(reverse("device_end", args=[devices.ref(phone.session.session_key)]))
    assert response["Location"] == reverse("login") and not is_logged_in(phone)


def test_ending_every_device_includes_this_one(member_a):
    phone, other = logged_in_client(member_a.user), logged_in_client(member_a.user, "Windows")
    response = phone.post(reverse("devices_end_all"), follow=True)
    assert "已在全部设备上退出登录" in response.text
    assert not is_logged_in(phone) and not is_logged_in(other)
    assert not UserSession.objects.filter(user=member_a.user).exists()


def test_device_views_are_post_only(member_a):
    phone = logged_in_client(member_a.user)
    assert phone.get(reverse("devices_end_all")).status_code == 405
    assert phone.get(reverse("device_end", args=["x"])).status_code == 405


# --- a secretary resets a member's password -------------------------------------------------------


def activation_form(member, code: str, password: str = NEW, **changes) -> dict:
    data = {"name": member.name, "id_number": member.id_number, "phone": member.phone, "code": code}
    return {**data, "password1": password, "password2": password, **changes}


def test_a_reset_voids_the_password_ends_every_session_and_shows_a_code_once(member_a, secretary_a):
    phone = logged_in_client(member_a.user)
    staff = Client()
    staff.force_login(secretary_a)
    detail = staff.get(reverse("members:detail", args=[member_a.pk])).text
    assert reverse("members:password_reset", args=[member_a.pk]) in detail
    response = staff.post(reverse("members:password_reset", args=[member_a.pk]))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    code = response.context["code"]
    assert code in response.text
    member_a.user.refresh_from_db()
    assert not member_a.user.has_usable_password()
    assert not is_logged_in(phone)
    assert Client().post(reverse("login"), {"username": member_a.phone, "password": RIGHT}).status_code == 200
    event = AuditBulkEvent.objects.get(kind=AuditBulkEvent.Kind.ISSUE_ACTIVATION_CODE)
    assert (event.actor, event.object_id, event.counts) == (
        secretary_a,
        member_a.pk,
        {"voided": 0, "sessions_ended": 1},
    )
    assert "重置密码" in event.note
    stored = ActivationCode.objects.get()
    assert stored.branch is None and code.replace("-", "") not in stored.code_hash


def test_the_member_sets_a_new_password_with_the_code_and_is_logged_in(member_a, secretary_a):
    code = password_reset.password_reset_issue(member=member_a, by=secretary_a)
    member = Client()
    checkin = "/activities/c/some-token/"
    response = member.post(reverse("members:activate"), activation_form(member_a, code, next=checkin))
    assert response.status_code == 302 and response["Location"] == checkin
    assert member.session["_auth_user_id"] == str(member_a.user.pk)
    member_a.user.refresh_from_db()
    assert member_a.user.check_password(NEW)
    outcome = AuditBulkEvent.objects.filter(kind=AuditBulkEvent.Kind.ACTIVATE_ACCOUNT).get()
    assert outcome.note.startswith("成功") and outcome.actor == member_a.user
    # Used once: the account has a password again, so the activation page sends the member to log in.
    again = Client().post(reverse("members:activate"), activation_form(member_a, code, password="Other-2024-pass"))
    assert "已激活账号，请直接登录" in again.text
    member_a.user.refresh_from_db()
    assert member_a.user.check_password(NEW)


def test_without_the_code_or_with_a_wrong_one_the_reset_account_stays_closed(member_a, secretary_a):
    code = password_reset.password_reset_issue(member=member_a, by=secretary_a)
    for wrong in ("", "ABCD-EFGH-JKLM", code.lower().replace("-", " ")[:-1]):
        response = Client().post(reverse("members:activate"), activation_form(member_a, wrong))
        assert "不一致" in response.text, wrong
    member_a.user.refresh_from_db()
    assert not member_a.user.has_usable_password()


def test_an_expired_or_voided_code_is_refused(member_a, secretary_a):
    first = password_reset.password_reset_issue(member=member_a, by=secretary_a)
    second = password_reset.password_reset_issue(member=member_a, by=secretary_a)  # voids the first
    assert "不一致" in Client().post(reverse("members:activate"), activation_form(member_a, first)).text
    ActivationCode.objects.filter(voided_at__isnull=True).update(expires_at=timezone.now() - datetime.timedelta(1))
    assert "不一致" in Client().post(reverse("members:activate"), activation_form(member_a, second)).text


def test_the_code_of_a_secretary_who_no_longer_manages_the_member_is_refused(member_a, secretary_a, tree):
    code = password_reset.password_reset_issue(member=member_a, by=secretary_a)
    access.revoke(secretary_a, access.MANAGE, tree.branch_a)
    assert "不一致" in Client().post(reverse("members:activate"), activation_form(member_a, code)).text


def test_a_weak_new_password_is_refused_where_it_is_typed(member_a, secretary_a):
    code = password_reset.password_reset_issue(member=member_a, by=secretary_a)
    response = Client().post(reverse("members:activate"), activation_form(member_a, code, password="12345678"))
    assert response.status_code == 200 and response.context["form"].errors.get("password1")
    assert ActivationCode.objects.get().used_at is None


def test_a_member_without_an_account_needs_no_reset(client, tree, secretary_a):
    member = MemberFactory(branch=tree.branch_a)
    client.force_login(secretary_a)
    response = client.post(reverse("members:password_reset", args=[member.pk]), follow=True)
    assert "尚未激活账号" in response.text
    assert not ActivationCode.objects.exists()


def test_another_branchs_secretary_gets_404_and_a_member_403(client, tree, member_a, secretary_b):
    url = reverse("members:password_reset", args=[member_a.pk])
    client.force_login(secretary_b)
    assert client.post(url).status_code == 404
    client.force_login(MemberFactory(branch=tree.branch_a, user=UserFactory()).user)
    assert client.post(url).status_code == 404  # outside what a plain member sees
    client.force_login(member_a.user)
    assert client.post(url).status_code == 403  # their own record: visible, not managed
    assert not ActivationCode.objects.exists()
    member_a.user.refresh_from_db()
    assert member_a.user.check_password(RIGHT)


def test_an_account_with_grants_beyond_the_secretary_is_reset_only_from_above(
    client, tree, member_a, secretary_a, orgdept
):
    services.position_appoint(
        member=member_a, branch=tree.village_a, title="secretary", on=datetime.date(2024, 1, 1), by=orgdept
    )
    access.grant(member_a.user, access.MANAGE, tree.village_a)  # as a confirmed position's grant
    assert not password_reset.password_reset_allowed(secretary_a, member_a)
    client.force_login(secretary_a)
    assert (
        reverse("members:password_reset", args=[member_a.pk])
        not in client.get(reverse("members:detail", args=[member_a.pk])).text
    )
    assert client.post(reverse("members:password_reset", args=[member_a.pk])).status_code == 403
    with pytest.raises(MemberError) as refused:
        password_reset.password_reset_issue(member=member_a, by=secretary_a)
    assert refused.value.code == "cannot_reset"
    assert password_reset.password_reset_allowed(orgdept, member_a)


def test_a_superusers_member_account_is_reset_by_a_superuser_only(tree, orgdept):
    boss = UserFactory(username="boss", is_superuser=True)
    member = MemberFactory(branch=tree.branch_a, user=boss)
    assert not password_reset.password_reset_allowed(orgdept, member)
    assert password_reset.password_reset_allowed(UserFactory(username="root", is_superuser=True), member)


def test_a_used_reset_code_vouches_for_no_position(member_a, secretary_a, tree, orgdept):
    code = password_reset.password_reset_issue(member=member_a, by=secretary_a)
    Client().post(reverse("members:activate"), activation_form(member_a, code))
    assert not services.position_grant_vouched(member=member_a, branch=tree.branch_a)
