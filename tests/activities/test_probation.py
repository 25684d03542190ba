"""Probation decisions (发展党员工作细则 art. 32; 党章 art. 7): decided by a held 支部党员大会 from a
resolution that passed, approved by the nearest 党委 above, then carried out on the member."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import checkin, probation, services
from activities import records as record_services
from activities.errors import ActivityError
from activities.models import Activity, ProbationDecision
from members.models import Member, MemberEvent
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
Kind = ProbationDecision.Kind


def _probationary(tree, *, years_ago: int = 1, days: int = 10, **fields) -> Member:
    """A probationary member of branch A whose year ended ``days`` days ago."""
    today = timezone.localdate()
    joined = probation.months_after(today - days * DAY, -12 * years_ago)
    return MemberFactory(
        branch=tree.branch_a, status=Member.Status.PROBATIONARY, joined_on=joined, confirmed_on=None, **fields
    )


@pytest.fixture
def assembly(make_activity, tree, secretary_a):
    """A 支部党员大会 of branch A held an hour ago, three full members present, a resolution passed."""
    for _ in range(3):
        MemberFactory(branch=tree.branch_a)
    return _held(make_activity, tree, secretary_a, timezone.now() - datetime.timedelta(hours=1))


def _held(make_activity, tree, secretary_a, start):
    """A 支部党员大会 of branch A held at ``start`` with every full member present."""
    activity = make_activity(tree.branch_a, Activity.Kind.BRANCH_ASSEMBLY, start=start)
    for member in Member.objects.filter(branch=tree.branch_a, status=Member.Status.FULL):
        checkin.check_in(activity=activity, member=member, method="manual")
    services.activity_hold(activity=activity, by=secretary_a)
    return activity


def _passed(activity, text="讨论预备党员转正"):
    return record_services.resolution_add(
        activity=activity, text=text, votes_for=3, votes_against=0, votes_abstain=0, by=None
    )


def _record(activity, member, kind=Kind.CONFIRM, months=None, resolution=None):
    return probation.probation_decision_record(
        resolution=resolution or _passed(activity), member=member, kind=kind, extension_months=months, by=None
    )


def _approve(decision, by=None, on=None):
    return probation.probation_decision_approve(
        decision=decision, approved_on=on or timezone.localdate(), approving_org="城关镇党委", by=by
    )


def test_confirmation_approved_makes_a_full_member_from_the_day_probation_ended(assembly, tree, orgdept):
    member = _probationary(tree)
    decision = _record(assembly, member)
    member.refresh_from_db()
    assert member.status == Member.Status.PROBATIONARY  # nothing changes before the approval
    _approve(decision, by=orgdept)
    member.refresh_from_db()
    assert member.status == Member.Status.FULL and member.confirmed_on == member.probation_ends_on
    assert MemberEvent.objects.filter(member=member, kind=MemberEvent.Kind.STATUS_CHANGED, by=orgdept).exists()


@pytest.mark.parametrize(("months", "ok"), [(5, False), (6, True), (12, True), (13, False), (None, False)])
def test_an_extension_is_6_to_12_months(assembly, tree, months, ok):
    member = _probationary(tree)
    if ok:
        assert _record(assembly, member, Kind.EXTEND, months).extension_months == months
    else:
        with pytest.raises(ActivityError) as excinfo:
            _record(assembly, member, Kind.EXTEND, months)
        assert excinfo.value.code == "invalid_extension"


def test_an_extension_approved_moves_the_end_of_probation_and_only_once(assembly, make_activity, tree, secretary_a):
    member = _probationary(tree)
    ends = member.probation_ends_on
    _approve(_record(assembly, member, Kind.EXTEND, 6))
    member.refresh_from_db()
    assert member.probation_extension_months == 6 and member.probation_ends_on == probation.months_after(ends, 6)
    later = _held(make_activity, tree, secretary_a, timezone.now() - DAY)
    resolution = _passed(later, "再次延长")
    with pytest.raises(ActivityError) as excinfo:  # refused before the new end too: extended once already
        probation.probation_decision_record(
            resolution=resolution, member=member, kind=Kind.EXTEND, extension_months=6, by=None
        )
    assert excinfo.value.code in {"already_extended", "probation_not_over"}
    Member.objects.filter(pk=member.pk).update(joined_on=probation.months_after(member.joined_on, -6))
    member.refresh_from_db()
    with pytest.raises(ActivityError) as excinfo:  # probation over again: still only once
        probation.probation_decision_record(
            resolution=resolution, member=member, kind=Kind.EXTEND, extension_months=6, by=None
        )
    assert excinfo.value.code == "already_extended"


def test_cancellation_approved_takes_the_member_off_the_roster(assembly, tree, orgdept):
    member = _probationary(tree, days=-100)  # may be cancelled during the probation
    _approve(_record(assembly, member, Kind.CANCEL), by=orgdept)
    member.refresh_from_db()
    assert not member.is_active and member.left_reason == Member.LeftReason.PROBATION_CANCELLED
    assert member.left_on == timezone.localdate()
    assert MemberEvent.objects.filter(member=member, kind=MemberEvent.Kind.LEFT).exists()


def test_confirmation_waits_for_the_end_of_probation(assembly, tree):
    with pytest.raises(ActivityError) as excinfo:
        _record(assembly, _probationary(tree, days=-1))  # ends tomorrow
    assert excinfo.value.code == "probation_not_over"
    assert _record(assembly, _probationary(tree, days=0))  # ends on the meeting's day


def test_only_a_passed_resolution_of_a_held_assembly_decides(assembly, make_activity, tree):
    member = _probationary(tree)
    failed = record_services.resolution_add(
        activity=assembly, text="转正", votes_for=1, votes_against=2, votes_abstain=0, by=None
    )
    with pytest.raises(ActivityError) as excinfo:
        _record(assembly, member, resolution=failed)
    assert excinfo.value.code == "not_passed"
    unvoted = record_services.resolution_add(activity=assembly, text="通报", by=None)
    with pytest.raises(ActivityError) as excinfo:
        _record(assembly, member, resolution=unvoted)
    assert excinfo.value.code == "no_vote"
    theme_day = make_activity(tree.branch_a, Activity.Kind.THEME_DAY, start=timezone.now() - DAY)
    note = record_services.resolution_add(activity=theme_day, text="转正", by=None)
    with pytest.raises(ActivityError) as excinfo:
        _record(theme_day, member, resolution=note)
    assert excinfo.value.code == "not_assembly"
    assert not ProbationDecision.objects.exists()


def test_one_decision_per_resolution_and_one_pending_per_member(assembly, tree):
    member, other = _probationary(tree), _probationary(tree)
    resolution = _passed(assembly)
    _record(assembly, member, resolution=resolution)
    with pytest.raises(ActivityError) as excinfo:
        _record(assembly, other, resolution=resolution)
    assert excinfo.value.code == "resolution_used"
    with pytest.raises(ActivityError) as excinfo:
        _record(assembly, member)
    assert excinfo.value.code == "not_candidate"


def test_a_member_of_another_branch_or_a_full_member_is_refused(assembly, tree, member_a):
    with pytest.raises(ActivityError) as excinfo:
        _record(assembly, member_a)
    assert excinfo.value.code == "not_probationary"
    elsewhere = MemberFactory(branch=tree.branch_b, status=Member.Status.PROBATIONARY, confirmed_on=None)
    with pytest.raises(ActivityError) as excinfo:
        _record(assembly, elsewhere)
    assert excinfo.value.code == "not_candidate"


def test_an_approval_is_given_once_on_a_date_after_the_decision(assembly, tree):
    decision = _record(assembly, _probationary(tree))
    with pytest.raises(ActivityError) as excinfo:
        _approve(decision, on=decision.decided_on - DAY)
    assert excinfo.value.code == "approved_before_decided"
    with pytest.raises(ActivityError) as excinfo:
        _approve(decision, on=timezone.localdate() + DAY)
    assert excinfo.value.code == "future_date"
    _approve(decision)
    with pytest.raises(ActivityError) as excinfo:
        _approve(decision)
    assert excinfo.value.code == "already_approved"


def test_approval_overdue_after_three_months(assembly, tree, settings):
    decision = _record(assembly, _probationary(tree))
    warn = probation.months_after(decision.decided_on, 3)
    (row,) = probation.probation_decisions_awaiting_approval(tree.town, today=warn)
    assert not row.overdue  # the last day within three months
    (row,) = probation.probation_decisions_awaiting_approval(tree.town, today=warn + DAY)
    assert row.overdue
    settings.PROBATION_APPROVAL_WARN_MONTHS = 4
    (row,) = probation.probation_decisions_awaiting_approval(tree.town, today=warn + DAY)
    assert not row.overdue
    _approve(decision)
    assert probation.probation_decisions_awaiting_approval(tree.town) == []


def test_the_approving_branch_is_the_nearest_committee_above(tree):
    assert probation.approving_branch(tree.branch_a) == tree.town  # over the 党总支
    assert probation.approving_branch(tree.town) == tree.town  # a root approves itself


# --- pages ------------------------------------------------------------------------------------


def test_the_secretary_records_a_decision_on_the_assembly_page(login_as, assembly, tree):
    member = _probationary(tree)
    resolution = _passed(assembly)
    client = login_as("secretary_a")
    page = client.get(reverse("activities:detail", args=[assembly.pk]))
    assert page.context["probation"]["form"] is not None and not page.context["probation"]["can_approve"]
    data = {"resolution": resolution.pk, "member": member.pk, "kind": "extend", "extension_months": 8}
    response = client.post(reverse("activities:probation_record", args=[assembly.pk]), data)
    assert response.status_code == 302
    assert ProbationDecision.objects.get().extension_months == 8


def test_recording_is_refused_to_the_wrong_user(login_as, assembly, tree):
    member = _probationary(tree)
    data = {"resolution": _passed(assembly).pk, "member": member.pk, "kind": "confirm"}
    url = reverse("activities:probation_record", args=[assembly.pk])
    assert login_as("secretary_b").post(url, data).status_code == 404
    assert login_as("viewer").post(url, data).status_code == 403
    assert not ProbationDecision.objects.exists()


def test_the_branchs_own_secretary_may_not_approve(login_as, assembly, tree):
    decision = _record(assembly, _probationary(tree))
    url = reverse("activities:probation_approve", args=[decision.pk])
    data = {"approved_on": timezone.localdate().isoformat(), "approving_org": "城关镇党委"}
    assert login_as("secretary_a").post(url, data).status_code == 403
    assert login_as("secretary_b").post(url, data).status_code == 404
    assert login_as("other_orgdept").post(url, data).status_code == 404
    decision.refresh_from_db()
    assert decision.approved_on is None
    assert login_as("orgdept").post(url, data).status_code == 302
    decision.refresh_from_db()
    assert decision.approved_on == timezone.localdate()


def test_the_branch_page_warns_of_an_overdue_approval(login_as, assembly, tree):
    decision = _record(assembly, _probationary(tree))
    ProbationDecision.objects.filter(pk=decision.pk).update(decided_on=timezone.localdate() - 100 * DAY)
    page = login_as("secretary_a").get(reverse("branches:detail", args=[tree.branch_a.code])).content.decode()
    assert "超期未审批" in page and "仍未审批" in page
