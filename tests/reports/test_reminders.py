"""Daily reminders to secretaries: what is due, stored once per (user, day, kind), e-mailed once."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from activities.compliance import MISSING, PENDING, compliance_report
from activities.models import Activity, LeaveRequest
from members.models import Position
from reports.models import Reminder
from reports.services import reminders_create
from tests.factories import MemberFactory, UserFactory
from tests.health.builders import held

K = Activity.Kind


def _secretary(branch, username: str, email: str = "", *, ended: bool = False):
    user = UserFactory(username=username, email=email, first_name="书记")
    member = MemberFactory(branch=branch, user=user)
    Position.objects.create(
        member=member,
        branch=branch,
        title=Position.Title.SECRETARY,
        started_on=datetime.date(2020, 1, 1),
        ended_on=datetime.date(2021, 1, 1) if ended else None,
    )
    return user


@pytest.fixture
def due_work(tree, member_a):
    """branch_a: two activities over but not logged (one of its group), one leave request waiting."""
    today = timezone.localdate()
    past = today - datetime.timedelta(days=3)
    held(tree.branch_a, K.THEME_DAY, past, status=Activity.Status.PLANNED)
    held(tree.group_a, K.GROUP_MEETING, past, status=Activity.Status.PLANNED)
    coming = held(tree.branch_a, K.PARTY_LECTURE, today + datetime.timedelta(days=5), status=Activity.Status.PLANNED)
    LeaveRequest.objects.create(activity=coming, member=member_a, reason="出差")
    held(tree.branch_b, K.THEME_DAY, past, status=Activity.Status.PLANNED)
    return today


def _rows(user) -> dict[str, int]:
    return dict(Reminder.objects.filter(user=user).values_list("kind", "count"))


def test_secretary_is_reminded_of_each_kind_of_due_work_in_their_subtree(tree, due_work):
    secretary = _secretary(tree.branch_a, "sec_a", "sec_a@example.org")
    today = due_work
    month = f"{today.year}-{today.month:02d}"
    lines = compliance_report(branch=tree.branch_a, period=month, today=today)
    open_lines = sum(1 for unit in lines.branches for line in unit.lines if line.status in (MISSING, PENDING))

    result = reminders_create(today=today)

    assert _rows(secretary) == {"missing_meetings": open_lines, "unlogged_activities": 2, "pending_leave": 1}
    text = Reminder.objects.get(user=secretary, kind="unlogged_activities").text
    assert "东村第一网格党支部" in text and "2 次" in text
    assert (result.recipients, result.emailed) == (1, 1)
    (message,) = mail.outbox
    assert message.to == ["sec_a@example.org"] and "工作提醒" in message.subject and "请假申请待审批" in message.body


def test_running_reminders_twice_a_day_stores_and_sends_nothing_more(tree, due_work):
    _secretary(tree.branch_a, "sec_a", "sec_a@example.org")
    first = reminders_create(today=due_work)
    second = reminders_create(today=due_work)
    assert (first.created, second.created, second.emailed) == (3, 0, 0)
    assert Reminder.objects.count() == 3 and len(mail.outbox) == 1
    assert not Reminder.objects.filter(emailed_at__isnull=True).exists()


def test_only_current_secretaries_are_reminded_and_only_of_their_own_subtree(tree, due_work):
    current = _secretary(tree.branch_b, "sec_b")
    _secretary(tree.branch_a, "former_a", "former@example.org", ended=True)
    reminders_create(today=due_work)
    assert set(Reminder.objects.values_list("user__username", flat=True)) == {"sec_b"}
    assert _rows(current)["unlogged_activities"] == 1  # branch_a's are not hers
    assert "pending_leave" not in _rows(current)
    assert mail.outbox == []  # no address: stored, shown on the page, not e-mailed


def test_a_failed_email_is_sent_on_the_next_run(tree, due_work, monkeypatch):
    _secretary(tree.branch_a, "sec_a", "sec_a@example.org")

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(mail, "send_mail", refuse)
    assert reminders_create(today=due_work).emailed == 0
    assert Reminder.objects.filter(emailed_at__isnull=True).count() == 3
    monkeypatch.undo()
    assert reminders_create(today=due_work).emailed == 1
    assert len(mail.outbox) == 1


def test_no_secretaries_no_reminders(tree, due_work):
    result = reminders_create(today=due_work)
    assert (result.recipients, result.created) == (0, 0)
