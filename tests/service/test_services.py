"""The loop's rules at their boundaries (docs/rules/service.md)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from service import rules, services
from service.errors import ServiceError
from service.models import Registration, ServiceRequest, ServiceRequestEvent

Status = ServiceRequest.Status


def kinds(request):
    return list(ServiceRequestEvent.objects.filter(request=request).values_list("kind", flat=True))


# --- half-year renewal ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("confirmed", "today", "current"),
    [
        ("2026-01-15", "2026-07-14", True),  # the day before six months
        ("2026-01-15", "2026-07-15", False),  # six months to the day: lapsed
        ("2026-08-31", "2027-02-27", True),  # February is shorter: its last day
        ("2026-08-31", "2027-02-28", False),
    ],
)
def test_a_registration_is_current_for_six_months(confirmed, today, current):
    assert (
        rules.registration_current(datetime.date.fromisoformat(confirmed), datetime.date.fromisoformat(today))
        is current
    )


def test_the_renewal_period_is_a_setting(settings):
    settings.SERVICE_RENEWAL_MONTHS = 12
    assert rules.registration_current(datetime.date(2026, 1, 15), datetime.date(2026, 12, 31))
    assert not rules.registration_current(datetime.date(2026, 1, 15), datetime.date(2027, 1, 15))


def test_current_since_is_the_earliest_current_confirmation():
    today = datetime.date(2027, 2, 28)
    since = rules.current_since(today)
    assert rules.registration_current(since, today)
    assert not rules.registration_current(since - datetime.timedelta(days=1), today)


def test_a_lapsed_registration_may_not_claim_until_renewed(registered_a, member_a, new_request):
    Registration.objects.filter(pk=registered_a.pk).update(
        confirmed_on=timezone.localdate() - datetime.timedelta(days=200)
    )
    with pytest.raises(ServiceError) as error:
        services.request_claim(request=new_request, member=member_a, by=member_a.user)
    assert error.value.code == "not_registered"
    registered_a.refresh_from_db()
    services.registration_renew(registration=registered_a, by=member_a.user)
    services.request_claim(request=new_request, member=member_a, by=member_a.user)
    new_request.refresh_from_db()
    assert new_request.status == Status.IN_PROGRESS


def test_one_open_registration_per_member(registered_a, member_a, tree):
    with pytest.raises(ServiceError) as error:
        services.registration_create(member=member_a, community=tree.branch_b, grid=None, post=None, by=None)
    assert error.value.code == "already_registered"
    services.registration_end(registration=registered_a, by=None)
    services.registration_create(member=member_a, community=tree.branch_b, grid=None, post=None, by=None)


def test_a_group_does_not_accept_registrations(member_a, tree):
    with pytest.raises(ServiceError) as error:
        services.registration_create(member=member_a, community=tree.group_a, grid=None, post=None, by=None)
    assert error.value.code == "not_a_community"
    assert not Registration.objects.exists()


def test_a_grid_of_another_community_is_refused(member_a, tree, grid):
    with pytest.raises(ServiceError) as error:
        services.registration_create(member=member_a, community=tree.branch_b, grid=grid, post=None, by=None)
    assert error.value.code == "wrong_grid"


# --- the resident's request --------------------------------------------------------------------


def test_name_and_phone_are_encrypted_at_rest(new_request):
    row = ServiceRequest.objects.get(pk=new_request.pk)
    assert "13800138000" not in row.resident_phone_encrypted and "赵大妈" not in row.resident_name_encrypted
    assert services.resident_of(row) == ("赵大妈", "13800138000")


def test_a_request_is_found_by_receipt_and_its_secret_only(new_request):
    assert services.request_find(receipt=new_request.receipt, secret=new_request.secret.lower()) == new_request
    with pytest.raises(ServiceError) as error:
        services.request_find(receipt=new_request.receipt, secret="AAAAAAAA")
    assert error.value.code == "not_found"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [("phone", "1380013800", "bad_phone"), ("text", "灯坏了", "bad_text"), ("category", "x", "bad_category")],
)
def test_bad_request_input_writes_nothing(grid, field, value, code):
    data = {"category": "daily", "text": "楼道灯坏了请修理", "name": "赵", "phone": "13800138000", field: value}
    with pytest.raises(ServiceError) as error:
        services.request_create(grid=grid, **data)
    assert (error.value.code, error.value.field) == (code, field)
    assert not ServiceRequest.objects.exists()


# --- dispatch deadline -------------------------------------------------------------------------


def test_dispatch_needs_a_current_registration_in_the_community(new_request, member_c, secretary_a):
    with pytest.raises(ServiceError) as error:
        services.request_dispatch(request=new_request, member=member_c, by=secretary_a)
    assert error.value.code == "not_registered"


def test_accepting_just_before_the_deadline_works(registered_a, member_a, new_request, secretary_a):
    now = timezone.now()
    services.request_dispatch(request=new_request, member=member_a, by=secretary_a, now=now)
    new_request.refresh_from_db()
    assert new_request.dispatch_deadline == now + datetime.timedelta(hours=48)
    services.request_accept(
        request=new_request, member=member_a, by=member_a.user, now=now + datetime.timedelta(hours=48, seconds=-1)
    )
    new_request.refresh_from_db()
    assert new_request.status == Status.IN_PROGRESS


def test_accepting_at_the_deadline_returns_the_request_to_the_pool(registered_a, member_a, new_request, secretary_a):
    now = timezone.now()
    services.request_dispatch(request=new_request, member=member_a, by=secretary_a, now=now)
    with pytest.raises(ServiceError) as error:
        services.request_accept(
            request=new_request, member=member_a, by=member_a.user, now=now + datetime.timedelta(hours=48)
        )
    assert error.value.code == "deadline_passed"
    new_request.refresh_from_db()
    assert (new_request.status, new_request.assignee) == (Status.NEW, None)
    assert kinds(new_request) == ["created", "dispatched", "returned"]


def test_the_beat_returns_overdue_dispatches_only(registered_a, member_a, new_request, grid, secretary_a, settings):
    settings.SERVICE_DISPATCH_HOURS = 2
    other, _ = services.request_create(
        grid=grid, category="daily", text="门口垃圾没人清理", name="钱", phone="13900139000"
    )
    now = timezone.now()
    services.request_dispatch(
        request=new_request, member=member_a, by=secretary_a, now=now - datetime.timedelta(hours=2)
    )
    services.request_dispatch(request=other, member=member_a, by=secretary_a, now=now - datetime.timedelta(hours=1))
    assert services.requests_return_overdue(now=now) == 1
    assert ServiceRequest.objects.get(pk=new_request.pk).status == Status.NEW
    assert ServiceRequest.objects.get(pk=other.pk).status == Status.DISPATCHED
    assert services.requests_return_overdue(now=now) == 0


def test_only_the_assignee_accepts(registered_a, registered_b, member_a, member_b, new_request, secretary_a):
    services.request_dispatch(request=new_request, member=member_a, by=secretary_a)
    with pytest.raises(ServiceError) as error:
        services.request_accept(request=new_request, member=member_b, by=None)
    assert error.value.code == "not_yours"


def test_a_member_claims_only_in_their_grid(registered_a, member_a, other_grid):
    elsewhere, _ = services.request_create(
        grid=other_grid, category="daily", text="门口垃圾没人清理", name="钱", phone="13900139000"
    )
    with pytest.raises(ServiceError) as error:
        services.request_claim(request=elsewhere, member=member_a, by=member_a.user)
    assert error.value.code == "other_grid"


# --- completion, rating, reopening, closing -------------------------------------------------------


@pytest.fixture
def done(registered_a, member_a, new_request):
    services.request_claim(request=new_request, member=member_a, by=member_a.user)
    return services.request_complete(
        request=new_request, member=member_a, hours="1.5", note="已更换灯泡", by=member_a.user
    )


@pytest.mark.parametrize("hours", ["0", "-1", "24.1", "1.25", "abc", "NaN"])
def test_hours_out_of_bounds_are_refused(hours):
    with pytest.raises(ServiceError) as error:
        services.parse_hours(hours)
    assert error.value.code == "bad_hours"


def test_hours_at_the_bounds_are_accepted():
    assert services.parse_hours("24") == Decimal("24")
    assert services.parse_hours("0.1") == Decimal("0.1")


def test_completion_records_the_hours_on_its_event(done, member_a):
    event = ServiceRequestEvent.objects.get(request=done, kind="completed")
    assert (event.member, event.hours, done.hours) == (member_a, Decimal("1.5"), Decimal("1.5"))


@pytest.mark.parametrize(
    ("stars", "status"), [(2, Status.REOPENED), (3, Status.RATED), (1, Status.REOPENED), (5, Status.RATED)]
)
def test_a_rating_of_two_or_less_reopens(done, stars, status):
    services.request_rate(request=done, token=services.rating_token(done), stars=stars, comment="")
    done.refresh_from_db()
    assert (done.status, done.rating) == (status, stars)
    assert (done.assignee is None) is (status == Status.REOPENED)


def test_the_rating_link_works_once(done):
    token = services.rating_token(done)
    services.request_rate(request=done, token=token, stars=2)
    with pytest.raises(ServiceError) as error:
        services.request_rate(request=done, token=token, stars=5)
    assert error.value.code == "bad_link"
    assert ServiceRequest.objects.get(pk=done.pk).rating == 2


@pytest.mark.parametrize("stars", [0, 6, "x"])
def test_a_rating_outside_one_to_five_is_refused(done, stars):
    with pytest.raises(ServiceError) as error:
        services.request_rate(request=done, token=services.rating_token(done), stars=stars)
    assert error.value.code == "bad_rating"


def test_the_reopen_threshold_is_a_setting(done, settings):
    settings.SERVICE_REOPEN_RATING = 3
    services.request_rate(request=done, token=services.rating_token(done), stars=3)
    assert ServiceRequest.objects.get(pk=done.pk).status == Status.REOPENED


def test_closing_needs_a_reason_and_nothing_is_deleted(new_request, secretary_a):
    with pytest.raises(ServiceError) as error:
        services.request_close(request=new_request, reason="  ", by=secretary_a)
    assert error.value.code == "reason_required"
    services.request_close(request=new_request, reason="重复提交", by=secretary_a)
    new_request.refresh_from_db()
    assert (new_request.status, new_request.close_reason) == (Status.CLOSED, "重复提交")
    with pytest.raises(TypeError):
        new_request.delete()
    with pytest.raises(ServiceError):
        services.request_close(request=new_request, reason="再关一次", by=secretary_a)


def test_the_rating_token_does_not_depend_on_the_time_zone_read_in(registered_a, member_a, new_request):
    import zoneinfo

    services.request_claim(request=new_request, member=member_a, by=None)
    at = timezone.now().astimezone(zoneinfo.ZoneInfo("Asia/Shanghai"))
    done = services.request_complete(request=new_request, member=member_a, hours="1", note="", by=None, now=at)
    token = services.rating_token(done)
    stored = ServiceRequest.objects.get(pk=done.pk)
    assert services.rating_token(stored) == token
    services.request_rate(request=stored, token=token, stars=4)


# --- photos ---------------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_up_to_three_photos_go_with_a_request(grid):
    photos = [_upload("a.png", PNG), _upload("b.jpg", JPG), _upload("c.jpeg", JPG)]
    item, _ = services.request_create(
        grid=grid, category="daily", text="楼道灯坏了请修理", name="赵", phone="13800138000", photos=photos
    )
    assert [p.stage for p in item.photos.all()] == ["asked"] * 3
    # random names in the private storage (a random name may well end in "a.png": compare whole names)
    assert {p.file.name.rsplit("/", 1)[-1] for p in item.photos.all()}.isdisjoint({"a.png", "b.jpg", "c.jpeg"})


@pytest.mark.parametrize(
    ("photos", "code"),
    [
        ([("a.png", PNG)] * 4, "too_many_photos"),
        ([("a.gif", PNG)], "photo_type"),
        ([("a.png", JPG)], "photo_content"),
    ],
)
def test_refused_photos_write_nothing(grid, photos, code):
    with pytest.raises(ServiceError) as error:
        services.request_create(
            grid=grid,
            category="daily",
            text="楼道灯坏了请修理",
            name="赵",
            phone="13800138000",
            photos=[_upload(n, c) for n, c in photos],
        )
    assert error.value.code == code
    assert not ServiceRequest.objects.exists()


def test_a_photo_over_the_size_limit_is_refused(grid, settings):
    settings.SERVICE_PHOTO_MAX_BYTES = len(PNG) - 1
    with pytest.raises(ServiceError) as error:
        services.check_photos([_upload("a.png", PNG)])
    assert error.value.code == "photo_too_large"
    settings.SERVICE_PHOTO_MAX_BYTES = len(PNG)
    assert len(services.check_photos([_upload("a.png", PNG)])) == 1


def test_the_completion_keeps_its_photos(registered_a, member_a, new_request):
    services.request_claim(request=new_request, member=member_a, by=None)
    services.request_complete(
        request=new_request, member=member_a, hours="1", note="", by=None, photos=[_upload("done.png", PNG)]
    )
    assert [p.stage for p in new_request.photos.all()] == ["completed"]
