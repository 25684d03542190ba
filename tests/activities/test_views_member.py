"""The member's phone page: upcoming activities, leave, sign-up, history."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import leave as leave_services
from activities import services
from activities.checkin import check_in
from activities.models import Activity, Attendance, LeaveRequest
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def _login_redirect(response) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("login"))


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def lecture(make_activity, tree):
    """A 党课 of branch A tomorrow."""
    return make_activity(tree.branch_a, Activity.Kind.PARTY_LECTURE, title="十月党课", start=timezone.now() + 24 * HOUR)


@pytest.fixture
def lecture_b(make_activity, tree):
    return make_activity(tree.branch_b, Activity.Kind.PARTY_LECTURE, title="西村党课", start=timezone.now() + 24 * HOUR)


@pytest.fixture
def member_b_user(member_b):
    member_b.user = UserFactory(username="member_b")
    member_b.save(update_fields=["user"])
    return member_b.user


def test_mine_sends_anonymous_to_login(client, tree):
    assert _login_redirect(client.get(reverse("activities:mine")))


def test_mine_of_an_account_without_a_member_is_404(login_as, tree):
    assert login_as("secretary_a").get(reverse("activities:mine")).status_code == 404


def test_mine_lists_my_upcoming_activities_only(login_as, lecture, lecture_b, member_a):
    response = login_as("member_a").get(reverse("activities:mine"))
    assert [card.activity.pk for card in response.context["rows"]] == [lecture.pk]
    assert "十月党课" in response.text and "西村党课" not in response.text
    assert response.context["rows"][0].may_ask_leave
    assert '<summary class="button">请假</summary>' in response.text  # 请假 looks like a button


def test_member_asks_for_leave_and_sees_its_state(login_as, lecture, member_a):
    client = login_as("member_a")
    response = client.post(reverse("activities:leave_ask", args=[lecture.pk]), {"reason": "外出务工"}, follow=True)
    leave = LeaveRequest.objects.get(activity=lecture, member=member_a)
    assert (leave.reason, leave.status, leave.requested_by) == ("外出务工", "pending", member_a.user)
    card = response.context["rows"][0]
    assert card.leave_status == leave.status and not card.may_ask_leave
    assert "待审批" in response.text


def test_card_says_checked_in_and_offers_no_leave_once_the_member_checked_in(login_as, make_activity, tree, member_a):
    soon = make_activity(
        tree.branch_a, Activity.Kind.PARTY_LECTURE, title="签到中的党课", start=timezone.now() + HOUR / 6
    )
    client = login_as("member_a")
    before = client.get(reverse("activities:mine"))
    card = before.context["rows"][0]
    assert card.checkin_open and card.may_ask_leave and not card.checked_in
    assert "签到进行中" in before.text and "已签到" not in before.text
    check_in(activity=soon, member=member_a, nonce="n-1", by=member_a.user)
    after = client.get(reverse("activities:mine"))
    card = after.context["rows"][0]
    assert card.checked_in and card.checked_in_at is not None
    assert not card.may_ask_leave and not card.checkin_open and card.leave_status == ""
    html = after.text.split('id="h-upcoming"', 1)[1].split("</section>", 1)[0]
    assert "已签到" in html and "请假" not in html and "签到进行中" not in html


def test_card_before_the_window_says_when_check_in_opens(login_as, lecture, member_a):
    card = login_as("member_a").get(reverse("activities:mine")).context["rows"][0]
    assert card.checkin_later and not card.checkin_open


def test_leave_asked_twice_shows_the_services_error(login_as, lecture, member_a):
    client = login_as("member_a")
    client.post(reverse("activities:leave_ask", args=[lecture.pk]), {"reason": "外出"})
    response = client.post(reverse("activities:leave_ask", args=[lecture.pk]), {"reason": "外出"}, follow=True)
    assert LeaveRequest.objects.count() == 1 and "已有待审批或已批准的请假申请" in _messages(response)


def test_leave_after_the_start_is_refused(login_as, make_activity, tree, member_a):
    started = make_activity(tree.branch_a, start=timezone.now() - HOUR)
    response = login_as("member_a").post(
        reverse("activities:leave_ask", args=[started.pk]), {"reason": "外出"}, follow=True
    )
    assert not LeaveRequest.objects.exists() and "活动开始后不能再请假" in _messages(response)


def test_leave_for_an_activity_of_another_branch_is_404(login_as, lecture_b, member_a):
    response = login_as("member_a").post(reverse("activities:leave_ask", args=[lecture_b.pk]), {"reason": "外出"})
    assert response.status_code == 404 and not LeaveRequest.objects.exists()


def test_leave_needs_login(client, lecture):
    assert _login_redirect(client.post(reverse("activities:leave_ask", args=[lecture.pk]), {"reason": "外出"}))


def test_member_withdraws_a_pending_request(login_as, lecture, member_a):
    leave = leave_services.leave_request_create(activity=lecture, member=member_a, reason="外出")
    login_as("member_a").post(reverse("activities:leave_withdraw", args=[leave.pk]))
    leave.refresh_from_db()
    assert leave.status == LeaveRequest.Status.WITHDRAWN


def test_withdrawing_someone_elses_request_is_404(login_as, lecture_b, member_b, member_a):
    leave = leave_services.leave_request_create(activity=lecture_b, member=member_b, reason="外出")
    assert login_as("member_a").post(reverse("activities:leave_withdraw", args=[leave.pk])).status_code == 404
    leave.refresh_from_db()
    assert leave.status == LeaveRequest.Status.PENDING


def test_member_signs_up_for_an_open_activity(login_as, make_activity, tree, member_a):
    service = make_activity(tree.village_a, Activity.Kind.VOLUNTEER, title="清扫河道", start=timezone.now() + 24 * HOUR)
    client = login_as("member_a")
    assert [a.pk for a in client.get(reverse("activities:mine")).context["open_activities"]] == [service.pk]
    response = client.post(reverse("activities:sign_up", args=[service.pk]), follow=True)
    assert Attendance.objects.filter(activity=service, member=member_a).exists()
    assert response.context["open_activities"] == [] and "已报名" in response.text


def test_sign_up_for_an_open_activity_elsewhere_is_404(login_as, make_activity, tree, member_a):
    service = make_activity(tree.branch_b, Activity.Kind.VOLUNTEER, start=timezone.now() + 24 * HOUR)
    assert login_as("member_a").post(reverse("activities:sign_up", args=[service.pk])).status_code == 404
    assert not Attendance.objects.exists()


def test_history_shows_my_attendance(login_as, make_activity, tree, member_a, secretary_a):
    past = make_activity(tree.branch_a, Activity.Kind.THEME_DAY, title="九月主题党日", start=timezone.now() - 3 * HOUR)
    services.activity_hold(activity=past, by=secretary_a)
    response = login_as("member_a").get(reverse("activities:mine"))
    assert [(a.activity_id, a.status) for a in response.context["history"]] == [(past.pk, Attendance.Status.ABSENT)]
    assert "九月主题党日" in response.text and "缺席" in response.text


@pytest.mark.parametrize("size", [1, 8])
def test_mine_runs_the_same_queries_for_any_size(
    login_as, make_activity, tree, member_a, secretary_a, size, django_assert_num_queries
):
    now = timezone.now()
    for i in range(size):
        upcoming = make_activity(tree.branch_a, Activity.Kind.PARTY_LECTURE, start=now + (i + 24) * HOUR)
        leave_services.leave_request_create(activity=upcoming, member=member_a, reason="外出")
        past = make_activity(tree.branch_a, Activity.Kind.THEME_DAY, start=now - (i + 3) * HOUR)
        services.activity_hold(activity=past, by=secretary_a)
    client = login_as("member_a")
    # session, user, member, upcoming, leave requests, open activities, history, the year's 学时, the nav's grants
    with django_assert_num_queries(9):
        response = client.get(reverse("activities:mine"))
    assert len(response.context["rows"]) == size and len(response.context["history"]) == size
