"""The review workflow: adjust, submit, approve or return, publish, and every refusal."""

import datetime
from decimal import Decimal

import pytest

from health.models import HealthCheck
from health.selectors import published_checks_of
from health.services import (
    HealthError,
    health_check_adjust,
    health_checks_approve,
    health_checks_compute,
    health_checks_publish,
    health_checks_return,
    health_checks_submit,
)
from members.models import Sanction
from tests.factories import MemberFactory

D = Decimal
P = "2025"


@pytest.fixture
def checks(tree, member_a):
    """Branch A's computed checks for 2025: member_a (80 points, no volunteer hours) and one more."""
    MemberFactory(branch=tree.branch_a)
    health_checks_compute(period=P, branch=tree.town)
    return HealthCheck.objects.filter(branch=tree.branch_a)


def the_check(member) -> HealthCheck:
    return HealthCheck.objects.get(member=member, period=P)


def refused(code: str, call, **kwargs):
    with pytest.raises(HealthError) as exc:
        call(**kwargs)
    assert exc.value.code == code


def test_secretary_adjusts_within_five_points_with_a_reason(checks, member_a, secretary_a):
    check = health_check_adjust(
        check=the_check(member_a), adjustment="4.5", reason="抗疫志愿服务未登记", by=secretary_a
    )
    check.refresh_from_db()
    assert (check.subtotal, check.adjustment, check.total, check.grade) == (
        D("80.00"),
        D("4.50"),
        D("84.50"),
        "qualified",
    )
    event = check.events.get(kind="adjusted")
    assert (event.by, event.comment, event.detail) == (
        secretary_a,
        "抗疫志愿服务未登记",
        "调整 +4.50 分，总分 80.00 → 84.50",
    )


def test_a_new_adjustment_replaces_the_previous_one(checks, member_a, secretary_a):
    health_check_adjust(check=the_check(member_a), adjustment=5, reason="一", by=secretary_a)
    check = health_check_adjust(check=the_check(member_a), adjustment=-5, reason="二", by=secretary_a)
    assert (check.total, check.grade) == (D("75.00"), "qualified")
    assert check.events.filter(kind="adjusted").count() == 2


def test_an_adjustment_cannot_lift_a_vetoed_check(tree, member_a, secretary_a):
    Sanction.objects.create(member=member_a, kind="warning", imposed_on=datetime.date(2025, 3, 1), document_number="1")
    health_checks_compute(period=P, branch=tree.branch_a)
    check = health_check_adjust(check=the_check(member_a), adjustment=5, reason="表现好", by=secretary_a)
    assert (check.total, check.grade) == (D("59.00"), "unqualified")


@pytest.mark.parametrize(
    "adjustment, reason, code",
    [
        ("5.01", "理由", "adjustment_too_large"),
        ("-6", "理由", "adjustment_too_large"),
        ("2", "  ", "reason_required"),
        ("abc", "理由", "invalid_adjustment"),
    ],
)
def test_adjustment_refusals(checks, member_a, secretary_a, adjustment, reason, code):
    refused(code, health_check_adjust, check=the_check(member_a), adjustment=adjustment, reason=reason, by=secretary_a)
    assert the_check(member_a).adjustment == 0


def test_another_branch_secretary_cannot_adjust(checks, member_a, secretary_b):
    refused("forbidden", health_check_adjust, check=the_check(member_a), adjustment=1, reason="理由", by=secretary_b)


def test_the_branch_submits_and_cannot_submit_twice(checks, tree, secretary_a):
    assert health_checks_submit(branch=tree.branch_a, period=P, by=secretary_a) == 2
    assert set(checks.values_list("status", flat=True)) == {"submitted"}
    assert all(c.events.filter(kind="submitted", by=secretary_a).exists() for c in checks)
    refused("already_submitted", health_checks_submit, branch=tree.branch_a, period=P, by=secretary_a)


def test_submitting_needs_checks_and_the_branch_permission(checks, tree, secretary_a, secretary_b):
    refused("nothing_to_do", health_checks_submit, branch=tree.branch_a, period="2024", by=secretary_a)
    refused("forbidden", health_checks_submit, branch=tree.branch_a, period=P, by=secretary_b)
    refused("invalid_period", health_checks_submit, branch=tree.branch_a, period="2025Q9", by=secretary_a)


