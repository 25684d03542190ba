"""The audit trail: who, when, from which IP, each field before and after; bulk writes once."""

from __future__ import annotations

import datetime
import hashlib
import json

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from activities import checkin, tokens
from activities import leave as leave_services
from activities import services as activity_services
from activities.models import Activity, Attendance
from branches.audit import AuditMiddleware
from branches.models import AuditBulkEvent
from core.http import client_ip
from core.masking import mask_phone
from health.models import HealthCheck, Rubric
from health.rubric import default_rubric
from health.services import health_checks_compute, rubric_save
from members.dues.importing import import_dues
from members.models import Member, Position
from members.roster_io.importing import import_members
from members.services import member_transfer, position_appoint
from tests.factories import MemberFactory, new_id_number
from tests.members.import_helpers import person, workbook_bytes

IP = "203.0.113.7"


def entries_of(obj) -> list[LogEntry]:
    return list(LogEntry.objects.get_for_object(obj).order_by("timestamp", "pk"))


def all_logged_text() -> str:
    """Every value django-auditlog stored, as one string to search."""
    return json.dumps(
        list(LogEntry.objects.values_list("changes", "object_repr", "additional_data")), ensure_ascii=False
    )


def edit_data(member: Member, **changes) -> dict:
    data = {
        "name": member.name,
        "sex": member.sex,
        "birth_date": member.birth_date.isoformat(),
        "ethnicity": member.ethnicity,
        "education": "undergraduate",
        "phone": member.phone,
        "group": member.group.code if member.group else "",
        "household": "",
        "occupation": member.occupation,
        "situation": member.situation,
        "status": member.status,
        "joined_on": member.joined_on.isoformat(),
        "confirmed_on": member.confirmed_on.isoformat() if member.confirmed_on else "",
    }
    data.update(changes)
    return data


# --- saves through the site: actor, IP, before and after ---------------------------------------


def test_editing_a_member_records_actor_ip_and_each_change_before_and_after(login_as, member_a, secretary_a):
    old_phone = member_a.phone
    client = login_as("secretary_a")
    response = client.post(
        reverse("members:edit", args=[member_a.pk]), edit_data(member_a, phone="13912340000"), REMOTE_ADDR=IP
    )
    assert response.status_code == 302
    entry = entries_of(member_a)[-1]
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == secretary_a and entry.remote_addr == IP
    assert entry.changes_dict["phone"] == [mask_phone(old_phone), "139****0000"]
    assert entry.changes_dict["education"] == ["", "undergraduate"]
    assert "13912340000" not in all_logged_text()


def test_a_header_chosen_by_the_client_is_not_written_to_the_log(login_as, member_a):
    data = edit_data(member_a, ethnicity="回族")
    response = login_as("secretary_a").post(
        reverse("members:edit", args=[member_a.pk]), data, HTTP_X_CORRELATION_ID="x" * 300, REMOTE_ADDR=IP
    )
    assert response.status_code == 302
    assert entries_of(member_a)[-1].cid is None


def test_an_id_number_is_never_logged_in_clear_nor_encrypted(login_as, tree, secretary_a):
    number = new_id_number(datetime.date(1990, 2, 3), "F")
    data = edit_data(MemberFactory.build(group=tree.group_a, confirmed_on=datetime.date(2016, 7, 1)), name="孙新")
    data.update(id_number=number, branch=tree.branch_a.code, sex="F", birth_date="1990-02-03", joined_on="2015-07-01")
    response = login_as("secretary_a").post(reverse("members:create"), data, REMOTE_ADDR=IP)
    assert response.status_code == 302
    member = Member.objects.get(id_number_digest__isnull=False, name="孙新")
    logged = all_logged_text()
    assert entries_of(member)[0].actor == secretary_a
    assert number not in logged and number[6:14] not in logged  # not even the birth date part
    assert member.id_number_encrypted not in logged and member.id_number_digest not in logged
    assert member.id_number_masked not in logged  # nor its mask: with the birth date it narrowed the rest
    assert "1990-02-03" not in logged  # the birth date is the number's middle: not logged either


