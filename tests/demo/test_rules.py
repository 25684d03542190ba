"""The demo shows issue 14's meeting rules (demo/rules.py, docs/rules/meetings.md)."""

import datetime
import zoneinfo

from activities.models import Attendance, ExpectedExemption, ProbationDecision, Resolution
from activities.records import resolution_outcome
from demo.seeding import seed_build
from demo.year import seed_year
from members.models import Member
from tests.demo.test_activities import TINY

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 21, 10, 0, tzinfo=TZ)


def test_the_demo_has_a_passed_and_a_failed_resolution_an_extension_and_an_exemption(db):
    result = seed_build(scale=TINY, seed=1, today=NOW.date())
    summaries = seed_year(result=result, seed=1, now=NOW)
    outcomes = [resolution_outcome(r) for r in Resolution.objects.filter(votes_for__isnull=False)]
    assert None not in outcomes  # every voted resolution has its voting members
    assert {o.passed for o in outcomes} == {True, False}
    decision = ProbationDecision.objects.select_related("member").get()
    assert decision.kind == "extend" and decision.approved_on is not None
    assert decision.member.probation_extension_months == 6
    assert decision.member.status == Member.Status.PROBATIONARY
    exemption = ExpectedExemption.objects.select_related("member").get()
    assert exemption.reason == "bedridden" and exemption.consenting_org
    assert Attendance.objects.get(home_delivered=True).member == exemption.member
    (line,) = [line for line in summaries if line.startswith("会议规则：")]
    assert decision.member.name in line
