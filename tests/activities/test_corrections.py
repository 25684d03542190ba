"""A death or transfer recorded late corrects the frozen expected lists of the meetings since
(activities/corrections.py, docs/rules/history.md)."""

import datetime

from auditlog.models import LogEntry

from activities.models import Activity, Attendance
from branches.models import Branch
from health.models import HealthCheck
from health.services import health_checks_compute
from members.models import MemberEvent
from members.services import member_leave, member_transfer
from tests.factories import MemberFactory, make_branch
from tests.health.builders import ABSENT, LEAVE, PRESENT, held, meeting

K = Activity.Kind
Y = 2025
DIED = datetime.date(Y, 5, 10)


def statuses(activity) -> dict:
    return dict(Attendance.objects.filter(activity=activity).values_list("member_id", "status"))


def test_a_death_recorded_late_keeps_the_absence_before_and_removes_it_after(tree, member_a, secretary_a):
    other = MemberFactory(branch=tree.branch_a)
    before = meeting(
        tree.branch_a, K.BRANCH_ASSEMBLY, DIED - datetime.timedelta(days=1), {member_a: ABSENT, other: PRESENT}
    )
    same_day = meeting(tree.branch_a, K.PARTY_LECTURE, DIED, {member_a: ABSENT, other: PRESENT})
    after = meeting(
        tree.branch_a, K.BRANCH_ASSEMBLY, DIED + datetime.timedelta(days=1), {member_a: ABSENT, other: ABSENT}
    )

    member_leave(member=member_a, on=DIED, reason="died", by=secretary_a)

    assert statuses(before) == {member_a.pk: ABSENT, other.pk: PRESENT}
    assert statuses(same_day)[member_a.pk] == ABSENT  # the day of death: still on the roster
    assert statuses(after) == {other.pk: ABSENT}


def test_present_rows_stay_and_leave_rows_go(tree, member_a, secretary_a):
    was_there = meeting(tree.branch_a, K.THEME_DAY, datetime.date(Y, 6, 1), {member_a: PRESENT})
    on_leave = meeting(tree.branch_a, K.THEME_DAY, datetime.date(Y, 6, 2), {member_a: LEAVE})
    planned = held(tree.branch_a, K.THEME_DAY, datetime.date(Y, 6, 3), status=Activity.Status.PLANNED)
    Attendance.objects.create(activity=planned, member=member_a, status=LEAVE, expected=True)

    member_leave(member=member_a, on=DIED, reason="died", by=secretary_a)

    assert statuses(was_there) == {member_a.pk: PRESENT}
    assert statuses(on_leave) == statuses(planned) == {}


def test_the_correction_is_in_the_history_and_the_audit_log(tree, member_a, secretary_a):
    after = meeting(tree.branch_a, K.BRANCH_ASSEMBLY, datetime.date(Y, 6, 1), {member_a: ABSENT})
    after.title = "六月支部党员大会"
    after.save()

    member_leave(member=member_a, on=DIED, reason="died", by=secretary_a)

    line = MemberEvent.objects.get(member=member_a, kind=MemberEvent.Kind.UPDATED)
    assert line.occurred_on == DIED and line.by == secretary_a
    assert "死亡（2025-05-10）后的记录更正" in line.detail
    assert "移出1次活动的应到名单：2025-06-01 支部党员大会“六月支部党员大会”（缺席）" in line.detail
    entry = LogEntry.objects.get(content_type__model="attendance", action=LogEntry.Action.DELETE)
    assert entry.additional_data == {"activity_id": after.pk, "member_id": member_a.pk}


def test_nothing_to_correct_writes_no_history_line(tree, member_a, secretary_a):
    meeting(tree.branch_a, K.BRANCH_ASSEMBLY, datetime.date(Y, 5, 1), {member_a: ABSENT})
    member_leave(member=member_a, on=DIED, reason="died", by=secretary_a)
    assert not MemberEvent.objects.filter(member=member_a, kind=MemberEvent.Kind.UPDATED).exists()


def test_a_late_transfer_leaves_the_old_branchs_lists_from_its_date(tree, member_a, secretary_a):
    moved_on = datetime.date(Y, 5, 10)
    before = meeting(tree.branch_a, K.BRANCH_ASSEMBLY, moved_on - datetime.timedelta(days=1), {member_a: ABSENT})
    same_day = meeting(tree.branch_a, K.BRANCH_ASSEMBLY, moved_on, {member_a: ABSENT})
    group = meeting(tree.group_a, K.GROUP_MEETING, datetime.date(Y, 6, 1), {member_a: ABSENT})
    town_lecture = meeting(tree.town, K.PARTY_LECTURE, datetime.date(Y, 6, 2), {member_a: ABSENT})

    member_transfer(member=member_a, to_branch=tree.branch_b, on=moved_on, by=secretary_a)

    assert statuses(before) == {member_a.pk: ABSENT}
    assert statuses(same_day) == statuses(group) == {}  # in the new branch from the transfer's day
    assert statuses(town_lecture) == {member_a.pk: ABSENT}  # the town's lecture expects them still


def test_a_transfer_removes_them_from_committee_meetings_even_above(tree, member_a, secretary_a):
    sibling = make_branch(tree.village_a, Branch.Kind.BRANCH, name="东村第二网格党支部", code="BA2")
    committee = meeting(tree.village_a, K.COMMITTEE_MEETING, datetime.date(Y, 6, 1), {member_a: ABSENT})
    lecture = meeting(tree.village_a, K.PARTY_LECTURE, datetime.date(Y, 6, 1), {member_a: ABSENT})
    member_transfer(member=member_a, to_branch=sibling, on=DIED, by=secretary_a)
    assert (statuses(committee), statuses(lecture)) == ({}, {member_a.pk: ABSENT})


def test_the_health_check_no_longer_counts_the_absences_after_a_late_death(tree, member_a, secretary_a):
    meeting(tree.branch_a, K.BRANCH_ASSEMBLY, datetime.date(Y, 4, 1), {member_a: PRESENT})
    meeting(tree.branch_a, K.BRANCH_ASSEMBLY, datetime.date(Y, 6, 1), {member_a: ABSENT})
    member_leave(member=member_a, on=DIED, reason="died", by=secretary_a)

    health_checks_compute(period=f"{Y}Q2", branch=tree.branch_a)

    check = HealthCheck.objects.get(member=member_a, period=f"{Y}Q2")
    assert next(i["found"] for i in check.items if i["key"] == "meetings") == "1/1"
