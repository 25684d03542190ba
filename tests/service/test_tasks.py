"""The service app's beat tasks run their services; a member who left is no longer registered."""

from __future__ import annotations

import datetime

from django.utils import timezone

from members.models import Member
from service import services, tasks
from service.models import FeedbackCard, Registration, ServiceRequest
from service.selectors import registered_members


def test_the_return_task_returns_overdue_dispatches(registered_a, member_a, new_request):
    services.request_dispatch(
        request=new_request, member=member_a, by=None, now=timezone.now() - datetime.timedelta(hours=49)
    )
    assert tasks.return_overdue.delay().get() == 1
    assert ServiceRequest.objects.get(pk=new_request.pk).status == ServiceRequest.Status.NEW


def test_the_cards_task_makes_the_last_quarters_cards(registered_a):
    Registration.objects.update(registered_on=datetime.date(2020, 1, 1))
    assert tasks.feedback_cards.delay().get() == 1
    assert FeedbackCard.objects.count() == 1


def test_a_member_who_left_is_neither_listed_nor_dispatched_to(registered_a, member_a, new_request, tree):
    Member.objects.filter(pk=member_a.pk).update(is_active=False, left_on=timezone.localdate())
    member_a.refresh_from_db()
    assert registered_members(community=tree.branch_a, today=timezone.localdate()) == []
    assert services.current_registration(member_a) is None
