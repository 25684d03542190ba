"""Warnings (probation ending; the art. 9 warning is tests/activities/test_lapse.py) and the review lists."""

import datetime

from health.selectors import branches_for_review, probation_ending, yearly_checks_period
from health.services import health_checks_compute, health_checks_submit
from members.rules import add_years
from tests.factories import MemberFactory

TODAY = datetime.date(2026, 11, 21)
LONG_AGO = datetime.date(2010, 1, 1)


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


def test_an_extended_probation_is_warned_when_the_extension_ends(tree):
    joined = add_years(TODAY, -1) - datetime.timedelta(days=40)  # the year ended 40 days ago
    extended = MemberFactory(
        branch=tree.branch_a, status="probationary", confirmed_on=None, joined_on=joined, probation_extension_months=6
    )
    assert probation_ending(branch=tree.town, today=TODAY) == []
    later = extended.probation_ends_on - datetime.timedelta(days=5)
    assert [(m.pk, m.days_left) for m in probation_ending(branch=tree.town, today=later)] == [(extended.pk, 5)]


def test_review_list_counts_each_branch_by_status(tree, member_a, member_b, member_c, secretary_a):
    MemberFactory(branch=tree.branch_a)
    health_checks_compute(period="2025", branch=None)
    health_checks_submit(branch=tree.branch_a, period="2025", by=secretary_a)

    rows = branches_for_review(root=tree.town, period="2025")

    assert [(r.branch.code, r.counts, r.status, r.total) for r in rows] == [
        ("BA", {"submitted": 2}, "submitted", 2),
        ("BB", {"draft": 1}, "draft", 1),
    ]


def test_the_year_shown_is_last_year_until_a_check_of_this_year_exists_in_the_subtree(
    tree, member_a, member_c, django_assert_num_queries
):
    """The one rule of which year's checks the first page and a month's report show (yearly_checks_period)."""
    year = TODAY.year
    with django_assert_num_queries(1):
        assert yearly_checks_period(tree.town, TODAY) == str(year - 1)  # no checks yet this year
    health_checks_compute(period=str(year), branch=tree.branch_c)  # another tree's: not the town's
    assert yearly_checks_period(tree.town, TODAY) == str(year - 1)
    assert yearly_checks_period(tree.other_town, TODAY) == str(year)
    health_checks_compute(period=str(year), branch=tree.branch_a)  # one branch's, computed early
    assert yearly_checks_period(tree.town, TODAY) == str(year)
    assert yearly_checks_period(tree.branch_b, TODAY) == str(year - 1)  # its own subtree has none
    assert yearly_checks_period(tree.town, datetime.date(year, 1, 1)) == str(year)  # the whole year long
    assert yearly_checks_period(tree.town, datetime.date(year + 1, 1, 1)) == str(year)  # next January: this year's
    assert yearly_checks_period(tree.town, datetime.date(year - 1, 12, 31)) == str(year - 2)
