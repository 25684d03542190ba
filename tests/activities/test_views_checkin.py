"""QR check-in pages: the secretary's screen and poster, and the member's page behind the QR."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from activities import checkin, services, tokens
from activities.models import Activity, Attendance
from activities.views_checkin import GRANT_SECONDS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)
WINDOW = datetime.timedelta(seconds=tokens.WINDOW_SECONDS)


def _login_redirect(response) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.fixture
def assembly(make_activity, tree):
    """A 支部党员大会 of branch A starting in ten minutes: check-in is open."""
    return make_activity(tree.branch_a, Activity.Kind.BRANCH_ASSEMBLY, title="支部党员大会")


def _url(activity, now=None) -> str:
    return reverse("activities:checkin", args=[tokens.current_token(activity, now)])


def _nonce(response) -> str:
    return response.context["nonce"]


# --- the secretary's screen ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["checkin_screen", "checkin_screen_live", "poster"])
def test_screen_pages_send_anonymous_to_login(client, assembly, name):
    assert _login_redirect(client.get(reverse(f"activities:{name}", args=[assembly.pk])))


@pytest.mark.parametrize("name", ["checkin_screen", "checkin_screen_live", "poster"])
@pytest.mark.parametrize("persona", ["secretary_b", "member_a", "other_orgdept"])
def test_screen_pages_outside_the_subtree_are_404(login_as, assembly, name, persona):
    assert login_as(persona).get(reverse(f"activities:{name}", args=[assembly.pk])).status_code == 404


@pytest.mark.parametrize("name", ["checkin_screen", "checkin_screen_live", "poster"])
def test_screen_pages_refuse_a_viewer(login_as, assembly, name):
    assert login_as("viewer").get(reverse(f"activities:{name}", args=[assembly.pk])).status_code == 403


def test_screen_draws_the_current_token_as_svg(login_as, assembly, member_a):
    response = login_as("secretary_a").get(reverse("activities:checkin_screen", args=[assembly.pk]))
    assert response.status_code == 200
    assert '<svg viewBox="' in response.text and 'class="qr"' in response.text
    assert "js/checkin-screen.js" in response.text
    assert response.context["summary"].expected == 1 and response.context["state"] == "open"


def test_screen_qr_encodes_the_check_in_url_of_the_current_window(login_as, assembly):
    from activities import views_checkin

    drawn = []
    real = views_checkin.qr_svg
    views_checkin.qr_svg = lambda text: drawn.append(text) or real(text)
    try:
        login_as("secretary_a").get(reverse("activities:checkin_screen_live", args=[assembly.pk]))
    finally:
        views_checkin.qr_svg = real
    (url,) = drawn
    token = url.rsplit("/c/", 1)[1].rstrip("/")
    assert url.startswith("http://testserver/activities/c/")
    assert checkin.verify_token(token).pk == assembly.pk


def test_live_fragment_is_never_cached_and_tells_when_to_refresh(login_as, assembly):
    response = login_as("secretary_a").get(reverse("activities:checkin_screen_live", args=[assembly.pk]))
    assert response["Cache-Control"] == "no-store"
    assert 1 <= response.context["seconds_left"] <= tokens.WINDOW_SECONDS
    assert "<html" not in response.text and "<svg" in response.text


def test_live_counts_follow_check_ins(login_as, assembly, member_a, secretary_a):
    checkin.check_in(activity=assembly, member=member_a, method="manual", by=secretary_a)
    response = login_as("secretary_a").get(reverse("activities:checkin_screen_live", args=[assembly.pk]))
    assert response.context["summary"].present == 1


def test_screen_of_a_cancelled_activity_draws_no_qr(login_as, assembly, secretary_a):
    services.activity_cancel(activity=assembly, by=secretary_a)
    response = login_as("secretary_a").get(reverse("activities:checkin_screen", args=[assembly.pk]))
    assert "qr" not in response.context and "活动已取消" in response.text


def test_poster_needs_the_fixed_qr_enabled(login_as, assembly, secretary_a):
    client = login_as("secretary_a")
    assert "qr" not in client.get(reverse("activities:poster", args=[assembly.pk])).context
    services.activity_fixed_qr_set(activity=assembly, enabled=True, by=secretary_a)
    response = client.get(reverse("activities:poster", args=[assembly.pk]))
    assert "<svg" in response.text and "请用手机扫码签到" in response.text


def test_poster_token_checks_in_while_enabled(client, assembly, member_a, secretary_a):
    services.activity_fixed_qr_set(activity=assembly, enabled=True, by=secretary_a)
    url = reverse("activities:checkin", args=[tokens.fixed_token(assembly)])
    client.force_login(member_a.user)
    response = client.post(url, {"nonce": "n1"})
    assert response.context["created"] is True


# --- the member's page --------------------------------------------------------------------


def test_check_in_page_sends_anonymous_to_login_and_back(client, assembly):
    url = _url(assembly)
    response = client.get(url)
    assert _login_redirect(response) and url in response.url


def test_check_in_page_shows_the_activity_and_one_button(client, assembly, member_a):
    client.force_login(member_a.user)
    response = client.get(_url(assembly))
    assert response.status_code == 200
    assert "支部党员大会" in response.text and response.text.count("checkin-button") == 1
    assert '<button type="submit" class="primary checkin-button">签到</button>' in response.text
    # Phone-sized and light: the viewport is set, no script and no image to load.
    assert 'name="viewport"' in response.text and "<script" not in response.text and "<img" not in response.text


def test_first_tap_checks_in_and_second_says_already_with_the_first_time(client, assembly, member_a):
    client.force_login(member_a.user)
    url = _url(assembly)
    nonce = _nonce(client.get(url))
    first = client.post(url, {"nonce": nonce})
    assert first.context["created"] is True and "签到成功" in first.text
    attendance = Attendance.objects.get(activity=assembly, member=member_a)
    assert attendance.method == Attendance.Method.QR and attendance.nonce == nonce
    second = client.post(url, {"nonce": "another-tap"})
    assert second.context["created"] is False and "已签到" in second.text
    assert second.context["attendance"].checked_in_at == attendance.checked_in_at
    shown = timezone.localtime(attendance.checked_in_at).strftime("%H:%M:%S")
    assert shown in first.text and shown in second.text
    assert Attendance.objects.filter(activity=assembly).count() == 1


def test_page_of_a_member_already_present_says_already(client, assembly, member_a, secretary_a):
    checkin.check_in(activity=assembly, member=member_a, method="manual", by=secretary_a)
    client.force_login(member_a.user)
    response = client.get(_url(assembly))
    assert "已签到" in response.text and "checkin-button" not in response.text


def test_expired_token_is_refused(client, assembly, member_a):
    client.force_login(member_a.user)
    url = _url(assembly, timezone.now() - 3 * WINDOW)
    response = client.post(url, {"nonce": "n"})
    assert response.context["error"].code == "expired_token" and "签到码已过期" in response.text
    assert not Attendance.objects.exists()


def test_forged_token_is_refused(client, assembly, member_a):
    client.force_login(member_a.user)
    token = tokens.current_token(assembly)[:-2] + "xx"
    response = client.get(reverse("activities:checkin", args=[token]))
    assert response.context["error"].code == "invalid_token" and "checkin-button" not in response.text
    assert client.post(reverse("activities:checkin", args=[token])).context["error"].code == "invalid_token"


def test_member_not_expected_is_refused(client, assembly, member_b):
    user = UserFactory(username="member_b")
    member_b.user = user
    member_b.save(update_fields=["user"])
    client.force_login(user)
    response = client.post(_url(assembly), {"nonce": "n"})
    assert response.context["error"].code == "not_expected" and "您不在本次活动的应到名单中" in response.text
    assert not Attendance.objects.exists()


def test_check_in_before_the_window_is_refused(client, make_activity, tree, member_a):
    later = make_activity(tree.branch_a, start=timezone.now() + 5 * HOUR)
    client.force_login(member_a.user)
    assert client.get(_url(later)).context["error"].code == "not_open"
    response = client.post(_url(later), {"nonce": "n"})
    assert response.context["error"].code == "not_open" and "签到尚未开始" in response.text


def test_check_in_after_the_end_is_refused(client, make_activity, tree, member_a):
    past = make_activity(tree.branch_a, start=timezone.now() - 3 * HOUR)
    client.force_login(member_a.user)
    response = client.post(_url(past), {"nonce": "n"})
    assert response.context["error"].code == "closed" and "签到已结束" in response.text


def test_check_in_to_a_cancelled_activity_is_refused(client, assembly, member_a, secretary_a):
    services.activity_cancel(activity=assembly, by=secretary_a)
    client.force_login(member_a.user)
    assert client.get(_url(assembly)).context["error"].code == "cancelled"
    response = client.post(_url(assembly), {"nonce": "n"})
    assert response.context["error"].code == "cancelled" and "活动已取消" in response.text


def test_account_without_a_member_is_told_so(login_as, assembly):
    response = login_as("secretary_a").post(_url(assembly), {"nonce": "n"})
    assert response.context["error"].code == "no_member"


def test_token_seen_before_login_still_works_after_it_expires(client, assembly, member_a, monkeypatch):
    url = _url(assembly)
    assert _login_redirect(client.get(url))  # scanned, sent to log in: the session notes the token
    client.force_login(member_a.user)  # logging in keeps the session's data
    later = timezone.now() + 3 * WINDOW
    monkeypatch.setattr(timezone, "now", lambda: later)
    response = client.post(url, {"nonce": "n"})
    assert response.context["created"] is True
    assert Attendance.objects.get(activity=assembly, member=member_a).method == Attendance.Method.QR


def test_expired_token_forwarded_to_another_session_does_not_work(client, assembly, member_a, monkeypatch):
    url = _url(assembly)
    Client().get(url)  # someone at the meeting opened it
    client.force_login(member_a.user)
    later = timezone.now() + 3 * WINDOW
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert client.post(url, {"nonce": "n"}).context["error"].code == "expired_token"


def test_grant_of_the_session_ends(client, assembly, member_a, monkeypatch):
    url = _url(assembly)
    client.force_login(member_a.user)
    client.get(url)
    later = timezone.now() + datetime.timedelta(seconds=GRANT_SECONDS + 1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert client.post(url, {"nonce": "n"}).context["error"].code == "expired_token"


def test_page_of_a_member_not_expected_says_so_before_the_tap(client, assembly, member_b):
    """The page shows what the check-in would answer (``checkin.decide``): no button for a member not expected."""
    user = UserFactory(username="member_b")
    member_b.user = user
    member_b.save(update_fields=["user"])
    client.force_login(user)
    response = client.get(_url(assembly))
    assert response.context["error"].code == "not_expected" and "checkin-button" not in response.text
