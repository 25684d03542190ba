"""Completed requests' hours reach the health check as 志愿服务 hours, through member_facts (one query)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from core.periods import Period
from health.selectors import member_facts
from service import services
from service.models import ServiceRequestEvent


def _complete(request, member, hours):
    services.request_claim(request=request, member=member, by=None)
    return services.request_complete(request=request, member=member, hours=hours, note="", by=None)


def test_completed_hours_count_as_volunteer_hours(registered_a, member_a, new_request, grid, tree):
    year = Period.containing("year", timezone.localdate())
    before = member_facts(period=year, branch=tree.town)[member_a.pk].facts.volunteer_hours
    _complete(new_request, member_a, "2.5")
    facts = member_facts(period=year, branch=tree.town)[member_a.pk].facts
    assert facts.volunteer_hours == before + Decimal("2.5")


def test_hours_count_in_the_period_of_their_completion(registered_a, member_a, new_request, tree):
    _complete(new_request, member_a, "3")
    last_year_end = timezone.now().replace(month=1, day=1) - datetime.timedelta(days=2)
    ServiceRequestEvent.objects.filter(kind="completed").update(at=last_year_end)
    this_year = Period.containing("year", timezone.localdate())
    last_year = Period.containing("year", timezone.localdate(last_year_end))
    assert member_facts(period=this_year, branch=tree.town)[member_a.pk].facts.volunteer_hours == 0
    assert member_facts(period=last_year, branch=tree.town)[member_a.pk].facts.volunteer_hours == Decimal("3")


def test_a_reopened_and_redone_request_credits_each_completion(
    registered_a, registered_b, member_a, member_b, new_request, tree
):
    done = _complete(new_request, member_a, "1")
    services.request_rate(request=done, token=services.rating_token(done), stars=1)
    services.request_claim(request=done, member=member_b, by=None)
    services.request_complete(request=done, member=member_b, hours="2", note="", by=None)
    facts = member_facts(period=Period.containing("year", timezone.localdate()), branch=None)
    assert (facts[member_a.pk].facts.volunteer_hours, facts[member_b.pk].facts.volunteer_hours) == (1, 2)
