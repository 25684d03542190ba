"""The demo's 报到 and a year of requests (demo/service.py): a community with grids, 30 registered
members from three units' branches, requests in every state, hours reaching the health check."""

import datetime
import random
import zoneinfo

from branches import access
from core.periods import Period
from demo.seeding import seed_build
from demo.service import seed_service_year
from health.selectors import member_facts
from members.models import Member
from service import rules
from service.models import (
    Grid,
    Registration,
    ServiceParticipant,
    ServiceRequest,
    ServiceRequestEvent,
    TeamMembership,
    UnitRegistration,
)
from tests.demo.test_activities import TINY

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 21, 10, 0, tzinfo=TZ)


def test_the_demo_community_has_registrations_and_a_year_of_requests_in_every_state(db):
    result = seed_build(scale=TINY, seed=1, today=NOW.date())
    summary = seed_service_year(result=result, rng=random.Random("1:service"), now=NOW)
    assert summary.startswith("报到与为民服务：")
    community = Grid.objects.first().community
    assert community.name.endswith("社区党委") and Grid.objects.count() >= 1
    regs = list(Registration.objects.select_related("member"))
    assert len(regs) == 30 and len({r.member.branch_id for r in regs}) == 3
    assert UnitRegistration.objects.count() == 3
    assert ServiceRequest.objects.filter(team__isnull=False).exists()
    lapsed = [r for r in regs if not rules.registration_current(r.confirmed_on, NOW.date())]
    assert 0 < len(lapsed) < 10
    statuses = set(ServiceRequest.objects.values_list("status", flat=True))
    assert statuses == set(ServiceRequest.Status.values)
    first = ServiceRequest.objects.order_by("created_at").first()
    assert first.created_at < NOW - datetime.timedelta(days=300)
    assert not ServiceRequestEvent.objects.filter(at__gt=NOW).exists()
    overdue = ServiceRequest.objects.filter(status="dispatched", dispatch_deadline__lte=NOW)
    assert overdue.exists()
    facts = member_facts(period=Period.containing("year", NOW.date()), branch=result.root)
    assert sum(f.facts.volunteer_hours for f in facts.values() if f.facts.volunteer_hours) > 0
    # the demo's grid head (gridhead) dispatches at the community through a confirmed position
    head = Member.objects.get(user__username="gridhead")
    assert head.positions.get().title == "grid_leader" and not head.positions.get().grant_pending
    assert access.has_perm(head.user, access.DISPATCH, community) and not access.can_view(head.user, community)
    assert "gridhead" in dict(result.logins)
    # a team's completions credit its members who took part, not only the leader
    team_done = ServiceParticipant.objects.filter(completion__request__team__isnull=False)
    assert TeamMembership.objects.count() == 4
    assert team_done.values("member_id").distinct().count() == 5
    assert all(facts[m].facts.volunteer_hours > 0 for m in team_done.values_list("member_id", flat=True))
