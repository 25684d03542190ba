"""Services: planning rules, holding (frozen expected list), leave workflow, quorum, resolutions, files."""

from __future__ import annotations

import datetime
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from activities import checkin, services
from activities import leave as leave_services
from activities import records as record_services
from activities.errors import ActivityError, CheckInError
from activities.expected import expected_members
from activities.models import Activity, ActivityFile, Attendance, LeaveRequest, MeetingRule
from members.models import Member
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def _code(excinfo) -> str:
    return excinfo.value.code


# --- planning ---------------------------------------------------------------------------


def test_create_records_who_planned_it(make_activity, tree, secretary_a):
    activity = make_activity(tree.branch_a, title="  十月主题党日 ")
    assert activity.status == Activity.Status.PLANNED
    assert activity.created_by == secretary_a and activity.title == "十月主题党日"


def test_group_meeting_must_be_held_by_a_group(make_activity, tree):
    with pytest.raises(ActivityError) as excinfo:
        make_activity(tree.branch_a, Activity.Kind.GROUP_MEETING)
    assert _code(excinfo) == "kind_not_allowed"


def test_committee_meeting_is_not_held_by_a_group(make_activity, tree):
    with pytest.raises(ActivityError) as excinfo:
        make_activity(tree.group_a, Activity.Kind.COMMITTEE_MEETING)
    assert _code(excinfo) == "kind_not_allowed"


def test_end_must_follow_start(make_activity, tree):
    with pytest.raises(ActivityError) as excinfo:
        make_activity(tree.branch_a, hours=0)
    assert _code(excinfo) == "ends_before_start"


def test_check_in_window_must_not_be_empty(make_activity, tree):
    start = timezone.now() + HOUR
    with pytest.raises(ActivityError) as excinfo:
        make_activity(tree.branch_a, start=start, checkin_closes_at=start - HOUR)
    assert _code(excinfo) == "checkin_window_invalid"


def test_update_changes_fields_and_records_who(make_activity, tree, secretary_a, orgdept):
    activity = make_activity(tree.branch_a)
    services.activity_update(activity=activity, place="村部会议室", agenda="一、学习", by=orgdept)
    activity.refresh_from_db()
    assert activity.place == "村部会议室" and activity.updated_by == orgdept


def test_update_refuses_unknown_fields(make_activity, tree, secretary_a):
    activity = make_activity(tree.branch_a)
    with pytest.raises(ActivityError) as excinfo:
        services.activity_update(activity=activity, kind=Activity.Kind.THEME_DAY, by=secretary_a)
    assert _code(excinfo) == "not_editable"


def test_held_activity_keeps_its_times(make_activity, tree, secretary_a):
    activity = make_activity(tree.branch_a)
    services.activity_hold(activity=activity, by=secretary_a, now=activity.starts_at)
    with pytest.raises(ActivityError) as excinfo:
        services.activity_update(activity=activity, starts_at=activity.starts_at - HOUR, by=secretary_a)
    assert _code(excinfo) == "held_times_locked"
    services.activity_record_minutes(activity=activity, minutes="会议决定……", by=secretary_a)
    activity.refresh_from_db()
    assert activity.minutes == "会议决定……"


def test_cancel_only_a_planned_activity(make_activity, tree, secretary_a):
    activity = make_activity(tree.branch_a)
    services.activity_cancel(activity=activity, by=secretary_a, reason="改期")
    activity.refresh_from_db()
    assert activity.is_cancelled and activity.cancelled_by == secretary_a and activity.cancel_reason == "改期"
    with pytest.raises(ActivityError) as excinfo:
        services.activity_cancel(activity=activity, by=secretary_a)
    assert _code(excinfo) == "not_planned"
    with pytest.raises(ActivityError) as excinfo:
        services.activity_update(activity=activity, place="x", by=secretary_a)
    assert _code(excinfo) == "cancelled"


# --- holding ----------------------------------------------------------------------------


def test_hold_is_refused_before_the_start(make_activity, tree, secretary_a):
    activity = make_activity(tree.branch_a)
    with pytest.raises(ActivityError) as excinfo:
        services.activity_hold(activity=activity, by=secretary_a, now=activity.starts_at - HOUR)
    assert _code(excinfo) == "not_started"