def test_the_forwarded_for_header_is_trusted_only_behind_configured_proxies(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.9")
    settings.AUDIT_TRUSTED_PROXIES = 0
    assert client_ip(request) == "10.0.0.2"
    settings.AUDIT_TRUSTED_PROXIES = 1
    assert client_ip(request) == "198.51.100.9"  # the address our own proxy saw, not the forged first one


# --- each kind of object leaves an entry --------------------------------------------------------


def test_a_transfer_is_logged_with_the_branch_before_and_after(tree, member_a, secretary_a):
    with set_actor(secretary_a, remote_addr=IP):
        member_transfer(member=member_a, to_branch=tree.branch_b, on=timezone.localdate(), by=secretary_a)
    entry = entries_of(member_a)[-1]
    assert entry.changes_dict["branch"] == [str(tree.branch_a.pk), str(tree.branch_b.pk)]
    assert (entry.actor, entry.remote_addr) == (secretary_a, IP)


def test_an_appointment_is_logged(tree, member_a, orgdept):
    with set_actor(orgdept, remote_addr=IP):
        position = position_appoint(
            member=member_a, branch=tree.branch_a, title=Position.Title.SECRETARY, on=timezone.localdate(), by=orgdept
        )
    (entry,) = entries_of(position)
    assert entry.action == LogEntry.Action.CREATE and entry.changes_dict["title"] == ["None", "secretary"]
    assert entry.additional_data == {"member_id": member_a.pk}


def test_editing_an_activity_through_the_site_is_logged(login_as, tree, secretary_a):
    start = timezone.now() + datetime.timedelta(days=1)
    activity = activity_services.activity_create(
        branch=tree.branch_a,
        kind=Activity.Kind.PARTY_LECTURE,
        title="党课",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        by=secretary_a,
    )
    client = login_as("secretary_a")
    form = client.get(reverse("activities:edit", args=[activity.pk])).context["form"]
    values = {name: form[name].value() for name in form.fields}  # 同时计为 (extra kinds) is a list
    data = {name: value if isinstance(value, list) else value or "" for name, value in values.items()}
    data["title"] = "专题党课"
    response = client.post(reverse("activities:edit", args=[activity.pk]), data, REMOTE_ADDR=IP)
    assert response.status_code == 302
    entry = entries_of(activity)[-1]
    assert entry.changes_dict["title"] == ["党课", "专题党课"]
    assert (entry.actor, entry.remote_addr) == (secretary_a, IP)


def test_an_attendance_sheet_is_one_bulk_event_with_each_change(tree, member_a, secretary_a):
    start = timezone.now() - datetime.timedelta(hours=1)
    activity = activity_services.activity_create(
        branch=tree.branch_a,
        kind=Activity.Kind.BRANCH_ASSEMBLY,
        title="支部党员大会",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        by=secretary_a,
    )
    other = MemberFactory(branch=tree.branch_a, name="赵六")
    activity_services.activity_hold(activity=activity, by=secretary_a)
    statuses = {member_a.pk: Attendance.Status.PRESENT, other.pk: Attendance.Status.LEAVE}
    activity_services.attendance_bulk_record(
        activity=activity, statuses=statuses, by=secretary_a, reason="纸质签到表补登"
    )
    events = AuditBulkEvent.objects.filter(object_type="activities.activity", object_id=activity.pk)
    assert sorted(events.values_list("kind", flat=True)) == ["hold_activity", "record_attendance"]
    sheet = events.get(kind=AuditBulkEvent.Kind.RECORD_ATTENDANCE)
    assert sheet.actor == secretary_a and sheet.counts == {"新增": 0, "修改": 2}
    assert sheet.note == "理由：纸质签到表补登"
    assert sorted(sheet.changes) == [["李明", "缺席", "实到"], ["赵六", "缺席", "请假"]]
    assert events.get(kind=AuditBulkEvent.Kind.HOLD_ACTIVITY).counts["冻结应到"] == 2


def test_a_health_check_adjustment_through_the_site_is_logged(login_as, tree, member_a, secretary_a):
    health_checks_compute(period="2025", branch=tree.branch_a)
    check = HealthCheck.objects.get(member=member_a, period="2025")
    response = login_as("secretary_a").post(
        reverse("health:adjust", args=[check.pk]), {"adjustment": "3", "reason": "抗疫志愿服务"}, REMOTE_ADDR=IP
    )
    assert response.status_code == 302
    entry = entries_of(check)[-1]
    assert entry.changes_dict["adjustment"] == ["0.00", "3.00"]
    assert entry.changes_dict["adjustment_reason"] == ["", "抗疫志愿服务"]
    assert (entry.actor, entry.remote_addr) == (secretary_a, IP)


def test_saving_a_rubric_is_logged(tree, orgdept):
    with set_actor(orgdept, remote_addr=IP):
        rubric = rubric_save(branch=tree.town, year=2026, config=default_rubric(), name="城关镇细则", by=orgdept)
    (entry,) = entries_of(Rubric.objects.get(pk=rubric.pk))
    assert entry.action == LogEntry.Action.CREATE and entry.changes_dict["name"] == ["None", "城关镇细则"]
    assert (entry.actor, entry.remote_addr) == (orgdept, IP)


# --- bulk writes: one event each ----------------------------------------------------------------


def test_an_import_is_one_bulk_event_with_the_file_hash_and_counts(tree, orgdept):
    moved = MemberFactory(branch=tree.branch_a)
    rows = [
        person(姓名="张三", 公民身份号码=new_id_number(datetime.date(1980, 5, 17), "M")),
        person(
            姓名="李四", 公民身份号码=new_id_number(datetime.date(1981, 6, 1), "M"), 出生日期=datetime.date(1981, 6, 1)
        ),
        person(公民身份号码=moved.id_number, 姓名=moved.name, 手机号码=moved.phone, 学历="", 党组织编码="BB"),
    ]
    file = workbook_bytes(rows)
    expected_hash = hashlib.sha256(file.getvalue()).hexdigest()
    logged_before = LogEntry.objects.count()
    result = import_members(file, user=orgdept)
    assert result.ok and result.new == 2 and result.transferred == 1
    (event,) = AuditBulkEvent.objects.all()
    assert event.kind == AuditBulkEvent.Kind.IMPORT_MEMBERS and event.actor == orgdept
    assert event.file_sha256 == expected_hash and event.file_name == "roster.xlsx"
    assert event.counts == {"新增": 2, "修改": 1, "未变": 0, "转接": 1}
    assert LogEntry.objects.count() == logged_before  # not one entry per row


def test_a_dry_run_or_a_refused_import_records_nothing(tree, orgdept):
    import_members(workbook_bytes([person()]), user=orgdept, dry_run=True)
    import_members(workbook_bytes([person(公民身份号码="123")]), user=orgdept)
    assert not AuditBulkEvent.objects.exists()


def test_a_dues_import_is_one_bulk_event(tree, orgdept):
    from tests.members.test_dues_import import xlsx

    member = MemberFactory(branch=tree.branch_a, monthly_income=4000)
    file = xlsx([[member.name, member.id_number, "2026-01", 40, datetime.date(2026, 1, 20)]])
    expected_hash = hashlib.sha256(file.getvalue()).hexdigest()
    assert import_dues(file, user=orgdept).ok
    (event,) = AuditBulkEvent.objects.all()
    assert (event.kind, event.file_sha256, event.counts) == ("import_dues", expected_hash, {"新增": 1, "更新": 0})


def test_a_recomputation_is_one_bulk_event_and_no_entry_per_check(tree, member_a, member_b, orgdept):
    logged_before = LogEntry.objects.count()
    health_checks_compute(period="2025", branch=tree.town, by=orgdept)
    health_checks_compute(period="2025", branch=tree.town, by=orgdept)
    first, second = AuditBulkEvent.objects.order_by("pk")
    assert (first.kind, first.branch, first.actor, first.note) == ("compute_health", tree.town, orgdept, "2025")
    assert first.counts == {"新增": 2, "更新": 0, "未变": 0, "已锁定": 0, "移除": 0}
    assert second.counts == {"新增": 0, "更新": 0, "未变": 2, "已锁定": 0, "移除": 0}
    assert LogEntry.objects.count() == logged_before


# --- attendance: every path that changes a row records who, when and from where (issue 12 item 10) --


def _assembly(tree, secretary_a, start) -> Activity:
    return activity_services.activity_create(
        branch=tree.branch_a,
        kind=Activity.Kind.BRANCH_ASSEMBLY,
        title="支部党员大会",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        by=secretary_a,
    )


def _row(activity, member) -> Attendance:
    return Attendance.objects.get(activity=activity, member=member)


def test_a_check_in_on_the_phone_page_logs_the_member_the_time_and_the_ip(client, tree, member_a, secretary_a):
    activity = _assembly(tree, secretary_a, timezone.now() + datetime.timedelta(minutes=10))
    client.force_login(member_a.user)
    url = reverse("activities:checkin", args=[tokens.current_token(activity)])
    assert client.post(url, {"nonce": "page-1"}, REMOTE_ADDR=IP).context["created"] is True
    row = _row(activity, member_a)
    (entry,) = entries_of(row)
    assert entry.action == LogEntry.Action.CREATE
    assert (entry.actor, entry.remote_addr) == (member_a.user, IP)
    assert entry.changes_dict["status"] == ["None", "present"] and entry.changes_dict["method"] == ["None", "qr"]
    # As django-auditlog logs every DateTimeField: naive, in UTC.
    assert entry.changes_dict["checked_in_at"][1] == str(timezone.make_naive(row.checked_in_at, datetime.UTC))
    assert entry.additional_data == {"activity_id": activity.pk, "member_id": member_a.pk}
    client.post(url, {"nonce": "page-2"}, REMOTE_ADDR="198.51.100.1")  # a repeat changes nothing, logs nothing
    assert len(entries_of(row)) == 1


def test_a_check_in_through_the_json_api_logs_the_member_and_the_ip(client, tree, member_a, secretary_a):
    activity = _assembly(tree, secretary_a, timezone.now() + datetime.timedelta(minutes=10))
    client.force_login(member_a.user)
    body = json.dumps({"token": tokens.current_token(activity), "nonce": "api-1"})
    response = client.post("/api/v1/check-ins", body, content_type="application/json", REMOTE_ADDR=IP)
    assert response.status_code == 201
    (entry,) = entries_of(_row(activity, member_a))
    assert (entry.actor_id, entry.remote_addr) == (member_a.user.pk, IP)
    assert entry.changes_dict["status"] == ["None", "present"]


def test_a_manual_check_in_over_a_frozen_absence_needs_a_reason_and_logs_it(login_as, tree, member_a, secretary_a):
    january = timezone.make_aware(datetime.datetime(timezone.localdate().year - 1, 1, 12, 9, 0))
    activity = _assembly(tree, secretary_a, january)
    activity_services.activity_hold(activity=activity, by=secretary_a)  # member_a frozen as 缺席
    client = login_as("secretary_a")
    url = reverse("activities:manual_check_in", args=[activity.pk])
    refused = client.post(url, {"member": member_a.pk}, REMOTE_ADDR=IP, follow=True)
    assert "须填写理由" in refused.text
    assert _row(activity, member_a).status == Attendance.Status.ABSENT and not entries_of(_row(activity, member_a))

    reason = "签到表漏登，经支委会核实当天到会"
    client.post(url, {"member": member_a.pk, "reason": reason}, REMOTE_ADDR=IP)
    row = _row(activity, member_a)
    assert (row.status, row.method, row.recorded_by) == (Attendance.Status.PRESENT, "manual", secretary_a)
    (entry,) = entries_of(row)
    assert entry.action == LogEntry.Action.UPDATE
    assert (entry.actor, entry.remote_addr) == (secretary_a, IP)
    assert entry.changes_dict["status"] == ["absent", "present"]
    assert entry.additional_data["reason"] == reason
    page = client.get(reverse("activities:detail", args=[activity.pk]))
    assert reason in page.text and IP in page.text  # the activity's trail shows the change with its reason


def test_an_attendance_sheet_records_the_secretary_and_the_ip(tree, member_a, secretary_a):
    activity = _assembly(tree, secretary_a, timezone.now() - datetime.timedelta(hours=1))
    request = RequestFactory().post("/", REMOTE_ADDR=IP)
    request.user = secretary_a

    def sheet(request):
        statuses = {member_a.pk: Attendance.Status.LEAVE}
        activity_services.attendance_bulk_record(activity=activity, statuses=statuses, by=request.user)
        return HttpResponse()

    AuditMiddleware(sheet)(request)
    event = AuditBulkEvent.objects.get(kind=AuditBulkEvent.Kind.RECORD_ATTENDANCE, object_id=activity.pk)
    assert (event.actor, event.remote_addr) == (secretary_a, IP)
    assert event.changes == [["李明", "—", "请假"]]


def test_holding_a_meeting_through_the_site_records_the_secretary_and_the_ip(login_as, tree, member_a, secretary_a):
    activity = _assembly(tree, secretary_a, timezone.now() - datetime.timedelta(minutes=5))
    login_as("secretary_a").post(reverse("activities:hold", args=[activity.pk]), REMOTE_ADDR=IP)
    assert _row(activity, member_a).status == Attendance.Status.ABSENT
    event = AuditBulkEvent.objects.get(kind=AuditBulkEvent.Kind.HOLD_ACTIVITY, object_id=activity.pk)
    assert (event.actor, event.remote_addr) == (secretary_a, IP)
    assert event.counts["记为缺席"] == 0 and event.counts["冻结应到"] == 1  # frozen straight in as absent


def test_approving_leave_logs_the_attendance_with_the_secretary_and_the_ip(login_as, tree, member_a, secretary_a):
    activity = _assembly(tree, secretary_a, timezone.now() + datetime.timedelta(days=1))
    leave = leave_services.leave_request_create(activity=activity, member=member_a, reason="出差")
    url = reverse("activities:leave_decide", args=[activity.pk, leave.pk])
    login_as("secretary_a").post(url, {"approve": "1"}, REMOTE_ADDR=IP)
    row = _row(activity, member_a)
    assert row.status == Attendance.Status.LEAVE
    (entry,) = entries_of(row)
    assert (entry.actor, entry.remote_addr) == (secretary_a, IP)
    assert entry.changes_dict["status"][1] == "leave"


def test_volunteer_hours_record_the_secretary_and_the_ip(login_as, tree, member_a, secretary_a):
    start = timezone.now() - datetime.timedelta(hours=1)
    activity = activity_services.activity_create(
        branch=tree.branch_a,
        kind=Activity.Kind.VOLUNTEER,
        title="志愿服务",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=3),
        by=secretary_a,
    )
    checkin.check_in(activity=activity, member=member_a, method="manual", by=secretary_a)
    url = reverse("activities:hours", args=[activity.pk])
    login_as("secretary_a").post(url, {f"hours-{member_a.pk}": "2.5"}, REMOTE_ADDR=IP)
    event = AuditBulkEvent.objects.get(kind=AuditBulkEvent.Kind.RECORD_ATTENDANCE, object_id=activity.pk)
    assert (event.actor, event.remote_addr) == (secretary_a, IP)
    assert event.changes == [[f"党员编号{member_a.pk}", "None", "2.5"]]


