"""The secretary's actions: every one refuses the wrong user and, for the right one, makes the change."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from activities import checkin, services
from activities import leave as leave_services
from activities import records as record_services
from activities.models import Activity, ActivityFile, Attendance, LeaveRequest, Resolution
from branches import access
from branches.models import Branch
from tests.factories import MemberFactory, make_branch

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _login_redirect(response) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("login"))


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def assembly(make_activity, tree):
    """A 支部党员大会 of branch A starting in ten minutes."""
    return make_activity(tree.branch_a, Activity.Kind.BRANCH_ASSEMBLY, title="支部党员大会")


@pytest.fixture
def started(make_activity, tree):
    """A 主题党日 of branch A that started an hour ago."""
    return make_activity(tree.branch_a, Activity.Kind.THEME_DAY, title="主题党日", start=timezone.now() - HOUR)


@pytest.fixture
def media(settings):
    """Activity files are kept in the private storage, not under MEDIA_ROOT."""
    return Path(settings.PRIVATE_FILES_ROOT)


def _local(dt: datetime.datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


# Each action: its URL name, extra URL args, a POST body; the matrix below runs on all of them.
ACTIONS = [
    ("edit", {"title": "改名"}),
    ("cancel", {"reason": "下雨"}),
    ("hold", {}),
    ("minutes", {"minutes": "记录"}),
    ("resolution_add", {"text": "决议"}),
    ("file_upload", {}),
    ("manual_check_in", {"who": "李明"}),
    ("hours", {}),
    ("fixed_qr", {"enabled": "1"}),
]


@pytest.mark.parametrize(("name", "data"), ACTIONS)
def test_actions_send_anonymous_to_login(client, started, name, data):
    assert _login_redirect(client.post(reverse(f"activities:{name}", args=[started.pk]), data))


@pytest.mark.parametrize(("name", "data"), ACTIONS)
@pytest.mark.parametrize("persona", ["secretary_b", "other_orgdept", "member_a"])
def test_actions_outside_the_subtree_are_404(login_as, started, name, data, persona):
    assert login_as(persona).post(reverse(f"activities:{name}", args=[started.pk]), data).status_code == 404


@pytest.mark.parametrize(("name", "data"), ACTIONS)
def test_actions_on_a_guessed_id_are_404(login_as, started, name, data):
    response = login_as("secretary_a").post(reverse(f"activities:{name}", args=[started.pk + 1000]), data)
    assert response.status_code == 404


@pytest.mark.parametrize(("name", "data"), ACTIONS)
def test_actions_need_manage_permission(login_as, started, member_a, name, data):
    before = Activity.objects.values().get(pk=started.pk)
    assert login_as("viewer").post(reverse(f"activities:{name}", args=[started.pk]), data).status_code == 403
    assert Activity.objects.values().get(pk=started.pk) == before
    assert not Attendance.objects.filter(activity=started).exists()
    assert not Resolution.objects.filter(activity=started).exists()


# --- plan and edit ------------------------------------------------------------------------


def test_create_sends_anonymous_to_login(client, tree):
    assert _login_redirect(client.get(reverse("activities:create")))


def test_create_refuses_a_viewer(login_as, tree):
    assert login_as("viewer").get(reverse("activities:create")).status_code == 403


def test_create_at_a_branch_outside_the_subtree_is_404(login_as, tree):
    assert login_as("secretary_b").get(reverse("activities:create"), {"branch": "BA"}).status_code == 404


def test_create_at_a_visible_branch_without_manage_is_403(login_as, tree, secretary_a):
    access.grant(secretary_a, access.VIEW, tree.town)  # reads the town, manages only branch A
    client = login_as("secretary_a")
    assert client.get(reverse("activities:create"), {"branch": "VA"}).status_code == 403
    response = client.post(reverse("activities:create"), _plan_data(branch="VA"))  # typed into the picker
    assert response.status_code == 200 and not Activity.objects.exists()
    assert response.context["form"].errors["branch"] == ["找不到该党组织，或不在您的管理范围内"]


def _plan_data(branch: str = "BA", **changes) -> dict:
    start = timezone.now() + 48 * HOUR
    data = {
        "branch": branch,
        "kind": Activity.Kind.PARTY_LECTURE,
        "title": "学习党章",
        "starts_at": _local(start),
        "ends_at": _local(start + 2 * HOUR),
        "place": "村部会议室",
    }
    return {**data, **changes}


def test_secretary_plans_an_activity(login_as, tree, secretary_a):
    response = login_as("secretary_a").post(reverse("activities:create"), _plan_data())
    activity = Activity.objects.get()
    assert response.status_code == 302 and response.url == reverse("activities:detail", args=[activity.pk])
    assert (activity.branch, activity.kind, activity.title, activity.created_by) == (
        tree.branch_a,
        Activity.Kind.PARTY_LECTURE,
        "学习党章",
        secretary_a,
    )


def test_planning_shows_the_services_error_on_its_field(login_as, tree):
    start = timezone.now() + 48 * HOUR
    data = _plan_data(starts_at=_local(start), ends_at=_local(start - HOUR))
    response = login_as("secretary_a").post(reverse("activities:create"), data)
    assert response.status_code == 200 and not Activity.objects.exists()
    assert response.context["form"].errors["ends_at"] == ["结束时间应晚于开始时间"]


@pytest.mark.parametrize("code", ["BB", "NOPE", ""])
def test_planning_at_a_branch_the_secretary_does_not_manage_is_a_form_error(login_as, tree, code):
    response = login_as("secretary_a").post(reverse("activities:create"), _plan_data(branch=code))
    assert response.status_code == 200 and not Activity.objects.exists()
    message = "这个字段是必填项。" if not code else "找不到该党组织，或不在您的管理范围内"
    assert response.context["form"].errors["branch"] == [message]
    assert "西村" not in response.text  # nothing of the other subtree is shown


def test_the_activity_form_offers_no_list_of_every_organization(login_as, tree, orgdept):
    for i in range(30):
        make_branch(tree.village_b, Branch.Kind.BRANCH, name=f"西村第{i + 2}网格党支部")
    page = login_as("orgdept").get(reverse("activities:create")).text
    # the kinds and the footer's languages: no option per organization
    assert page.count("<option") <= len(Activity.Kind.choices) + 1 + 3
    assert "西村第31网格党支部" not in page
    assert 'class="branch-picker"' in page and 'src="/static/js/branch_picker.js"' in page


def test_the_activity_form_takes_the_branchs_name(login_as, tree):
    response = login_as("secretary_a").post(reverse("activities:create"), _plan_data(branch="东村第一网格党支部"))
    assert response.status_code == 302 and Activity.objects.get().branch == tree.branch_a


def test_create_form_offers_hosts_of_the_preselected_branch(login_as, tree, member_a, member_b):
    form = login_as("secretary_a").get(reverse("activities:create"), {"branch": "BA"}).context["form"]
    assert list(form.fields["host"].queryset) == [member_a]


def test_secretary_edits_title_and_host(login_as, assembly, member_a):
    data = {
        "title": "支部党员大会（改期）",
        "starts_at": _local(assembly.starts_at),
        "ends_at": _local(assembly.ends_at),
        "host": member_a.pk,
    }
    response = login_as("secretary_a").post(reverse("activities:edit", args=[assembly.pk]), data)
    assert response.status_code == 302
    assembly.refresh_from_db()
    assert assembly.title == "支部党员大会（改期）" and assembly.host == member_a


@pytest.mark.parametrize("size", [3, 30])
def test_edit_page_reads_the_hosts_once_for_its_three_lists(
    login_as, assembly, member_a, member_b, bulk_members, tree, size, django_assert_num_queries
):
    """主持人, 记录人 and 主讲人 list the same members of the branch (not another branch's), the current host
    selected; one query for the three whatever the branch's size. A member of another branch posted is
    refused by the field's queryset."""
    bulk_members(tree.branch_a, size)
    Activity.objects.filter(pk=assembly.pk).update(host=member_a)
    client = login_as("secretary_a")
    # session, user, grants, the activity with its branch, the hosts, its extra kinds
    with django_assert_num_queries(6):
        response = client.get(reverse("activities:edit", args=[assembly.pk]))
    form = response.context["form"]
    lists = [[str(value) for value, _ in form.fields[name].choices] for name in ("host", "recorder", "speaker")]
    assert lists[0] == lists[1] == lists[2] and len(lists[0]) == size + 2  # the blank, member_a and the others
    assert str(member_b.pk) not in lists[0]
    assert f'<option value="{member_a.pk}" selected>{member_a.name}</option>' in response.text
    data = {"title": "改", "starts_at": _local(assembly.starts_at), "ends_at": _local(assembly.ends_at)}
    refused = client.post(reverse("activities:edit", args=[assembly.pk]), {**data, "host": member_b.pk})
    assert refused.status_code == 200 and "host" in refused.context["form"].errors


def test_edit_of_a_held_activity_offers_no_times(login_as, started, secretary_a):
    services.activity_hold(activity=started, by=secretary_a)
    form = login_as("secretary_a").get(reverse("activities:edit", args=[started.pk])).context["form"]
    assert "starts_at" not in form.fields and "title" in form.fields


# --- cancel and hold ----------------------------------------------------------------------


def test_secretary_cancels_with_a_reason(login_as, assembly, secretary_a):
    response = login_as("secretary_a").post(reverse("activities:cancel", args=[assembly.pk]), {"reason": "台风"})
    assert response.status_code == 302
    assembly.refresh_from_db()
    assert assembly.is_cancelled and assembly.cancel_reason == "台风" and assembly.cancelled_by == secretary_a


def test_hold_page_shows_the_quorum_of_an_assembly(login_as, assembly, member_a):
    response = login_as("secretary_a").get(reverse("activities:hold", args=[assembly.pk]))
    assert response.context["quorum"].expected == 1 and "法定人数" in response.text


def test_secretary_marks_held_and_absentees_follow(login_as, started, member_a, secretary_a):
    response = login_as("secretary_a").post(reverse("activities:hold", args=[started.pk]), follow=True)
    started.refresh_from_db()
    assert started.is_held and started.held_by == secretary_a
    assert Attendance.objects.get(activity=started, member=member_a).status == Attendance.Status.ABSENT
    assert "已标记为已召开" in response.text


def test_holding_before_the_start_shows_the_services_error(login_as, assembly):
    response = login_as("secretary_a").post(reverse("activities:hold", args=[assembly.pk]), follow=True)
    assembly.refresh_from_db()
    assert not assembly.is_held and "活动尚未开始，不能标记为已召开" in _messages(response)


# --- minutes and resolutions --------------------------------------------------------------


def test_secretary_records_minutes(login_as, started):
    client = login_as("secretary_a")
    assert client.post(reverse("activities:minutes", args=[started.pk]), {"minutes": "传达学习文件"}).status_code == 302
    started.refresh_from_db()
    assert started.minutes == "传达学习文件"
    assert "传达学习文件" in client.get(reverse("activities:minutes", args=[started.pk])).text


def test_secretary_adds_a_resolution_with_votes(login_as, started, member_a, tree):
    present = [member_a, MemberFactory(branch=tree.branch_a)]
    for member in present:
        checkin.check_in(activity=started, member=member, method="manual")
    data = {"text": "同意发展张三为预备党员", "votes_for": 1, "votes_against": 1, "votes_abstain": 0}
    login_as("secretary_a").post(reverse("activities:resolution_add", args=[started.pk]), data)
    resolution = Resolution.objects.get(activity=started)
    assert (resolution.votes_for, resolution.votes_against, resolution.votes_abstain) == (1, 1, 0)
    assert resolution.voting_members == 2


def test_incomplete_votes_show_the_services_error(login_as, started):
    data = {"text": "决议", "votes_for": 9}
    response = login_as("secretary_a").post(reverse("activities:resolution_add", args=[started.pk]), data)
    assert response.status_code == 400 and not Resolution.objects.exists()
    assert "请同时填写赞成、反对、弃权票数，或都不填" in response.text


def test_resolution_delete_is_refused_outside_and_without_permission(login_as, started, secretary_a):
    resolution = record_services.resolution_add(activity=started, text="决议", by=secretary_a)
    url = reverse("activities:resolution_delete", args=[started.pk, resolution.pk])
    assert login_as("secretary_b").post(url).status_code == 404
    assert login_as("viewer").post(url).status_code == 403
    assert login_as("secretary_a").post(url).status_code == 302
    assert not Resolution.objects.exists()


# --- files --------------------------------------------------------------------------------


def test_secretary_uploads_a_photo(login_as, started, media):
    upload = SimpleUploadedFile("会场.png", PNG, content_type="image/png")
    url = reverse("activities:file_upload", args=[started.pk])
    login_as("secretary_a").post(url, {"file": upload, "caption": "会场"})
    item = ActivityFile.objects.get(activity=started)
    assert (item.kind, item.original_name, item.caption) == (ActivityFile.Kind.PHOTO, "会场.png", "会场")


def test_upload_of_a_wrong_type_shows_the_services_error(login_as, started, media):
    upload = SimpleUploadedFile("病毒.exe", b"MZ" + b"\x00" * 10)
    url = reverse("activities:file_upload", args=[started.pk])
    response = login_as("secretary_a").post(url, {"file": upload}, follow=True)
    assert not ActivityFile.objects.exists()
    assert "只能上传 jpg、png 图片或 pdf、docx、xlsx 文件" in _messages(response)


def test_upload_over_the_size_limit_shows_the_services_error(login_as, started, media, settings):
    settings.ACTIVITY_FILE_MAX_BYTES = 1024 * 1024
    upload = SimpleUploadedFile("大图.png", PNG + b"\x00" * (1024 * 1024))
    response = login_as("secretary_a").post(
        reverse("activities:file_upload", args=[started.pk]), {"file": upload}, follow=True
    )
    assert not ActivityFile.objects.exists() and "文件不能超过 1 MB" in _messages(response)


def test_file_delete_is_refused_without_permission_and_works_for_the_secretary(login_as, started, secretary_a, media):
    item = record_services.activity_attach_file(
        activity=started, upload=SimpleUploadedFile("合影.png", PNG), by=secretary_a
    )
    url = reverse("activities:file_delete", args=[started.pk, item.pk])
    assert login_as("secretary_b").post(url).status_code == 404
    assert login_as("viewer").post(url).status_code == 403
    assert login_as("secretary_a").post(url).status_code == 302
    assert not ActivityFile.objects.exists()


# --- manual check-in ----------------------------------------------------------------------


def test_secretary_checks_in_a_member_from_the_sheet(login_as, started, member_a, secretary_a):
    url = reverse("activities:manual_check_in", args=[started.pk])
    response = login_as("secretary_a").post(url, {"member": member_a.pk}, follow=True)
    attendance = Attendance.objects.get(activity=started, member=member_a)
    assert attendance.status == Attendance.Status.PRESENT
    assert (attendance.method, attendance.recorded_by) == (Attendance.Method.MANUAL, secretary_a)
    assert "李明 签到成功" in _messages(response)


def test_secretary_checks_in_a_member_by_phone(login_as, started, member_a):
    url = reverse("activities:manual_check_in", args=[started.pk])
    login_as("secretary_a").post(url, {"who": member_a.phone})
    assert Attendance.objects.filter(activity=started, member=member_a, status=Attendance.Status.PRESENT).exists()


def test_manual_check_in_of_a_namesake_asks_for_the_phone(login_as, started, member_a, tree):
    MemberFactory(branch=tree.branch_a, name="李明")
    url = reverse("activities:manual_check_in", args=[started.pk])
    response = login_as("secretary_a").post(url, {"who": "李明"}, follow=True)
    assert not Attendance.objects.exists() and "有多名同名党员，请输入手机号码" in _messages(response)


def test_manual_check_in_of_a_member_not_expected_shows_the_error(login_as, started, member_b, orgdept):
    url = reverse("activities:manual_check_in", args=[started.pk])
    response = login_as("orgdept").post(url, {"member": member_b.pk}, follow=True)
    assert not Attendance.objects.exists()
    assert "王芳：您不在本次活动的应到名单中" in _messages(response)


def test_manual_check_in_of_a_member_outside_the_subtree_is_404(login_as, started, member_c):
    url = reverse("activities:manual_check_in", args=[started.pk])
    assert login_as("secretary_a").post(url, {"member": member_c.pk}).status_code == 404


def test_manual_check_in_twice_says_already(login_as, started, member_a):
    client = login_as("secretary_a")
    url = reverse("activities:manual_check_in", args=[started.pk])
    client.post(url, {"member": member_a.pk})
    response = client.post(url, {"member": member_a.pk}, follow=True)
    assert Attendance.objects.filter(activity=started).count() == 1 and "李明 已签到" in _messages(response)


# --- leave decisions and hours ------------------------------------------------------------


@pytest.fixture
def leave(make_activity, tree, member_a):
    later = make_activity(tree.branch_a, start=timezone.now() + 24 * HOUR)
    return leave_services.leave_request_create(activity=later, member=member_a, reason="出差")


def test_leave_decision_is_refused_outside_and_without_permission(login_as, leave):
    url = reverse("activities:leave_decide", args=[leave.activity_id, leave.pk])
    assert login_as("anonymous").post(url, {"approve": "1"}).status_code == 302
    assert login_as("secretary_b").post(url, {"approve": "1"}).status_code == 404
    assert login_as("viewer").post(url, {"approve": "1"}).status_code == 403
    leave.refresh_from_db()
    assert leave.status == LeaveRequest.Status.PENDING


def test_leave_of_another_activity_is_404(login_as, leave, started):
    url = reverse("activities:leave_decide", args=[started.pk, leave.pk])
    assert login_as("secretary_a").post(url, {"approve": "1"}).status_code == 404


def test_secretary_approves_leave(login_as, leave, member_a, secretary_a):
    url = reverse("activities:leave_decide", args=[leave.activity_id, leave.pk])
    login_as("secretary_a").post(url, {"approve": "1", "comment": "同意"})
    leave.refresh_from_db()
    assert (leave.status, leave.decided_by, leave.decision_comment) == ("approved", secretary_a, "同意")
    assert Attendance.objects.get(activity_id=leave.activity_id, member=member_a).status == Attendance.Status.LEAVE


def test_secretary_refuses_leave(login_as, leave):
    url = reverse("activities:leave_decide", args=[leave.activity_id, leave.pk])
    login_as("secretary_a").post(url, {"approve": "0"})
    leave.refresh_from_db()
    assert leave.status == LeaveRequest.Status.REFUSED


def test_secretary_records_volunteer_hours(login_as, make_activity, tree, member_a, secretary_a):
    service = make_activity(tree.branch_a, Activity.Kind.VOLUNTEER, start=timezone.now() - HOUR)
    checkin.check_in(activity=service, member=member_a, method="manual", by=secretary_a)
    url = reverse("activities:hours", args=[service.pk])
    login_as("secretary_a").post(url, {f"hours-{member_a.pk}": "2.5"})
    assert str(Attendance.objects.get(activity=service, member=member_a).hours) == "2.5"


# --- the fixed QR -------------------------------------------------------------------------


def test_secretary_enables_and_disables_the_fixed_qr(login_as, assembly):
    client = login_as("secretary_a")
    response = client.post(reverse("activities:fixed_qr", args=[assembly.pk]), {"enabled": "1"})
    assert response.url == reverse("activities:poster", args=[assembly.pk])
    assembly.refresh_from_db()
    assert assembly.fixed_qr_enabled and assembly.fixed_qr_secret
    client.post(reverse("activities:fixed_qr", args=[assembly.pk]), {"enabled": "0"})
    assembly.refresh_from_db()
    assert not assembly.fixed_qr_enabled and not assembly.fixed_qr_secret
