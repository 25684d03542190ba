"""The past as it was: a check belongs to the member's branch at the end of their time in the
period, and a recomputation removes the drafts of members it no longer scores (docs/rules/history.md)."""

import datetime

import pytest

from activities.models import Activity
from health.models import HealthCheck
from health.services import health_checks_approve, health_checks_compute, health_checks_submit
from members.models import Member, MemberEvent
from tests.factories import MemberFactory
from tests.health.builders import ABSENT, PRESENT, meeting

K = Activity.Kind
Y = 2025


def moved(member, *, to_branch, on: datetime.date) -> None:
    """A transfer as the history holds it, without the services' corrections (the scoring alone)."""
    member.refresh_from_db()
    MemberEvent.objects.create(
        member=member, kind=MemberEvent.Kind.TRANSFERRED, occurred_on=on, from_branch=member.branch, to_branch=to_branch
    )
    Member.objects.filter(pk=member.pk).update(branch=to_branch, group=None)


def branch_of_check(member, period: str):
    return HealthCheck.objects.filter(member=member, period=period).values_list("branch_id", flat=True).first()


@pytest.mark.parametrize(
    ("transfer_on", "q2_branch"),
    [
        (datetime.date(Y, 6, 29), "branch_a"),
        (datetime.date(Y, 6, 30), "branch_a"),  # the quarter's last day: the new branch holds it
        (datetime.date(Y, 7, 1), "branch_b"),  # the day after: the old branch kept them to the end
    ],
)
def test_a_quarter_belongs_to_the_branch_at_its_end(tree, transfer_on, q2_branch):
    mover = MemberFactory(branch=tree.branch_b, joined_on=datetime.date(2010, 1, 1))
    moved(mover, to_branch=tree.branch_a, on=transfer_on)

    health_checks_compute(period=f"{Y}Q2", branch=tree.town)

    assert branch_of_check(mover, f"{Y}Q2") == getattr(tree, q2_branch).pk


def test_a_late_transfer_mid_quarter_leaves_the_earlier_quarter_to_the_old_branch(tree):
    mover = MemberFactory(branch=tree.branch_b, joined_on=datetime.date(2010, 1, 1))
    moved(mover, to_branch=tree.branch_a, on=datetime.date(Y, 5, 10))

    health_checks_compute(period=f"{Y}Q1", branch=tree.branch_b)
    health_checks_compute(period=f"{Y}Q1", branch=tree.branch_a)
    health_checks_compute(period=f"{Y}Q2", branch=tree.branch_b)
    health_checks_compute(period=f"{Y}Q2", branch=tree.branch_a)

    assert branch_of_check(mover, f"{Y}Q1") == tree.branch_b.pk  # scored by the old branch, not today's
    assert branch_of_check(mover, f"{Y}Q2") == tree.branch_a.pk


def test_the_last_of_several_transfers_in_the_period_decides(tree):
    mover = MemberFactory(branch=tree.branch_b, joined_on=datetime.date(2010, 1, 1))
    moved(mover, to_branch=tree.branch_a, on=datetime.date(Y, 2, 1))
    moved(mover, to_branch=tree.branch_c, on=datetime.date(Y, 3, 1))
    moved(mover, to_branch=tree.branch_b, on=datetime.date(Y, 5, 1))

    health_checks_compute(period=f"{Y}Q1", branch=None)

    assert branch_of_check(mover, f"{Y}Q1") == tree.branch_c.pk


def test_a_member_who_left_belongs_to_the_branch_of_their_last_day(tree):
    mover = MemberFactory(branch=tree.branch_b, joined_on=datetime.date(2010, 1, 1))
    moved(mover, to_branch=tree.branch_a, on=datetime.date(Y, 2, 1))
    Member.objects.filter(pk=mover.pk).update(is_active=False, left_on=datetime.date(Y, 2, 20), left_reason="died")

    health_checks_compute(period=f"{Y}Q1", branch=tree.branch_b)
    assert branch_of_check(mover, f"{Y}Q1") is None
    health_checks_compute(period=f"{Y}Q1", branch=tree.branch_a)
    assert branch_of_check(mover, f"{Y}Q1") == tree.branch_a.pk