def test_hold_marks_absent_whoever_is_neither_present_nor_on_leave(make_activity, tree, member_a, secretary_a):
    came, excused, missed = (MemberFactory(branch=tree.branch_a) for _ in range(3))
    activity = make_activity(tree.branch_a, start=timezone.now() + HOUR)
    request = leave_services.leave_request_create(activity=activity, member=excused, reason="住院", by=None)
    leave_services.leave_request_decide(leave_request=request, approve=True, by=secretary_a)
    checkin.check_in(activity=activity, member=came, now=activity.starts_at)
    held = services.activity_hold(activity=activity, by=secretary_a, now=activity.starts_at + HOUR)
    statuses = dict(Attendance.objects.filter(activity=activity).values_list("member_id", "status"))
    assert statuses == {
        came.pk: Attendance.Status.PRESENT,
        excused.pk: Attendance.Status.LEAVE,
        missed.pk: Attendance.Status.ABSENT,
        member_a.pk: Attendance.Status.ABSENT,
    }
    assert held.is_held and held.held_by == secretary_a
    assert Attendance.objects.filter(activity=activity, expected=True).count() == 4


def test_hold_twice_is_refused(make_activity, tree, secretary_a):
    activity = make_activity(tree.branch_a)
    services.activity_hold(activity=activity, by=secretary_a, now=activity.starts_at)
    with pytest.raises(ActivityError) as excinfo:
        services.activity_hold(activity=activity, by=secretary_a, now=activity.starts_at)
    assert _code(excinfo) == "not_planned"


def test_expected_list_is_frozen_when_held(make_activity, tree, member_a, secretary_a):
    activity = make_activity(tree.branch_a)
    services.activity_hold(activity=activity, by=secretary_a, now=activity.starts_at)
    newcomer = MemberFactory(branch=tree.branch_a)
    Member.objects.filter(pk=member_a.pk).update(is_active=False)

    assert set(expected_members(activity).values_list("pk", flat=True)) == {member_a.pk}
    with pytest.raises(CheckInError) as excinfo:
        checkin.check_in(activity=activity, member=newcomer, now=activity.starts_at)
    assert _code(excinfo) == "not_expected"


def test_holding_is_set_based(make_activity, tree, secretary_a, django_assert_max_num_queries):
    for _ in range(30):
        MemberFactory(branch=tree.branch_a)
    activity = make_activity(tree.branch_a)
    with django_assert_max_num_queries(11):  # 10, and the one audit event (branches/audit.py)
        services.activity_hold(activity=activity, by=secretary_a, now=activity.starts_at)
    assert Attendance.objects.filter(activity=activity, status=Attendance.Status.ABSENT).count() == 30


def test_volunteer_sign_ups_who_did_not_come_become_absent(make_activity, tree, member_a, member_b, secretary_a):
    activity = make_activity(tree.branch_a, Activity.Kind.VOLUNTEER)
    services.activity_sign_up(activity=activity, member=member_a, by=member_a.user)
    assert services.attendance_add(activity=activity, members=[member_a, member_b], by=secretary_a) == 1
    checkin.check_in(activity=activity, member=member_b, now=activity.starts_at)
    services.activity_hold(activity=activity, by=secretary_a, now=activity.ends_at)
    statuses = dict(Attendance.objects.values_list("member_id", "status"))
    assert statuses == {member_a.pk: Attendance.Status.ABSENT, member_b.pk: Attendance.Status.PRESENT}


def test_sign_up_is_only_for_open_activities(make_activity, tree, member_a):
    activity = make_activity(tree.branch_a, Activity.Kind.THEME_DAY)
    with pytest.raises(ActivityError) as excinfo:
        services.activity_sign_up(activity=activity, member=member_a)
    assert _code(excinfo) == "has_expected_list"


