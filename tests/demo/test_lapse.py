"""The demo's art. 9 warning (demo/lapse.py): the roster dated from the seeded year, a few notes."""

import datetime
import zoneinfo

from activities.lapse import lapse_warnings
from demo.seeding import seed_build
from demo.year import seed_year
from members.models import LapseNote, Member
from tests.demo.test_activities import TINY

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 21, 10, 0, tzinfo=TZ)


def test_the_demo_warns_some_members_and_records_reasons_and_follow_ups(db):
    result = seed_build(scale=TINY, seed=1, today=NOW.date())
    summaries = seed_year(result=result, seed=1, now=NOW)
    warned = list(lapse_warnings(branch=result.root, today=NOW.date()))
    assert warned and any(line.startswith(f"脱党预警：{len(warned)} 名党员") for line in summaries)
    excused = LapseNote.objects.filter(kind=LapseNote.Kind.REASON)
    followed = LapseNote.objects.filter(kind=LapseNote.Kind.FOLLOWUP)
    assert excused.exists() and followed.exists()
    assert not {n.member_id for n in excused} & {m.pk for m in warned}  # a reason stops the warning
    assert {n.member_id for n in followed} <= {m.pk for m in warned}  # a follow-up does not
    assert all(n.member.situation == Member.Situation.MOBILE for n in excused)