def test_signing_up_logs_the_member_and_the_ip(client, tree, member_a, secretary_a):
    start = timezone.now() + datetime.timedelta(days=1)
    activity = activity_services.activity_create(
        branch=tree.branch_a,
        kind=Activity.Kind.VOLUNTEER,
        title="志愿服务",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=3),
        by=secretary_a,
    )
    client.force_login(member_a.user)
    client.post(reverse("activities:sign_up", args=[activity.pk]), REMOTE_ADDR=IP)
    (entry,) = entries_of(_row(activity, member_a))
    assert (entry.actor, entry.remote_addr) == (member_a.user, IP)


# --- who sees the trail -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona, shown",
    [("secretary_a", True), ("orgdept", True), ("reviewer", True), ("viewer", False), ("member_a", False)],
)
def test_the_member_page_shows_the_trail_only_to_those_who_manage_or_review(login_as, member_a, persona, shown):
    with set_actor(None, remote_addr=IP):
        member_a.phone = "13700001111"
        member_a.save()
    page = login_as(persona).get(reverse("members:detail", args=[member_a.pk]))
    assert page.status_code == 200
    assert ('id="audit"' in page.text) is shown
    assert (IP in page.text) is shown
    assert "13700001111" not in page.text or persona == "orgdept"  # orgdept sees phones in clear anyway


@pytest.mark.parametrize("persona, shown", [("secretary_a", True), ("viewer", False), ("member_a", False)])
def test_the_activity_page_shows_the_trail_only_to_those_who_manage_or_review(
    login_as, tree, member_a, secretary_a, persona, shown
):
    start = timezone.now() + datetime.timedelta(days=1)
    activity = activity_services.activity_create(
        branch=tree.branch_a,
        kind=Activity.Kind.BRANCH_ASSEMBLY,
        title="支部党员大会",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        by=secretary_a,
    )
    page = login_as(persona).get(reverse("activities:detail", args=[activity.pk]))
    assert page.status_code == (200 if persona != "member_a" else 404)  # not on the list yet: not theirs
    assert ('id="audit"' in page.text) is shown


def test_the_health_page_lists_the_bulk_events_of_the_branch(login_as, tree, member_a, orgdept):
    health_checks_compute(period="2025", branch=tree.town, by=orgdept)
    page = login_as("secretary_a").get(reverse("health:branch", args=[tree.branch_a.code]), {"period": "2025"})
    assert page.status_code == 200
    assert "计算政治体检" in page.text and 'id="audit"' in page.text
