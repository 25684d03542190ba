"""Check-in rules: window, token rotation, forged and expired tokens, expected list, cancelled, idempotency."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import override_settings
from django.utils import timezone

from activities import checkin, services, tokens
from activities import leave as leave_services
from activities.errors import CheckInError
from activities.models import Activity, Attendance
from members.models import Member, Position
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)
WINDOW = datetime.timedelta(seconds=tokens.WINDOW_SECONDS)


def _code(excinfo) -> str:
    return excinfo.value.code


@pytest.fixture
def assembly(make_activity, tree):
    return make_activity(tree.branch_a, Activity.Kind.BRANCH_ASSEMBLY)


# --- tokens -----------------------------------------------------------------------------


def test_token_of_current_window_names_its_activity(assembly):
    now = timezone.now()
    assert checkin.verify_token(tokens.current_token(assembly, now), now).pk == assembly.pk


def test_token_of_previous_window_is_still_accepted(assembly):
    now = timezone.now()
    token = tokens.current_token(assembly, now - WINDOW)
    assert checkin.verify_token(token, now).pk == assembly.pk


def test_token_two_windows_old_is_expired(assembly):
    now = timezone.now()
    token = tokens.current_token(assembly, now - 2 * WINDOW)
    with pytest.raises(CheckInError) as excinfo:
        checkin.verify_token(token, now)
    assert _code(excinfo) == "expired_token"


def test_token_rotates_every_thirty_seconds(assembly):
    now = timezone.now()
    assert tokens.current_token(assembly, now) != tokens.current_token(assembly, now + WINDOW)


def test_token_from_a_future_window_is_invalid(assembly):
    now = timezone.now()
    with pytest.raises(CheckInError) as excinfo:
        checkin.verify_token(tokens.current_token(assembly, now + 2 * WINDOW), now)
    assert _code(excinfo) == "invalid_token"


def test_token_moved_to_another_activity_is_invalid(assembly, make_activity, tree):
    other = make_activity(tree.branch_a, Activity.Kind.THEME_DAY)
    now = timezone.now()
    _, window, signature = tokens.current_token(assembly, now).split(".")
    with pytest.raises(CheckInError) as excinfo:
        checkin.verify_token(f"{other.pk}.{window}.{signature}", now)
    assert _code(excinfo) == "invalid_token"


def test_token_signed_with_another_key_is_invalid(assembly):
    now = timezone.now()
    with override_settings(CHECKIN_TOKEN_KEY="an-attacker-guess"):
        forged = tokens.current_token(assembly, now)
    with pytest.raises(CheckInError) as excinfo:
        checkin.verify_token(forged, now)
    assert _code(excinfo) == "invalid_token"


@pytest.mark.parametrize("token", ["", "abc", "1.2", "x.1.sig", "1.y.sig", "1.2.", "1.2.3.4", "99999999.F.zzz"])
def test_malformed_tokens_are_invalid(token, assembly):
    with pytest.raises(CheckInError) as excinfo:
        checkin.verify_token(token)
    assert _code(excinfo) == "invalid_token"


def test_token_of_a_missing_activity_is_invalid(assembly):
    now = timezone.now()
    token = tokens.current_token(assembly, now)
    Activity.objects.filter(pk=assembly.pk).delete()
    with pytest.raises(CheckInError) as excinfo:
        checkin.verify_token(token, now)
    assert _code(excinfo) == "invalid_token"


def test_fixed_token_works_only_while_enabled(assembly, secretary_a):
    with pytest.raises(CheckInError):
        tokens.fixed_token(assembly)
    services.activity_fixed_qr_set(activity=assembly, enabled=True, by=secretary_a)
    poster = tokens.fixed_token(assembly)
    far_later = timezone.now() + datetime.timedelta(days=3)
    assert checkin.verify_token(poster, far_later).pk == assembly.pk

    services.activity_fixed_qr_set(activity=assembly, enabled=False, by=secretary_a)
    with pytest.raises(CheckInError) as excinfo:
        checkin.verify_token(poster)
    assert _code(excinfo) == "invalid_token"

    services.activity_fixed_qr_set(activity=assembly, enabled=True, by=secretary_a)
    with pytest.raises(CheckInError):
        checkin.verify_token(poster)  # a re-enabled poster gets a new secret: old prints stay void


def test_seconds_left_counts_down_within_the_window():
    start = datetime.datetime(2026, 10, 1, 8, 0, 0, tzinfo=datetime.UTC)
    assert tokens.seconds_left(start) == 30
    assert tokens.seconds_left(start + datetime.timedelta(seconds=29)) == 1


# --- the window -------------------------------------------------------------------------


def test_check_in_opens_thirty_minutes_before_the_start(make_activity, tree, member_a):
    start = timezone.now() + datetime.timedelta(hours=1)
    activity = make_activity(tree.branch_a, start=start)
    with pytest.raises(CheckInError) as excinfo:
        checkin.check_in(activity=activity, member=member_a, now=start - 31 * MINUTE)
    assert _code(excinfo) == "not_open"
    _, created = checkin.check_in(activity=activity, member=member_a, now=start - 29 * MINUTE)
    assert created


def test_check_in_closes_at_the_end(make_activity, tree, member_a):
    activity = make_activity(tree.branch_a, hours=2)
    with pytest.raises(CheckInError) as excinfo:
        checkin.check_in(activity=activity, member=member_a, now=activity.ends_at + MINUTE)
    assert _code(excinfo) == "closed"
    assert not Attendance.objects.exists()


def test_secretary_set_window_replaces_the_default(make_activity, tree, member_a):
    start = timezone.now() + datetime.timedelta(hours=3)
    activity = make_activity(
        tree.branch_a,
        start=start,
        checkin_opens_at=start - datetime.timedelta(hours=2),
        checkin_closes_at=start + 10 * MINUTE,
    )
    _, created = checkin.check_in(activity=activity, member=member_a, now=start - 90 * MINUTE)
    assert created
    other = MemberFactory(branch=tree.branch_a)
    with pytest.raises(CheckInError) as excinfo:
        checkin.check_in(activity=activity, member=other, now=start + 11 * MINUTE)
    assert _code(excinfo) == "closed"


def test_secretary_check_in_is_not_held_to_the_window(make_activity, tree, member_a, secretary_a):
    activity = make_activity(tree.branch_a)
    later = activity.ends_at + datetime.timedelta(days=1)
    attendance, created = checkin.check_in(
        activity=activity, member=member_a, method=Attendance.Method.SECRETARY, by=secretary_a, now=later
    )
    assert created and attendance.method == "secretary" and attendance.recorded_by_id == secretary_a.pk


@pytest.mark.parametrize("method", [Attendance.Method.MANUAL, Attendance.Method.SECRETARY])
def test_secretary_check_in_waits_for_the_window_to_open(make_activity, tree, member_a, secretary_a, method):
    """Logged afterwards, but nobody is marked present at a meeting next week: refused a second before
    check-in opens (30 minutes before the start), accepted at the opening itself."""
    activity = make_activity(tree.branch_a, start=timezone.now() + datetime.timedelta(days=7))
    with pytest.raises(CheckInError) as excinfo:
        checkin.check_in(
            activity=activity,
            member=member_a,
            method=method,
            by=secretary_a,
            now=activity.checkin_opens - datetime.timedelta(seconds=1),
        )
    assert _code(excinfo) == "not_open" and not Attendance.objects.filter(activity=activity, status="present").exists()
    _, created = checkin.check_in(
        activity=activity, member=member_a, method=method, by=secretary_a, now=activity.checkin_opens
    )
    assert created


# --- who may check in -------------------------------------------------------------------


def test_member_of_another_branch_is_not_expected(assembly, member_b):
    with pytest.raises(CheckInError) as excinfo:
        checkin.check_in(activity=assembly, member=member_b)
    assert _code(excinfo) == "not_expected"
    assert not Attendance.objects.exists()


def test_cancelled_activity_refuses_check_in(assembly, member_a, secretary_a):
    services.activity_cancel(activity=assembly, by=secretary_a, reason="台风")
    with pytest.raises(CheckInError) as excinfo:
        checkin.check_in(activity=assembly, member=member_a)
    assert _code(excinfo) == "cancelled"
    assert not Attendance.objects.exists()


def test_member_who_left_the_roster_is_not_expected(assembly, member_a):
    Member.objects.filter(pk=member_a.pk).update(is_active=False)
    member_a.refresh_from_db()
    with pytest.raises(CheckInError) as excinfo:
        checkin.check_in(activity=assembly, member=member_a)
    assert _code(excinfo) == "not_expected"


def test_general_branch_lecture_expects_its_whole_subtree(make_activity, tree, member_a, member_b):
    lecture = make_activity(tree.village_a, Activity.Kind.PARTY_LECTURE)
    attendance, created = checkin.check_in(activity=lecture, member=member_a)
    assert created and attendance.expected
    with pytest.raises(CheckInError):
        checkin.check_in(activity=lecture, member=member_b)  # village B is outside


def test_committee_meeting_expects_only_current_committee_members(make_activity, tree, member_a):
    deputy = MemberFactory(branch=tree.branch_a)
    retired = MemberFactory(branch=tree.branch_a)
    Position.objects.create(member=deputy, branch=tree.branch_a, title=Position.Title.DEPUTY, started_on="2024-01-01")
    Position.objects.create(
        member=retired,
        branch=tree.branch_a,
        title=Position.Title.ORGANIZATION,
        started_on="2020-01-01",
        ended_on="2024-01-01",
    )
    meeting = make_activity(tree.branch_a, Activity.Kind.COMMITTEE_MEETING)
    _, created = checkin.check_in(activity=meeting, member=deputy)
    assert created
    for outsider in (member_a, retired):
        with pytest.raises(CheckInError) as excinfo:
            checkin.check_in(activity=meeting, member=outsider)
        assert _code(excinfo) == "not_expected"


def test_group_meeting_expects_the_group_members(make_activity, tree, member_a):
    not_in_group = MemberFactory(branch=tree.branch_a)
    meeting = make_activity(tree.group_a, Activity.Kind.GROUP_MEETING)
    assert checkin.check_in(activity=meeting, member=member_a)[1]
    with pytest.raises(CheckInError):
        checkin.check_in(activity=meeting, member=not_in_group)


def test_volunteer_activity_takes_any_active_member_without_expecting_them(make_activity, tree, member_b):
    service = make_activity(tree.branch_a, Activity.Kind.VOLUNTEER)
    attendance, created = checkin.check_in(activity=service, member=member_b)
    assert created and not attendance.expected


# --- idempotency ------------------------------------------------------------------------


def test_check_in_twice_keeps_one_attendance_with_the_original_time(assembly, member_a):
    first, created = checkin.check_in(activity=assembly, member=member_a, nonce="tap-1")
    again, created_again = checkin.check_in(
        activity=assembly, member=member_a, nonce="tap-2", now=timezone.now() + 5 * MINUTE
    )
    assert created and not created_again
    assert again.pk == first.pk and again.checked_in_at == first.checked_in_at and again.nonce == "tap-1"
    assert Attendance.objects.count() == 1


def test_same_nonce_from_another_member_is_refused(assembly, member_a, tree):
    checkin.check_in(activity=assembly, member=member_a, nonce="shared")
    other = MemberFactory(branch=tree.branch_a)
    with pytest.raises(CheckInError) as excinfo:
        checkin.check_in(activity=assembly, member=other, nonce="shared")
    assert _code(excinfo) == "nonce_reused"


def test_approved_leave_turns_present_when_the_member_comes(make_activity, tree, member_a, secretary_a):
    activity = make_activity(tree.branch_a, start=timezone.now() + datetime.timedelta(hours=1))
    request = leave_services.leave_request_create(activity=activity, member=member_a, reason="出差", by=member_a.user)
    leave_services.leave_request_decide(leave_request=request, approve=True, by=secretary_a)
    attendance, created = checkin.check_in(activity=activity, member=member_a, now=activity.starts_at)
    assert created and attendance.status == Attendance.Status.PRESENT and attendance.expected
    assert Attendance.objects.get().status == Attendance.Status.PRESENT


def test_absent_member_of_a_held_activity_can_still_check_in_in_the_window(assembly, member_a, secretary_a):
    services.activity_hold(activity=assembly, by=secretary_a, now=assembly.starts_at)
    assert Attendance.objects.get(member=member_a).status == Attendance.Status.ABSENT
    attendance, created = checkin.check_in(activity=assembly, member=member_a, now=assembly.starts_at + MINUTE)
    assert created and attendance.status == Attendance.Status.PRESENT and attendance.expected


# --- the phone's path -------------------------------------------------------------------


def test_a_tap_runs_a_constant_number_of_queries(assembly, member_a, django_assert_num_queries):
    token = tokens.current_token(assembly)
    ContentType.objects.get_for_model(Attendance)  # the audit entry's content type: read once per process
    # the activity, the member, the row locked, the exemption looked up (activities.expected.is_expected),
    # its insert and its audit entry; a savepoint around them
    with django_assert_num_queries(8):
        assert checkin.check_in_with_token(token=token, user=member_a.user, nonce="n")[1]
    with django_assert_num_queries(5):  # a repeat writes nothing
        assert not checkin.check_in_with_token(token=token, user=member_a.user, nonce="n")[1]


def test_forged_token_is_refused_without_touching_the_database(assembly, member_a, django_assert_num_queries):
    with django_assert_num_queries(0), pytest.raises(CheckInError):
        checkin.check_in_with_token(token=f"{assembly.pk}.1.AAAAAAAAAAAAAAAAAAAAAA", user=member_a.user)


def test_user_without_a_member_gets_no_member(assembly):
    with pytest.raises(CheckInError) as excinfo:
        checkin.check_in_with_token(token=tokens.current_token(assembly), user=UserFactory())
    assert _code(excinfo) == "no_member"


def test_fixed_token_checks_in_through_the_phone_path(assembly, member_a, secretary_a):
    services.activity_fixed_qr_set(activity=assembly, enabled=True, by=secretary_a)
    attendance, created = checkin.check_in_with_token(token=tokens.fixed_token(assembly), user=member_a.user)
    assert created and attendance.method == Attendance.Method.QR and attendance.recorded_by_id == member_a.user.pk


def test_household_activity_expects_the_household_members(make_activity, tree, member_a):
    in_household = MemberFactory(branch=tree.branch_a, group=tree.group_a, household=tree.household_a)
    day = make_activity(tree.household_a, Activity.Kind.THEME_DAY)
    assert checkin.check_in(activity=day, member=in_household)[1]
    with pytest.raises(CheckInError):
        checkin.check_in(activity=day, member=member_a)


def test_committee_level_theme_day_expects_every_member_below_it(make_activity, tree, member_a, member_b, member_c):
    day = make_activity(tree.town, Activity.Kind.THEME_DAY)
    assert checkin.check_in(activity=day, member=member_a)[1]
    assert checkin.check_in(activity=day, member=member_b)[1]
    with pytest.raises(CheckInError):
        checkin.check_in(activity=day, member=member_c)  # another town
