"""The demo's death recorded late (demo/history.py, docs/rules/history.md)."""

import datetime
import zoneinfo

from activities.models import Activity, Attendance
from demo.seeding import seed_build
from demo.year import seed_year
from members.models import DuesPayment, Member, MemberEvent
from tests.demo.test_activities import TINY

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 21, 10, 0, tzinfo=TZ)


def test_the_demo_records_one_death_late_with_its_corrections(db):
    result = seed_build(scale=TINY, seed=1, today=NOW.date())
    summaries = seed_year(result=result, seed=1, now=NOW)

    died_on = datetime.date(2026, 10, 2)
    dead = Member.objects.get(left_reason=Member.LeftReason.DIED, left_on=died_on)
    since = datetime.datetime(2026, 10, 3, tzinfo=TZ)
    assert not Attendance.objects.filter(
        member=dead, expected=True, activity__status=Activity.Status.HELD, activity__starts_at__gte=since
    ).exclude(status=Attendance.Status.PRESENT)
    assert not DuesPayment.objects.filter(member=dead, month__gt=died_on, paid=0, cancelled_at=None)
    line = MemberEvent.objects.get(member=dead, kind=MemberEvent.Kind.UPDATED)
    assert "移出" in line.detail and summaries[2].startswith(f"补录死亡：{dead.branch.name} {dead.name}（2026-10-02）")
