"""The 党章 art. 9 warning (activities/lapse.py): either no organizational life or no dues for six
completed months, without a 正当理由; members on the roster for less than the window left out."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from activities.lapse import lapse_warnings, lapse_window, with_last_dates
from activities.models import Activity, ActivityExtraKind
from members.models import DuesPayment, LapseNote, Member
from tests.factories import MemberFactory
from tests.health.builders import ABSENT, LEAVE, PRESENT, dues_month, held, meeting

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2026, 7, 15)  # the window: January to June 2026; July, the current month, does not count
WINDOW = [D(2026, m, 1) for m in range(1, 7)]
K = Activity.Kind


def on_roster_since(member: Member, day: datetime.date) -> Member:
    stamp = datetime.datetime.combine(day, datetime.time(9), tzinfo=timezone.get_current_timezone())
    Member.objects.filter(pk=member.pk).update(created_at=stamp)
    return member


LONG_AGO, ON_ROSTER = D(2010, 7, 1), D(2020, 1, 1)


def member(tree, name: str, *, joined=LONG_AGO, created=ON_ROSTER) -> Member:
    return on_roster_since(MemberFactory(branch=tree.branch_a, name=name, joined_on=joined), created)


def pays(m: Member, months=WINDOW, **kwargs) -> None:
    for month in months:
        dues_month(m, month, **kwargs)


def attends(tree, m: Member, day: datetime.date, kind=K.THEME_DAY, status=PRESENT) -> Activity:
    return meeting(tree.branch_a, kind, day, {m: status})


def warned(tree, today=TODAY) -> dict[str, tuple[bool, bool]]:
    return {m.name: (m.no_org_life, m.no_dues) for m in lapse_warnings(branch=tree.town, today=today)}


def test_the_window_is_the_six_completed_months_before_the_current_one():
    assert lapse_window(TODAY) == (D(2026, 1, 1), D(2026, 7, 1))
    assert lapse_window(D(2026, 1, 1)) == (D(2025, 7, 1), D(2026, 1, 1))


def test_exactly_six_completed_months_of_neither_is_warned_with_both_reasons(tree):
    member(tree, "甲")
    attends(tree, Member.objects.get(name="甲"), D(2025, 12, 31))  # the month before the window
    assert warned(tree) == {"甲": (True, True)}


def test_five_completed_months_and_the_current_month_are_not_enough(tree):
    m = member(tree, "甲")
    attends(tree, m, D(2026, 1, 5))  # the window's first month: only five months silent since
    pays(m, [D(2026, 1, 1)])
    assert warned(tree) == {}
    # A month later the window is February to July: six completed months without either.
    assert warned(tree, today=D(2026, 8, 1)) == {"甲": (True, True)}


def test_no_organizational_life_alone_is_enough(tree):
    m = member(tree, "甲")
    pays(m)
    attends(tree, m, D(2026, 3, 2), status=ABSENT)  # on the list, absent: not organizational life
    assert warned(tree) == {"甲": (True, False)}


def test_no_dues_alone_is_enough(tree):
    m = member(tree, "甲")
    attends(tree, m, D(2026, 6, 30))
    pays(m, paid="0")  # rows due and unpaid
    assert warned(tree) == {"甲": (False, True)}


def test_leave_at_a_held_meeting_is_organizational_life_and_a_waived_month_is_settled(tree):
    m = member(tree, "甲")
    attends(tree, m, D(2026, 2, 10), status=LEAVE)
    dues_month(m, D(2026, 4, 1), due="0", paid="0")  # waived (减免 to 0): nothing owed
    assert warned(tree) == {}


def test_a_cancelled_month_is_not_a_month_unpaid(tree):
    m = member(tree, "甲")
    attends(tree, m, D(2026, 2, 10))
    row = dues_month(m, D(2026, 5, 1), paid="0")
    DuesPayment.objects.filter(pk=row.pk).update(cancelled_at=timezone.now(), cancel_reason="补录转出")
    assert warned(tree) == {}


def test_a_volunteer_activity_is_not_organizational_life_unless_it_also_counts_as_one(tree):
    m = member(tree, "甲")
    pays(m)
    volunteering = attends(tree, m, D(2026, 5, 1), kind=K.VOLUNTEER)
    assert warned(tree) == {"甲": (True, False)}
    ActivityExtraKind.objects.create(activity=volunteering, kind=K.THEME_DAY)
    assert warned(tree) == {}


def test_an_activity_not_held_does_not_count(tree):
    m = member(tree, "甲")
    pays(m)
    planned = held(tree.branch_a, K.THEME_DAY, D(2026, 5, 1), status=Activity.Status.CANCELLED)
    planned.attendances.create(member=m, status=PRESENT, expected=True)
    assert warned(tree) == {"甲": (True, False)}


def test_attendance_recorded_by_a_host_branch_counts(tree):
    m = member(tree, "流动")
    pays(m)
    meeting(tree.branch_b, K.THEME_DAY, D(2026, 4, 1), {m: PRESENT})
    assert warned(tree) == {}


def _reason(m: Member, first, last=None) -> LapseNote:
    return LapseNote.objects.create(
        member=m, kind=LapseNote.Kind.REASON, text="外出务工，已报告", months_from=first, months_to=last
    )


@pytest.mark.parametrize(
    "first, last, excused",
    [
        (D(2026, 1, 1), D(2026, 6, 1), True),  # the whole window
        (D(2026, 6, 1), None, True),  # still going on from the window's last month
        (D(2025, 8, 1), D(2026, 1, 1), True),  # ends in the window's first month
        (D(2025, 1, 1), D(2025, 12, 1), False),  # ended before the window
        (D(2026, 7, 1), None, False),  # begins in the current month
    ],
)
def test_a_reason_covering_a_month_of_the_window_stops_the_warning(tree, first, last, excused):
    m = member(tree, "甲")
    _reason(m, first, last)
    assert warned(tree) == ({} if excused else {"甲": (True, True)})


def test_a_follow_up_note_does_not_stop_the_warning(tree):
    m = member(tree, "甲")
    LapseNote.objects.create(member=m, kind=LapseNote.Kind.FOLLOWUP, text="已谈话")
    assert warned(tree) == {"甲": (True, True)}


def test_members_on_the_roster_for_less_than_the_window_are_not_warned(tree):
    member(tree, "五个月", joined=D(2026, 1, 2))  # admitted after the window's first day
    member(tree, "新建档", created=D(2026, 2, 1))  # put on the site's roster five months ago
    member(tree, "整六个月", joined=D(2026, 1, 1), created=D(2025, 12, 31))
    assert warned(tree) == {"整六个月": (True, True)}


def test_members_who_left_are_not_warned(tree):
    on_roster_since(MemberFactory(branch=tree.branch_a, is_active=False, left_on=D(2026, 5, 1)), D(2020, 1, 1))
    assert warned(tree) == {}


def test_the_warning_is_one_query_for_the_subtree(tree, django_assert_num_queries):
    for n in range(4):
        member(tree, f"甲{n}")
    attends(tree, Member.objects.get(name="甲0"), D(2025, 3, 1))
    with django_assert_num_queries(1):
        rows = list(lapse_warnings(branch=tree.town, today=TODAY))
    assert len(rows) == 4 and not hasattr(rows[0], "last_attended")
    with django_assert_num_queries(1):  # with the dates the lists show, still one query
        rows = list(with_last_dates(lapse_warnings(branch=tree.town, today=TODAY)))
    assert rows[0].last_attended.date() == D(2025, 3, 1) and rows[0].last_paid is None


def test_the_secretarys_workbench_lists_the_warning_of_their_subtree_only(login_as, tree):
    from django.urls import reverse

    silent = on_roster_since(MemberFactory(branch=tree.branch_a, name="沉默", joined_on=D(2010, 1, 1)), D(2020, 1, 1))
    on_roster_since(MemberFactory(branch=tree.branch_b, name="乙支部", joined_on=D(2010, 1, 1)), D(2020, 1, 1))
    response = login_as("secretary_a").get(reverse("activities:workbench"))
    assert [m.pk for m in response.context["wb"].lapsed] == [silent.pk]
    assert "沉默" in response.text and "乙支部" not in response.text
    assert reverse("members:detail", args=[silent.pk]) in response.text
