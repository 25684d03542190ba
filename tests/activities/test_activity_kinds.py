"""An activity's extra kinds (同时计为), its 党课 speaker and 学时, and minutes only once it has started."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.errors import ActivityError
from activities.models import Activity, ActivityExtraKind

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def _kinds(activity) -> set[str]:
    return set(ActivityExtraKind.objects.filter(activity=activity).values_list("kind", flat=True))


def test_an_activity_counts_as_its_extra_kinds(make_activity, tree, member_a):
    activity = make_activity(
        tree.branch_a,
        Activity.Kind.THEME_DAY,
        extra_kinds=[Activity.Kind.PARTY_LECTURE],
        speaker=member_a,
        study_hours=Decimal("1.5"),
    )
    assert _kinds(activity) == {Activity.Kind.PARTY_LECTURE}
    assert activity.speaker == member_a and activity.study_hours == Decimal("1.5")


def test_the_main_kind_is_not_an_extra_kind(make_activity, tree):
    with pytest.raises(ActivityError) as excinfo:
        make_activity(tree.branch_a, Activity.Kind.THEME_DAY, extra_kinds=[Activity.Kind.THEME_DAY])
    assert excinfo.value.code == "extra_kind_is_main" and excinfo.value.field == "extra_kinds"
    assert not Activity.objects.exists()


def test_an_extra_kind_follows_the_rules_of_the_branch(make_activity, tree):
    """A 党小组会 is held by a group: a branch's activity cannot count as one."""
    with pytest.raises(ActivityError) as excinfo:
        make_activity(tree.branch_a, Activity.Kind.THEME_DAY, extra_kinds=[Activity.Kind.GROUP_MEETING])
    assert excinfo.value.code == "kind_not_allowed" and "同时计为" in excinfo.value.message


@pytest.mark.parametrize(("hours", "ok"), [("0", False), ("0.5", True), ("99.9", True), ("100", False)])
def test_study_hours_boundaries(make_activity, tree, hours, ok):
    if ok:
        assert make_activity(tree.branch_a, Activity.Kind.STUDY, study_hours=Decimal(hours)).study_hours == Decimal(
            hours
        )
    else:
        with pytest.raises(ActivityError) as excinfo:
            make_activity(tree.branch_a, Activity.Kind.STUDY, study_hours=Decimal(hours))
        assert excinfo.value.code == "invalid_study_hours"


def test_a_speaker_who_left_is_refused(make_activity, tree, member_a):
    member_a.is_active = False
    member_a.save()
    with pytest.raises(ActivityError) as excinfo:
        make_activity(tree.branch_a, Activity.Kind.PARTY_LECTURE, speaker=member_a)
    assert excinfo.value.code == "inactive_member" and excinfo.value.field == "speaker"


def test_extra_kinds_change_after_holding_and_each_change_is_audited(make_activity, tree, secretary_a):
    activity = make_activity(tree.branch_a, Activity.Kind.THEME_DAY, extra_kinds=[Activity.Kind.STUDY])
    services.activity_hold(activity=activity, by=secretary_a, now=activity.starts_at)
    services.activity_update(activity=activity, extra_kinds=[Activity.Kind.PARTY_LECTURE], by=secretary_a)
    assert _kinds(activity) == {Activity.Kind.PARTY_LECTURE}
    actions = set(LogEntry.objects.filter(content_type__model="activityextrakind").values_list("action", flat=True))
    assert actions == {LogEntry.Action.CREATE, LogEntry.Action.DELETE}


def test_minutes_only_once_the_meeting_has_started(make_activity, tree, secretary_a):
    activity = make_activity(tree.branch_a, Activity.Kind.BRANCH_ASSEMBLY)  # starts in ten minutes
    with pytest.raises(ActivityError) as excinfo:
        services.activity_record_minutes(activity=activity, minutes="会议记录", by=secretary_a)
    assert excinfo.value.code == "not_started"
    activity.refresh_from_db()
    assert activity.minutes == ""
    started = make_activity(tree.branch_a, Activity.Kind.BRANCH_ASSEMBLY, start=timezone.now() - HOUR)
    services.activity_record_minutes(activity=started, minutes="会议记录", by=secretary_a)
    started.refresh_from_db()
    assert started.minutes == "会议记录"


# --- the form and the page --------------------------------------------------------------


def test_the_secretary_plans_a_theme_day_that_includes_a_lecture(login_as, tree, member_a):
    start = timezone.localtime() + datetime.timedelta(days=3)
    data = {
        "branch": tree.branch_a.code,
        "kind": Activity.Kind.THEME_DAY,
        "title": "主题党日暨党课",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + HOUR).strftime("%Y-%m-%dT%H:%M"),
        "extra_kinds": [Activity.Kind.PARTY_LECTURE],
        "speaker": member_a.pk,
        "study_hours": "2",
    }
    response = login_as("secretary_a").post(reverse("activities:create") + f"?branch={tree.branch_a.code}", data)
    activity = Activity.objects.get()
    assert response.status_code == 302 and _kinds(activity) == {Activity.Kind.PARTY_LECTURE}
    page = login_as("secretary_a").get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "同时计为" in page and "党课" in page and member_a.name in page and "2.0" in page


def test_the_form_refuses_the_main_kind_as_an_extra_kind(login_as, tree):
    start = timezone.localtime() + datetime.timedelta(days=3)
    data = {
        "branch": tree.branch_a.code,
        "kind": Activity.Kind.THEME_DAY,
        "title": "主题党日",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + HOUR).strftime("%Y-%m-%dT%H:%M"),
        "extra_kinds": [Activity.Kind.THEME_DAY],
    }
    response = login_as("secretary_a").post(reverse("activities:create"), data)
    assert response.status_code == 200 and not Activity.objects.exists()
    assert "不能包含活动本身的类型" in response.content.decode()


def test_the_edit_form_offers_every_kind_but_the_activitys_own(login_as, make_activity, tree):
    activity = make_activity(tree.branch_a, Activity.Kind.THEME_DAY)
    form = login_as("secretary_a").get(reverse("activities:edit", args=[activity.pk])).context["form"]
    offered = {value for value, _ in form.fields["extra_kinds"].choices}
    assert Activity.Kind.THEME_DAY not in offered and Activity.Kind.PARTY_LECTURE in offered
