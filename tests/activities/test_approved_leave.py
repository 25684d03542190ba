"""请假 as every count reads it (``activities.selectors.on_approved_leave``): the sheet's status,
which approving a request writes; a refused or withdrawn request, or a later 缺席 or 实到, is not leave."""

from __future__ import annotations

import datetime

import pytest

from activities import leave as leave_services
from activities import services
from activities.models import Activity, Attendance
from activities.selectors import attendance_summary, on_approved_leave

pytestmark = pytest.mark.django_db
K, S = Activity.Kind, Attendance.Status


@pytest.fixture
def assembly(make_activity, tree):
    return make_activity(tree.branch_a, K.BRANCH_ASSEMBLY)


def _request(activity, member, by, *, decide=None, withdraw=False):
    request = leave_services.leave_request_create(activity=activity, member=member, reason="出差", by=member.user)
    if decide is not None:
        leave_services.leave_request_decide(leave_request=request, approve=decide, by=by)
    if withdraw:
        leave_services.leave_request_withdraw(leave_request=request, by=member.user)


def _hold(activity, by):
    services.activity_hold(activity=activity, by=by, now=activity.starts_at + datetime.timedelta(minutes=5))


def _on_leave(activity, member) -> bool:
    return Attendance.objects.filter(on_approved_leave(), activity=activity, member=member).exists()


@pytest.mark.parametrize(
    ("decide", "withdraw", "on_leave"),
    [(True, False, True), (False, False, False), (None, True, False), (None, False, False)],
    ids=["approved", "refused", "withdrawn", "pending"],
)
def test_only_an_approved_request_puts_leave_on_the_sheet(assembly, member_a, secretary_a, decide, withdraw, on_leave):
    _request(assembly, member_a, secretary_a, decide=decide, withdraw=withdraw)
    _hold(assembly, secretary_a)
    assert _on_leave(assembly, member_a) is on_leave
    assert attendance_summary(assembly).leave == int(on_leave)


@pytest.mark.parametrize(("later", "on_leave"), [(S.ABSENT, False), (S.PRESENT, False), (S.LEAVE, True)])
def test_after_approval_the_sheet_decides(assembly, member_a, secretary_a, later, on_leave):
    _request(assembly, member_a, secretary_a, decide=True)
    _hold(assembly, secretary_a)
    services.attendance_bulk_record(activity=assembly, statuses={member_a.pk: later}, by=secretary_a, reason="更正")
    assert _on_leave(assembly, member_a) is on_leave


def test_leave_recorded_on_the_sheet_without_a_request_counts(assembly, member_a, secretary_a):
    _hold(assembly, secretary_a)
    services.attendance_bulk_record(
        activity=assembly, statuses={member_a.pk: S.LEAVE}, by=secretary_a, reason="电话请假"
    )
    assert _on_leave(assembly, member_a)


def test_the_prefix_reads_leave_through_a_relation(assembly, member_a, secretary_a):
    _request(assembly, member_a, secretary_a, decide=True)
    assert Activity.objects.filter(on_approved_leave("attendances__"), pk=assembly.pk).exists()