def test_volunteer_hours_are_recorded_for_present_members(make_activity, tree, member_a, member_b, secretary_a):
    activity = make_activity(tree.branch_a, Activity.Kind.VOLUNTEER)
    checkin.check_in(activity=activity, member=member_a, now=activity.starts_at)
    services.attendance_set_hours(activity=activity, hours={member_a.pk: "2.5"}, by=secretary_a)
    assert Attendance.objects.get(member=member_a).hours == Decimal("2.5")
    with pytest.raises(ActivityError) as excinfo:
        services.attendance_set_hours(activity=activity, hours={member_b.pk: 1}, by=secretary_a)
    assert _code(excinfo) == "not_present"
    with pytest.raises(ActivityError) as excinfo:
        services.attendance_set_hours(activity=activity, hours={member_a.pk: "-1"}, by=secretary_a)
    assert _code(excinfo) == "invalid_hours"


def test_hours_only_for_volunteer_service(make_activity, tree, secretary_a):
    activity = make_activity(tree.branch_a, Activity.Kind.STUDY)
    with pytest.raises(ActivityError) as excinfo:
        services.attendance_set_hours(activity=activity, hours={}, by=secretary_a)
    assert _code(excinfo) == "no_hours"


# --- the attendance sheet ---------------------------------------------------------------


def test_sheet_records_many_members_in_constant_queries(
    make_activity, tree, secretary_a, django_assert_max_num_queries
):
    members = [MemberFactory(branch=tree.branch_a) for _ in range(12)]
    activity = make_activity(tree.branch_a)
    services.activity_hold(activity=activity, by=secretary_a, now=activity.starts_at)
    statuses = {m.pk: Attendance.Status.PRESENT for m in members[:8]}
    statuses.update({m.pk: Attendance.Status.LEAVE for m in members[8:]})
    with django_assert_max_num_queries(8):  # held: the frozen 缺席 change with a reason
        changed = services.attendance_bulk_record(activity=activity, statuses=statuses, by=secretary_a, reason="补登")
    assert changed == 12
    present = Attendance.objects.filter(activity=activity, status=Attendance.Status.PRESENT)
    assert present.count() == 8 and set(present.values_list("method", flat=True)) == {"secretary"}


def test_sheet_refuses_members_not_expected(make_activity, tree, secretary_a, member_b):
    activity = make_activity(tree.branch_a)
    with pytest.raises(ActivityError) as excinfo:
        services.attendance_bulk_record(
            activity=activity, statuses={member_b.pk: Attendance.Status.PRESENT}, by=secretary_a
        )
    assert _code(excinfo) == "not_expected"


def test_sheet_marks_absent_only_once_held(make_activity, tree, secretary_a, member_a):
    activity = make_activity(tree.branch_a)
    with pytest.raises(ActivityError) as excinfo:
        services.attendance_bulk_record(
            activity=activity, statuses={member_a.pk: Attendance.Status.ABSENT}, by=secretary_a
        )
    assert _code(excinfo) == "not_held"


def test_sheet_marks_present_only_once_check_in_opens_but_leave_before(make_activity, tree, secretary_a, member_a):
    activity = make_activity(tree.branch_a, start=timezone.now() + 3 * HOUR)  # check-in opens in 2.5 hours
    with pytest.raises(ActivityError) as excinfo:
        services.attendance_bulk_record(
            activity=activity, statuses={member_a.pk: Attendance.Status.PRESENT}, by=secretary_a
        )
    assert _code(excinfo) == "not_open" and not Attendance.objects.filter(activity=activity, status="present").exists()
    assert services.attendance_bulk_record(
        activity=activity, statuses={member_a.pk: Attendance.Status.LEAVE}, by=secretary_a
    )  # leave asked for in advance is recorded


# --- leave ------------------------------------------------------------------------------


@pytest.fixture
def upcoming(make_activity, tree):
    return make_activity(tree.branch_a, start=timezone.now() + 3 * HOUR)


def test_leave_request_approved_marks_the_member_on_leave(upcoming, member_a, secretary_a):
    request = leave_services.leave_request_create(
        activity=upcoming, member=member_a, reason="外出务工", by=member_a.user
    )
    assert request.status == LeaveRequest.Status.PENDING
    decided = leave_services.leave_request_decide(leave_request=request, approve=True, by=secretary_a, comment="同意")
    assert decided.status == LeaveRequest.Status.APPROVED and decided.decided_by == secretary_a
    row = Attendance.objects.get(activity=upcoming, member=member_a)
    assert row.status == Attendance.Status.LEAVE and row.expected