def test_the_facts_are_the_members_whatever_the_branch(tree):
    mover = MemberFactory(branch=tree.branch_b, joined_on=datetime.date(2010, 1, 1))
    meeting(tree.branch_b, K.THEME_DAY, datetime.date(Y, 1, 10), {mover: PRESENT})
    moved(mover, to_branch=tree.branch_a, on=datetime.date(Y, 2, 1))
    meeting(tree.branch_a, K.THEME_DAY, datetime.date(Y, 2, 10), {mover: ABSENT})
    moved(mover, to_branch=tree.branch_c, on=datetime.date(Y, 4, 1))

    health_checks_compute(period=f"{Y}Q1", branch=tree.village_a)

    check = HealthCheck.objects.get(member=mover)
    found = next(i["found"] for i in check.items if i["key"] == "theme_day")
    assert (check.branch_id, found) == (tree.branch_a.pk, "1/2")


def test_recomputing_moves_a_draft_to_the_branch_of_the_period(tree):
    mover = MemberFactory(branch=tree.branch_b, joined_on=datetime.date(2010, 1, 1))
    health_checks_compute(period=f"{Y}Q2", branch=tree.town)
    moved(mover, to_branch=tree.branch_a, on=datetime.date(Y, 5, 10))  # recorded afterwards

    health_checks_compute(period=f"{Y}Q2", branch=tree.town)

    assert branch_of_check(mover, f"{Y}Q2") == tree.branch_a.pk


def test_recomputing_the_old_branch_removes_the_draft_it_no_longer_holds(tree):
    mover = MemberFactory(branch=tree.branch_b, joined_on=datetime.date(2010, 1, 1))
    health_checks_compute(period=f"{Y}Q2", branch=tree.branch_b)
    moved(mover, to_branch=tree.branch_a, on=datetime.date(Y, 5, 10))

    result = health_checks_compute(period=f"{Y}Q2", branch=tree.branch_b)

    assert (result.removed, branch_of_check(mover, f"{Y}Q2")) == (1, None)


def test_recomputing_removes_the_draft_of_a_member_not_on_the_roster_in_its_period(tree, member_a, secretary_a):
    dead = MemberFactory(branch=tree.branch_a, joined_on=datetime.date(2010, 1, 1))
    health_checks_compute(period=f"{Y}Q3", branch=tree.branch_a)
    # The death, recorded late, was on the quarter's eve: no day of the quarter on the roster.
    Member.objects.filter(pk=dead.pk).update(is_active=False, left_on=datetime.date(Y, 6, 30), left_reason="died")

    result = health_checks_compute(period=f"{Y}Q3", branch=tree.branch_a, by=secretary_a)

    assert result.removed == 1
    assert set(HealthCheck.objects.values_list("member_id", flat=True)) == {member_a.pk}
    from branches.models import AuditBulkEvent

    assert AuditBulkEvent.objects.filter(kind="compute_health").latest("pk").counts["移除"] == 1


def test_recomputing_keeps_a_member_who_left_on_the_periods_first_day(tree):
    dead = MemberFactory(branch=tree.branch_a, joined_on=datetime.date(2010, 1, 1))
    health_checks_compute(period=f"{Y}Q3", branch=tree.branch_a)
    Member.objects.filter(pk=dead.pk).update(is_active=False, left_on=datetime.date(Y, 7, 1), left_reason="died")

    result = health_checks_compute(period=f"{Y}Q3", branch=tree.branch_a)

    assert (result.removed, branch_of_check(dead, f"{Y}Q3")) == (0, tree.branch_a.pk)


def test_recomputing_never_removes_a_locked_check(tree, member_a, secretary_a, orgdept):
    health_checks_compute(period=f"{Y}Q3", branch=tree.branch_a)
    health_checks_submit(branch=tree.branch_a, period=f"{Y}Q3", by=secretary_a)
    health_checks_approve(branch=tree.branch_a, period=f"{Y}Q3", by=orgdept)
    Member.objects.filter(pk=member_a.pk).update(is_active=False, left_on=datetime.date(Y, 6, 1), left_reason="died")

    result = health_checks_compute(period=f"{Y}Q3", branch=tree.branch_a)

    assert result.removed == 0
    assert HealthCheck.objects.get(member=member_a).status == "approved"


def test_recomputing_a_subtree_leaves_the_drafts_of_other_subtrees(tree, member_a, member_b):
    health_checks_compute(period=f"{Y}Q3", branch=tree.town)
    Member.objects.filter(pk=member_b.pk).update(is_active=False, left_on=datetime.date(Y, 6, 1), left_reason="died")

    result = health_checks_compute(period=f"{Y}Q3", branch=tree.village_a)

    assert result.removed == 0
    assert HealthCheck.objects.filter(member=member_b).exists()
