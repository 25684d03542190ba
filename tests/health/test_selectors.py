"""Warnings (six months of neither attendance nor dues; probation ending) and the review lists."""

import datetime

from activities.models import Activity
from health.selectors import branches_for_review, inactive_members, probation_ending
from health.services import health_checks_compute, health_checks_submit
from members.rules import add_years
from tests.factories import MemberFactory
from tests.health.builders import ABSENT, PRESENT, dues_month, meeting

TODAY = datetime.date(2026, 11, 21)
LONG_AGO = datetime.date(2010, 1, 1)


def test_members_with_six_months_of_neither_attendance_nor_dues_are_warned(tree, member_c):
    silent = MemberFactory(branch=tree.branch_a, joined_on=LONG_AGO)
    absent = MemberFactory(branch=tree.branch_b, joined_on=LONG_AGO)
    attended = MemberFactory(branch=tree.branch_a, joined_on=LONG_AGO)
    paid = MemberFactory(branch=tree.branch_a, joined_on=LONG_AGO)
    MemberFactory(branch=tree.branch_a, joined_on=datetime.date(2026, 8, 1))  # too new to tell
    MemberFactory(branch=tree.branch_a, is_active=False, left_on=datetime.date(2026, 1, 1))
    # Attended in April (the seventh month back): too long ago to count.
    meeting(tree.branch_a, Activity.Kind.THEME_DAY, datetime.date(2026, 4, 30), {silent: PRESENT})
    meeting(tree.branch_b, Activity.Kind.THEME_DAY, datetime.date(2026, 10, 8), {absent: ABSENT})
    meeting(tree.branch_a, Activity.Kind.THEME_DAY, datetime.date(2026, 6, 1), {attended: PRESENT})
    dues_month(paid, datetime.date(2026, 5, 1), paid_on=datetime.date(2026, 7, 3))
    dues_month(absent, datetime.date(2026, 9, 1), paid="0")

    warned = list(inactive_members(branch=tree.town, today=TODAY))

    assert [m.pk for m in warned] == [silent.pk, absent.pk]  # by branch path: A before B
    assert warned[0].last_attended.date() == datetime.date(2026, 4, 30)
    assert warned[1].last_paid is None


def test_inactive_members_is_one_query(tree, django_assert_num_queries):
    for _ in range(4):
        MemberFactory(branch=tree.branch_a, joined_on=LONG_AGO)
    with django_assert_num_queries(1):
        assert len(list(inactive_members(branch=tree.town, today=TODAY))) == 4


def test_probationers_whose_year_ends_within_30_days_are_warned(tree):
    def probationer(joined):
        return MemberFactory(branch=tree.branch_a, status="probationary", confirmed_on=None, joined_on=joined)

    soon = probationer(add_years(TODAY, -1) + datetime.timedelta(days=10))
    edge = probationer(add_years(TODAY, -1) + datetime.timedelta(days=30))
    overdue = probationer(add_years(TODAY, -1) - datetime.timedelta(days=3))
    probationer(add_years(TODAY, -1) + datetime.timedelta(days=31))
    MemberFactory(branch=tree.branch_a, joined_on=add_years(TODAY, -1))  # a full member

    warned = probation_ending(branch=tree.town, today=TODAY)

    assert [(m.pk, m.days_left) for m in warned] == [(overdue.pk, -3), (soon.pk, 10), (edge.pk, 30)]
    assert soon.joined_on.replace(year=soon.joined_on.year + 1) == warned[1].probation_ends


def test_review_list_counts_each_branch_by_status(tree, member_a, member_b, member_c, secretary_a):
    MemberFactory(branch=tree.branch_a)
    health_checks_compute(period="2025", branch=None)
    health_checks_submit(branch=tree.branch_a, period="2025", by=secretary_a)

    rows = branches_for_review(root=tree.town, period="2025")

    assert [(r.branch.code, r.counts, r.status, r.total) for r in rows] == [
        ("BA", {"submitted": 2}, "submitted", 2),
        ("BB", {"draft": 1}, "draft", 1),
    ]