def test_refused_leave_leaves_the_member_expected(upcoming, member_a, secretary_a):
    request = leave_services.leave_request_create(activity=upcoming, member=member_a, reason="有事", by=member_a.user)
    leave_services.leave_request_decide(leave_request=request, approve=False, by=secretary_a, comment="会议重要")
    assert not Attendance.objects.exists()
    services.activity_hold(activity=upcoming, by=secretary_a, now=upcoming.starts_at)
    assert Attendance.objects.get(member=member_a).status == Attendance.Status.ABSENT


def test_leave_is_asked_before_the_start(upcoming, member_a):
    with pytest.raises(ActivityError) as excinfo:
        leave_services.leave_request_create(activity=upcoming, member=member_a, reason="晚了", now=upcoming.starts_at)
    assert _code(excinfo) == "too_late"


def test_leave_needs_a_reason(upcoming, member_a):
    with pytest.raises(ActivityError) as excinfo:
        leave_services.leave_request_create(activity=upcoming, member=member_a, reason="  ")
    assert _code(excinfo) == "reason_required"


def test_leave_only_for_expected_members(upcoming, member_b):
    with pytest.raises(ActivityError) as excinfo:
        leave_services.leave_request_create(activity=upcoming, member=member_b, reason="不相干")
    assert _code(excinfo) == "not_expected"


def test_one_open_leave_request_per_member(upcoming, member_a, secretary_a):
    first = leave_services.leave_request_create(activity=upcoming, member=member_a, reason="出差")
    with pytest.raises(ActivityError) as excinfo:
        leave_services.leave_request_create(activity=upcoming, member=member_a, reason="再请一次")
    assert _code(excinfo) == "duplicate"
    leave_services.leave_request_decide(leave_request=first, approve=False, by=secretary_a)
    again = leave_services.leave_request_create(activity=upcoming, member=member_a, reason="确实出差")
    assert again.status == LeaveRequest.Status.PENDING


def test_leave_decided_once(upcoming, member_a, secretary_a):
    request = leave_services.leave_request_create(activity=upcoming, member=member_a, reason="出差")
    leave_services.leave_request_decide(leave_request=request, approve=True, by=secretary_a)
    with pytest.raises(ActivityError) as excinfo:
        leave_services.leave_request_decide(leave_request=request, approve=False, by=secretary_a)
    assert _code(excinfo) == "already_decided"


def test_member_withdraws_a_pending_request(upcoming, member_a, secretary_a):
    request = leave_services.leave_request_create(activity=upcoming, member=member_a, reason="出差")
    leave_services.leave_request_withdraw(leave_request=request, by=member_a.user)
    assert request.status == LeaveRequest.Status.WITHDRAWN
    with pytest.raises(ActivityError) as excinfo:
        leave_services.leave_request_withdraw(leave_request=request, by=member_a.user)
    assert _code(excinfo) == "not_pending"


def test_present_member_needs_no_leave(upcoming, member_a):
    checkin.check_in(activity=upcoming, member=member_a, method=Attendance.Method.MANUAL, now=upcoming.checkin_opens)
    with pytest.raises(ActivityError) as excinfo:
        leave_services.leave_request_create(activity=upcoming, member=member_a, reason="已到")
    assert _code(excinfo) == "already_present"


# --- quorum and resolutions: tests/activities/test_votes.py --------------------------------


# --- files ------------------------------------------------------------------------------

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


