"""A leaving or transfer recorded late withdraws the member's checks of later periods
(health/corrections.py, docs/rules/history.md)."""

import datetime

import pytest

from health.models import HealthCheck, HealthCheckEvent
from health.services import (
    health_checks_approve,
    health_checks_compute,
    health_checks_publish,
    health_checks_submit,
)
from members.models import MemberEvent
from members.services import member_leave, member_transfer
from tests.factories import MemberFactory

Y = 2025


def checks(member) -> dict[str, str]:
    return dict(HealthCheck.objects.filter(member=member).values_list("period", "status"))


def publish(branch, period: str, secretary, orgdept) -> None:
    health_checks_compute(period=period, branch=branch)
    health_checks_submit(branch=branch, period=period, by=secretary)
    health_checks_approve(branch=branch, period=period, by=orgdept)
    health_checks_publish(branch=branch, period=period, by=orgdept)


@pytest.mark.parametrize(
    ("left_on", "kept"),
    [
        (datetime.date(Y, 6, 30), {str(Y), f"{Y}Q2"}),  # Q3 begins after the last day
        (datetime.date(Y, 7, 1), {str(Y), f"{Y}Q2", f"{Y}Q3"}),  # on the roster on Q3's first day
    ],
)
def test_a_late_leaving_deletes_the_drafts_of_periods_after_it(tree, member_a, secretary_a, left_on, kept):
    for period in (str(Y), f"{Y}Q2", f"{Y}Q3", f"{Y}Q4"):
        health_checks_compute(period=period, branch=tree.branch_a)

    member_leave(member=member_a, on=left_on, reason="died", by=secretary_a)

    assert set(checks(member_a)) == kept


def test_a_locked_check_stays_marked_withdrawn_and_the_review_skips_it(tree, member_a, secretary_a, orgdept):
    other = MemberFactory(branch=tree.branch_a)
    publish(tree.branch_a, f"{Y}Q3", secretary_a, orgdept)
    health_checks_compute(period=f"{Y}Q4", branch=tree.branch_a)
    health_checks_submit(branch=tree.branch_a, period=f"{Y}Q4", by=secretary_a)

    member_leave(member=member_a, on=datetime.date(Y, 5, 10), reason="died", by=secretary_a)

    q3 = HealthCheck.objects.get(member=member_a, period=f"{Y}Q3")
    assert (q3.status, q3.withdrawn_reason) == ("published", "死亡（2025-05-10）")
    assert q3.withdrawn_at is not None
    event = q3.events.get(kind=HealthCheckEvent.Kind.WITHDRAWN)
    assert (event.by, event.comment) == (secretary_a, "死亡（2025-05-10）")
    # The branch's other check of Q4 goes on through the review; the withdrawn one stays submitted.
    assert health_checks_approve(branch=tree.branch_a, period=f"{Y}Q4", by=orgdept) == 1
    assert dict(HealthCheck.objects.filter(period=f"{Y}Q4").values_list("member_id", "status")) == {
        member_a.pk: "submitted",
        other.pk: "approved",
    }
    line = MemberEvent.objects.get(member=member_a, kind=MemberEvent.Kind.UPDATED).detail
    assert "撤回2份政治体检：2025Q3（已公示，保留并标注撤回）、2025Q4（已提交，保留并标注撤回）" in line


def test_the_recomputation_leaves_a_withdrawn_check_as_it_was(tree, member_a, secretary_a, orgdept):
    publish(tree.branch_a, f"{Y}Q3", secretary_a, orgdept)
    member_leave(member=member_a, on=datetime.date(Y, 5, 10), reason="died", by=secretary_a)
    before = list(HealthCheck.objects.values())

    result = health_checks_compute(period=f"{Y}Q3", branch=tree.branch_a)

    assert (result.removed, list(HealthCheck.objects.values())) == (0, before)


@pytest.mark.parametrize(
    ("moved_on", "q2_kept"),
    [(datetime.date(Y, 6, 30), False), (datetime.date(Y, 7, 1), True)],
)
def test_a_late_transfer_withdraws_the_old_branchs_checks_of_the_periods_it_ends_in(
    tree, member_a, secretary_a, moved_on, q2_kept
):
    for period in (f"{Y}Q1", f"{Y}Q2", f"{Y}Q3"):
        health_checks_compute(period=period, branch=tree.branch_a)

    member_transfer(member=member_a, to_branch=tree.branch_b, on=moved_on, by=secretary_a)

    assert set(checks(member_a)) == {f"{Y}Q1"} | ({f"{Y}Q2"} if q2_kept else set())
    health_checks_compute(period=f"{Y}Q3", branch=tree.branch_b)
    assert HealthCheck.objects.get(member=member_a, period=f"{Y}Q3").branch_id == tree.branch_b.pk


def test_a_transfer_keeps_the_checks_of_periods_ended_before_it(tree, member_a, secretary_a):
    member_transfer(member=member_a, to_branch=tree.branch_b, on=datetime.date(Y, 2, 1), by=secretary_a)
    health_checks_compute(period=f"{Y}Q2", branch=tree.branch_b)
    member_transfer(member=member_a, to_branch=tree.branch_a, on=datetime.date(Y, 9, 1), by=secretary_a)
    assert checks(member_a) == {f"{Y}Q2": "draft"}


def test_the_branch_page_marks_a_withdrawn_check(login_as, tree, member_a, secretary_a, orgdept):
    from django.urls import reverse

    publish(tree.branch_a, f"{Y}Q3", secretary_a, orgdept)
    member_leave(member=member_a, on=datetime.date(Y, 5, 10), reason="died", by=secretary_a)

    body = login_as("secretary_a").get(reverse("health:branch", args=["BA"]) + f"?period={Y}Q3").content.decode()

    assert "已撤回" in body and "死亡（2025-05-10）" in body
