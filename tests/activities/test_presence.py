"""送学上门 and 流动党员 recorded by the secretary (activities/presence.py)."""

from __future__ import annotations

import datetime

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from activities import presence, selectors, services
from activities.errors import ActivityError
from activities.models import Activity, Attendance, ExpectedExemption
from members.models import Member

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def started(make_activity, tree):
    return make_activity(tree.branch_a, Activity.Kind.PARTY_LECTURE, start=timezone.now() - HOUR)


def test_home_delivery_counts_as_present_and_is_audited(started, member_a, secretary_a):
    row = presence.home_delivery_record(activity=started, member=member_a, by=secretary_a, note="李大爷家中")
    assert (row.status, row.method, row.home_delivered, row.expected) == (
        Attendance.Status.PRESENT, Attendance.Method.SECRETARY, True, True,
    )  # fmt: skip
    assert row.note == "送学上门：李大爷家中" and row.recorded_by == secretary_a
    assert LogEntry.objects.get_for_object(row).exists()
    assert selectors.attendance_summary(started).present == 1


def test_home_delivery_after_holding_turns_an_absence_into_presence(started, member_a, secretary_a):
    services.activity_hold(activity=started, by=secretary_a)
    assert Attendance.objects.get(member=member_a).status == Attendance.Status.ABSENT
    presence.home_delivery_record(activity=started, member=member_a, by=secretary_a)
    row = Attendance.objects.get(member=member_a)
    assert row.status == Attendance.Status.PRESENT and row.home_delivered and row.expected


def test_an_exempted_member_may_be_visited_without_being_expected(started, member_a, secretary_a):
    today = timezone.localdate()
    ExpectedExemption.objects.create(
        member=member_a, reason="bedridden", starts_on=today, consenting_org="城关镇党委", consent_on=today
    )
    row = presence.home_delivery_record(activity=started, member=member_a, by=secretary_a)
    assert row.home_delivered and not row.expected


def test_home_delivery_is_refused_before_the_start_and_outside_the_branch(make_activity, tree, member_a, member_b):
    upcoming = make_activity(tree.branch_a, Activity.Kind.PARTY_LECTURE)
    with pytest.raises(ActivityError) as excinfo:
        presence.home_delivery_record(activity=upcoming, member=member_a, by=None)
    assert excinfo.value.code == "not_started"
    started = make_activity(tree.branch_a, Activity.Kind.PARTY_LECTURE, start=timezone.now() - HOUR)
    with pytest.raises(ActivityError) as excinfo:
        presence.home_delivery_record(activity=started, member=member_b, by=None)
    assert excinfo.value.code == "not_member"
    assert not Attendance.objects.exists()


def test_a_mobile_member_of_another_branch_is_recorded_at_the_host(started, member_b, secretary_a):
    Member.objects.filter(pk=member_b.pk).update(situation=Member.Situation.MOBILE)
    member_b.refresh_from_db()
    row = presence.guest_attendance_record(activity=started, member=member_b, by=secretary_a)
    assert row.status == Attendance.Status.PRESENT and not row.expected and "东村第一网格党支部" in row.note
    assert list(selectors.member_history(member_b)) == [row]  # the member's own pages show it
    with pytest.raises(ActivityError) as excinfo:
        presence.guest_attendance_record(activity=started, member=member_b, by=secretary_a)
    assert excinfo.value.code == "already_present"


def test_only_a_mobile_member_of_another_branch_is_a_guest(started, member_a, member_b):
    with pytest.raises(ActivityError) as excinfo:
        presence.guest_attendance_record(activity=started, member=member_b, by=None)
    assert excinfo.value.code == "not_mobile"
    Member.objects.filter(pk=member_a.pk).update(situation=Member.Situation.MOBILE)
    member_a.refresh_from_db()
    with pytest.raises(ActivityError) as excinfo:
        presence.guest_attendance_record(activity=started, member=member_a, by=None)
    assert excinfo.value.code == "own_member"


# --- pages ------------------------------------------------------------------------------------


def test_the_secretary_marks_home_delivery_from_the_page(login_as, started, member_a):
    url = reverse("activities:home_delivery", args=[started.pk])
    assert login_as("secretary_b").post(url, {"who": member_a.name}).status_code == 404
    assert login_as("viewer").post(url, {"who": member_a.name}).status_code == 403
    assert not Attendance.objects.exists()
    response = login_as("secretary_a").post(url, {"who": member_a.name, "note": "家中"})
    assert response.status_code == 302 and Attendance.objects.get(member=member_a).home_delivered
    page = login_as("secretary_a").get(reverse("activities:detail", args=[started.pk])).content.decode()
    assert "送学上门" in page


def test_the_host_finds_a_guest_by_name_and_full_id_number_only(login_as, started, member_b):
    Member.objects.filter(pk=member_b.pk).update(situation=Member.Situation.MOBILE)
    url = reverse("activities:guest_record", args=[started.pk])
    client = login_as("secretary_a")
    client.post(url, {"name": member_b.name, "id_number": "1" * 18})
    client.post(url, {"name": "别人", "id_number": member_b.id_number})
    assert not Attendance.objects.exists()
    assert login_as("viewer").post(url, {"name": member_b.name, "id_number": member_b.id_number}).status_code == 403
    response = login_as("secretary_a").post(url, {"name": member_b.name, "id_number": member_b.id_number})
    assert response.status_code == 302 and Attendance.objects.get(member=member_b).status == Attendance.Status.PRESENT


def test_the_guests_own_branch_sees_the_meeting_on_the_member_page(login_as, started, member_b, secretary_a):
    Member.objects.filter(pk=member_b.pk).update(situation=Member.Situation.MOBILE)
    member_b.refresh_from_db()
    presence.guest_attendance_record(activity=started, member=member_b, by=secretary_a)
    page = login_as("secretary_b").get(reverse("members:detail", args=[member_b.pk])).content.decode()
    assert "在外参加的组织生活" in page and started.title in page and "东村第一网格党支部" in page
