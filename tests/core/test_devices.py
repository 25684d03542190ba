"""A user's sessions as their devices (core/devices.py) and the session rows that carry them
(core/sessions_db.py): noted at log-in, refreshed when remembered, ended by deleting the row."""

import datetime

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from core import devices
from core.masking import mask_ip
from core.models import UserSession
from core.sessions_db import REMEMBER_KEY, SEEN_KEY, SessionStore

IPHONE_WECHAT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"
)
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36"
)
WINDOWS_EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
    "Safari/537.36 Edg/124.0.2478.80"
)
RIGHT = "pw-for-tests-1"  # tests.factories.UserFactory's password


@pytest.mark.parametrize(
    "agent, shown",
    [
        (IPHONE_WECHAT, "iPhone · 微信"),
        (ANDROID_CHROME, "安卓手机 · Chrome"),
        (WINDOWS_EDGE, "Windows 电脑 · Edge"),
        ("", "未知设备 · 其他浏览器"),
    ],
)
def test_a_device_is_named_as_people_know_it(agent, shown):
    assert str(devices.describe(agent)) == shown


@pytest.mark.parametrize(
    "address, shown",
    [
        ("203.0.113.45", "203.0.*.*"),
        ("2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3:*"),
        (None, ""),
        ("not an address", ""),
    ],
)
def test_an_address_is_shown_without_its_host(address, shown):
    assert mask_ip(address) == shown


def _log_in(user, *, agent=IPHONE_WECHAT, address="203.0.113.45") -> Client:
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    response = client.post(reverse("login"), {"username": user.username, "password": RIGHT})
    assert response.status_code == 302
    return client


def _logged_in(client) -> bool:
    response = client.get(reverse("home"))
    return not (response.status_code == 302 and response["Location"].startswith(reverse("login")))


def _row(client) -> UserSession:
    return UserSession.objects.get(session_key=client.session.session_key)


@pytest.mark.django_db
def test_a_log_in_notes_the_user_the_device_and_the_address_masked(member_a):
    row = _row(_log_in(member_a.user))
    assert (row.user_id, row.user_agent, row.ip, row.remembered) == (
        member_a.user.pk,
        IPHONE_WECHAT,
        "203.0.*.*",
        False,
    )
    assert row.last_used is not None


@pytest.mark.django_db
def test_the_devices_list_the_current_one_first_in_one_query(member_a, django_assert_num_queries):
    phone = _log_in(member_a.user)
    desktop = _log_in(member_a.user, agent=WINDOWS_EDGE, address="198.51.100.7")
    with django_assert_num_queries(1):
        listed = devices.user_devices(member_a.user, current_key=phone.session.session_key)
    assert [(d.name, d.ip, d.current) for d in listed] == [
        ("iPhone · 微信", "203.0.*.*", True),
        ("Windows 电脑 · Edge", "198.51.*.*", False),
    ]
    assert desktop.session.session_key not in {d.ref for d in listed}  # pages never carry a session key


@pytest.mark.django_db
def test_ending_one_device_logs_that_browser_out_and_no_other(member_a, secretary_a):
    phone, desktop = _log_in(member_a.user), _log_in(member_a.user, agent=WINDOWS_EDGE)
    other_user = _log_in(secretary_a)
    target = devices.ref(desktop.session.session_key)
    assert not devices.device_end(user=secretary_a, device_ref=target)  # another user's session: untouched
    assert devices.device_end(user=member_a.user, device_ref=target)
    assert not devices.device_end(user=member_a.user, device_ref=target)  # already ended
    assert not _logged_in(desktop)
    assert _logged_in(phone) and _logged_in(other_user)


@pytest.mark.django_db
def test_ending_every_device_but_one(member_a):
    phone, desktop = _log_in(member_a.user), _log_in(member_a.user, agent=WINDOWS_EDGE)
    assert devices.devices_end(user=member_a.user, keep=phone.session.session_key) == 1
    assert _logged_in(phone) and not _logged_in(desktop)
    assert devices.devices_end(user=member_a.user) == 1


def _stored(user, *, remembered: bool, seen_ago: int) -> SessionStore:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    if remembered:
        devices.remember(store, 30)
    store.save()
    row = UserSession.objects.get(pk=store.session_key)
    data = store.decode(row.session_data)
    data[SEEN_KEY] -= seen_ago
    UserSession.objects.filter(pk=row.pk).update(session_data=store.encode(data))
    return SessionStore(session_key=store.session_key)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "remembered, seen_ago, refreshed",
    [(True, 3600, True), (True, 3599, False), (False, 86400, False)],
)
def test_a_remembered_session_is_saved_again_once_an_hour_after_its_last_save(
    member_a, settings, remembered, seen_ago, refreshed
):
    settings.REMEMBER_PHONE_REFRESH_MINUTES = 60
    store = _stored(member_a.user, remembered=remembered, seen_ago=seen_ago)
    store.load()
    assert store.modified is refreshed


@pytest.mark.django_db
def test_a_remembered_session_lasts_its_days_from_its_last_use(member_a):
    store = _stored(member_a.user, remembered=True, seen_ago=7200)
    UserSession.objects.filter(pk=store.session_key).update(last_used=None)
    store[REMEMBER_KEY]  # loads: stale, so the request's end saves it
    assert store.modified
    store.save()
    row = UserSession.objects.get(pk=store.session_key)
    assert row.remembered and row.last_used is not None
    assert abs(row.expire_date - row.last_used - datetime.timedelta(days=30)) < datetime.timedelta(minutes=1)


LOCAL = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "devices-test"}}


@pytest.mark.django_db
def test_with_redis_the_row_has_its_columns_and_ending_it_ends_the_cached_copy(member_a, settings):
    # Through the settings fixture only: an @override_settings decorator beside the fixture leaks
    # (the fixture's teardown restores the settings it found, the decorator's included).
    settings.SESSION_ENGINE, settings.CACHES = "core.sessions", LOCAL
    from core.sessions import SessionStore as CachedStore

    client = _log_in(member_a.user)
    key = client.session.session_key
    assert _row(client).user_id == member_a.user.pk
    CachedStore(session_key=key).load()  # the copy in the cache
    assert devices.device_end(user=member_a.user, device_ref=devices.ref(key))
    assert not _logged_in(client)


@pytest.mark.django_db
def test_with_redis_a_remembered_session_read_from_the_cache_is_refreshed_too(member_a, settings):
    # Through the settings fixture only: an @override_settings decorator beside the fixture leaks
    # (the fixture's teardown restores the settings it found, the decorator's included).
    settings.SESSION_ENGINE, settings.CACHES = "core.sessions", LOCAL
    from core.sessions import SessionStore as CachedStore

    settings.REMEMBER_PHONE_REFRESH_MINUTES = 0
    store = CachedStore()
    store[SESSION_KEY] = str(member_a.user.pk)
    devices.remember(store, 30)
    store.save()  # in the database and the cache
    cached = CachedStore(session_key=store.session_key)
    cached.load()
    assert cached.modified