def _office(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<x/>")
    return buffer.getvalue()


@pytest.fixture
def media(settings):
    """Activity files are kept in the private storage, not under MEDIA_ROOT."""
    return Path(settings.PRIVATE_FILES_ROOT)


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("会场.jpg", JPEG, ActivityFile.Kind.PHOTO),
        ("合影.PNG", PNG, ActivityFile.Kind.PHOTO),
        ("记录.pdf", PDF, ActivityFile.Kind.DOCUMENT),
        ("发言.docx", _office("word/document.xml"), ActivityFile.Kind.DOCUMENT),
        ("签到表.xlsx", _office("xl/workbook.xml"), ActivityFile.Kind.DOCUMENT),
    ],
)
def test_attach_accepts_the_allowed_types(name, content, kind, make_activity, tree, secretary_a, media):
    activity = make_activity(tree.branch_a)
    attached = record_services.activity_attach_file(
        activity=activity, upload=SimpleUploadedFile(name, content), by=secretary_a
    )
    assert attached.kind == kind and attached.original_name == name and attached.size == len(content)
    assert name not in attached.file.name  # stored under a random name


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("脚本.exe", b"MZ" + b"\x00" * 10, "file_type"),
        ("无扩展名", JPEG, "file_type"),
        ("伪装.jpg", PDF, "file_content"),
        ("伪装.pdf", b"<html>", "file_content"),
        ("伪装.docx", _office("xl/workbook.xml"), "file_content"),
        ("坏压缩.xlsx", b"PK\x03\x04broken", "file_content"),
    ],
)
def test_attach_refuses_wrong_types(name, content, code, make_activity, tree, secretary_a, media):
    activity = make_activity(tree.branch_a)
    with pytest.raises(ActivityError) as excinfo:
        record_services.activity_attach_file(
            activity=activity, upload=SimpleUploadedFile(name, content), by=secretary_a
        )
    assert _code(excinfo) == code
    assert not ActivityFile.objects.exists()


def test_attach_refuses_files_over_the_limit(make_activity, tree, secretary_a, media):
    activity = make_activity(tree.branch_a)
    with override_settings(ACTIVITY_FILE_MAX_BYTES=50):
        with pytest.raises(ActivityError) as excinfo:
            record_services.activity_attach_file(
                activity=activity, upload=SimpleUploadedFile("大图.jpg", JPEG), by=secretary_a
            )
    assert _code(excinfo) == "file_too_large"


def test_deleting_a_file_removes_its_content(
    make_activity, tree, secretary_a, media, django_capture_on_commit_callbacks
):
    activity = make_activity(tree.branch_a)
    attached = record_services.activity_attach_file(
        activity=activity, upload=SimpleUploadedFile("a.png", PNG), by=secretary_a
    )
    path = media / attached.file.name
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        record_services.activity_file_delete(activity_file=attached, by=secretary_a)
    assert not path.exists() and not ActivityFile.objects.exists()


# --- meeting rules ----------------------------------------------------------------------


def test_meeting_rule_set_replaces_the_rule_of_the_same_day(tree, orgdept):
    day = datetime.date(2026, 7, 1)
    services.meeting_rule_set(
        branch=tree.town, kind=Activity.Kind.THEME_DAY, period="quarter", min_count=1, effective_from=day, by=orgdept
    )
    services.meeting_rule_set(
        branch=tree.town, kind=Activity.Kind.THEME_DAY, period="month", min_count=2, effective_from=day, by=orgdept
    )
    rule = MeetingRule.objects.get()
    assert (rule.period, rule.min_count, rule.created_by) == ("month", 2, orgdept)


def test_meeting_rule_validates_its_values(tree, orgdept):
    day = datetime.date(2026, 7, 1)
    with pytest.raises(ActivityError) as excinfo:
        services.meeting_rule_set(
            branch=tree.town, kind=Activity.Kind.VOLUNTEER, period="month", min_count=1, effective_from=day, by=orgdept
        )
    assert _code(excinfo) == "unknown_kind"
    with pytest.raises(ActivityError) as excinfo:
        services.meeting_rule_set(
            branch=tree.town, kind=Activity.Kind.THEME_DAY, period="week", min_count=1, effective_from=day, by=orgdept
        )
    assert _code(excinfo) == "invalid_period"
    with pytest.raises(ActivityError) as excinfo:
        services.meeting_rule_set(
            branch=tree.town, kind=Activity.Kind.THEME_DAY, period="month", min_count=99, effective_from=day, by=orgdept
        )
    assert _code(excinfo) == "invalid_count"
