"""The check-in's audit entry and the written reason a frozen 缺席/请假 needs (issue 12 item 10).

The trail through the site (actor and IP of each path) is in tests/audit/test_trail.py.
"""

from __future__ import annotations

import datetime

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from activities import checkin, services
from activities import leave as leave_services
from activities.errors import ActivityError, CheckInError
from activities.models import Activity, Attendance
from branches.audit import trail_for
from branches.models import AuditBulkEvent

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def held(make_activity, tree, member_a, secretary_a):
    """A 支部党员大会 that started an hour ago and is held: member_a is frozen as 缺席."""
    activity = make_activity(tree.branch_a, Activity.Kind.BRANCH_ASSEMBLY, start=timezone.now() - 60 * MINUTE)
    services.activity_hold(activity=activity, by=secretary_a)
    return activity


def entries(activity, member) -> list[LogEntry]:
    row = Attendance.objects.get(activity=activity, member=member)
    return list(LogEntry.objects.get_for_object(row))


@pytest.mark.parametrize("method", [Attendance.Method.MANUAL, Attendance.Method.SECRETARY])
@pytest.mark.parametrize("frozen", [Attendance.Status.ABSENT, Attendance.Status.LEAVE])
def test_a_secretary_turning_a_frozen_status_present_needs_a_reason(held, member_a, secretary_a, method, frozen):
    Attendance.objects.filter(activity=held, member=member_a).update(status=frozen)
    for blank in ("", "   "):
        with pytest.raises(CheckInError) as excinfo:
            checkin.check_in(activity=held, member=member_a, method=method, by=secretary_a, reason=blank)
        assert excinfo.value.code == "reason_required"
    assert Attendance.objects.get(activity=held, member=member_a).status == frozen
    assert entries(held, member_a) == []


def test_the_reason_is_stored_in_the_entry_and_shown_in_the_trail(held, member_a, secretary_a):
    attendance, created = checkin.check_in(
        activity=held, member=member_a, method=Attendance.Method.MANUAL, by=secretary_a, reason="  补登：漏签  "
    )
    assert created and attendance.status == Attendance.Status.PRESENT
    (entry,) = entries(held, member_a)
    assert entry.actor == secretary_a and entry.additional_data["reason"] == "补登：漏签"
    (shown,) = [e for e in trail_for(held, related={"activity_id": held.pk}) if e.subject.startswith("出勤")]
    assert ("理由", "", "补登：漏签") in shown.changes


def test_a_long_reason_is_cut_to_the_forms_length(held, member_a, secretary_a):
    checkin.check_in(activity=held, member=member_a, method=Attendance.Method.MANUAL, by=secretary_a, reason="因" * 500)
    assert len(entries(held, member_a)[0].additional_data["reason"]) == 200


def test_no_reason_is_needed_before_the_activity_is_held(make_activity, tree, member_a, secretary_a):
    activity = make_activity(tree.branch_a, Activity.Kind.BRANCH_ASSEMBLY)
    leave = leave_services.leave_request_create(activity=activity, member=member_a, reason="出差")
    leave_services.leave_request_decide(leave_request=leave, approve=True, by=secretary_a)
    _, created = checkin.check_in(activity=activity, member=member_a, method=Attendance.Method.MANUAL, by=secretary_a)
    assert created


def test_a_member_arriving_late_checks_in_with_the_qr_code_without_a_reason(held, member_a):
    attendance, created = checkin.check_in(activity=held, member=member_a, by=member_a.user)
    assert created and attendance.method == Attendance.Method.QR
    (entry,) = entries(held, member_a)
    assert entry.actor == member_a.user and entry.changes_dict["status"] == ["absent", "present"]
    assert "reason" not in entry.additional_data


def test_a_repeat_check_in_writes_no_second_entry(held, member_a, secretary_a):
    for _ in range(2):
        checkin.check_in(activity=held, member=member_a, method=Attendance.Method.MANUAL, by=secretary_a, reason="补登")
    assert len(entries(held, member_a)) == 1


def test_the_attendance_sheet_changes_a_frozen_status_only_with_a_reason(held, tree, member_a, secretary_a):
    statuses = {member_a.pk: Attendance.Status.PRESENT}
    with pytest.raises(ActivityError) as excinfo:
        services.attendance_bulk_record(activity=held, statuses=statuses, by=secretary_a)
    assert excinfo.value.code == "reason_required"
    assert Attendance.objects.get(activity=held, member=member_a).status == Attendance.Status.ABSENT
    assert not AuditBulkEvent.objects.filter(kind=AuditBulkEvent.Kind.RECORD_ATTENDANCE).exists()
    services.attendance_bulk_record(activity=held, statuses=statuses, by=secretary_a, reason="补登")
    assert AuditBulkEvent.objects.get(kind=AuditBulkEvent.Kind.RECORD_ATTENDANCE).note == "理由：补登"


def test_a_check_in_outside_a_request_has_its_actor_and_no_ip(held, member_a, secretary_a):
    checkin.check_in(activity=held, member=member_a, method=Attendance.Method.MANUAL, by=secretary_a, reason="补登")
    (entry,) = entries(held, member_a)
    assert entry.actor == secretary_a and entry.remote_addr is None