def test_adjusting_after_submission_is_refused(checks, tree, member_a, secretary_a):
    health_checks_submit(branch=tree.branch_a, period=P, by=secretary_a)
    refused("not_editable", health_check_adjust, check=the_check(member_a), adjustment=1, reason="理由", by=secretary_a)


def test_department_approves_a_submitted_branch(checks, tree, secretary_a, orgdept):
    health_checks_submit(branch=tree.branch_a, period=P, by=secretary_a)
    assert health_checks_approve(branch=tree.branch_a, period=P, by=orgdept, comment="同意") == 2
    assert set(checks.values_list("status", flat=True)) == {"approved"}
    event = checks.first().events.get(kind="approved")
    assert (event.by, event.comment) == (orgdept, "同意")


def test_approving_a_branch_that_did_not_submit_is_refused(checks, tree, orgdept):
    refused("not_submitted", health_checks_approve, branch=tree.branch_a, period=P, by=orgdept)


def test_only_reviewers_of_the_subtree_approve(checks, tree, secretary_a, other_orgdept):
    health_checks_submit(branch=tree.branch_a, period=P, by=secretary_a)
    refused("forbidden", health_checks_approve, branch=tree.branch_a, period=P, by=secretary_a)
    refused("forbidden", health_checks_approve, branch=tree.branch_a, period=P, by=other_orgdept)


def test_adjusting_after_approval_is_refused(checks, tree, member_a, secretary_a, orgdept):
    health_checks_submit(branch=tree.branch_a, period=P, by=secretary_a)
    health_checks_approve(branch=tree.branch_a, period=P, by=orgdept)
    refused("not_editable", health_check_adjust, check=the_check(member_a), adjustment=1, reason="理由", by=secretary_a)
    refused("not_editable", health_checks_submit, branch=tree.branch_a, period=P, by=secretary_a)
    refused("already_approved", health_checks_approve, branch=tree.branch_a, period=P, by=orgdept)


def test_returned_checks_can_be_adjusted_and_resubmitted(checks, tree, member_a, secretary_a, orgdept):
    health_checks_submit(branch=tree.branch_a, period=P, by=secretary_a)
    refused("comment_required", health_checks_return, branch=tree.branch_a, period=P, by=orgdept, comment=" ")
    assert health_checks_return(branch=tree.branch_a, period=P, by=orgdept, comment="李明的志愿时长请核实") == 2
    assert the_check(member_a).status == "returned"
    health_check_adjust(check=the_check(member_a), adjustment=3, reason="已核实", by=secretary_a)
    assert health_checks_submit(branch=tree.branch_a, period=P, by=secretary_a) == 2
    assert list(the_check(member_a).events.values_list("kind", "comment")) == [
        ("computed", ""),
        ("submitted", ""),
        ("returned", "李明的志愿时长请核实"),
        ("adjusted", "已核实"),
        ("submitted", ""),
    ]


def test_publishing_needs_approval_then_the_member_sees_their_check(checks, tree, member_a, secretary_a, orgdept):
    health_checks_submit(branch=tree.branch_a, period=P, by=secretary_a)
    refused("not_approved", health_checks_publish, branch=tree.branch_a, period=P, by=orgdept)
    assert not published_checks_of(member_a).exists()
    health_checks_approve(branch=tree.branch_a, period=P, by=orgdept)
    assert health_checks_publish(branch=tree.branch_a, period=P, by=orgdept) == 2
    assert [c.period for c in published_checks_of(member_a)] == [P]
    refused("already_published", health_checks_publish, branch=tree.branch_a, period=P, by=orgdept)
    refused("forbidden", health_checks_publish, branch=tree.branch_a, period=P, by=secretary_a)


def test_approving_leaves_drafts_added_after_submission_as_they_are(checks, tree, secretary_a, orgdept):
    health_checks_submit(branch=tree.branch_a, period=P, by=secretary_a)
    newcomer = MemberFactory(branch=tree.branch_a)
    health_checks_compute(period=P, branch=tree.branch_a)
    assert health_checks_approve(branch=tree.branch_a, period=P, by=orgdept) == 2
    assert the_check(newcomer).status == "draft"
