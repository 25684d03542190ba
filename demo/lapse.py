"""The 党章 art. 9 warning in the demo (activities/lapse.py, docs/rules/members.md).

The demo's members stand for a roster kept a year before the seed's day (the year of dues and
activities says so), so their ``created_at`` is moved to the first day of that year: without it
every member would be "on the site's roster for less than six months" and none warned. Then a
few of the warned members get what a secretary records: 流动党员 a 正当理由 covering the window
(they are then no longer warned), the others a 跟进处理 (they stay warned, with the note).
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from activities.lapse import lapse_warnings, lapse_window
from core.periods import add_months, month_start
from members.models import LapseNote, Member

from .seeding import bulk_create_all

REASONS = ("在外地务工，已向支部书面报告，在务工地参加组织生活", "随子女在外地居住，已书面报告")
FOLLOW_UPS = ("支部书记电话联系，已说明党章第九条的规定", "支部书记与组织委员上门走访，本人表示下月起按时交纳党费")
NOTES_OF_EACH = 3


def seed_lapse_notes(*, result, rng: random.Random, now: datetime.datetime | None = None) -> str:
    """Backdate the roster to the seeded year's start; notes on a few warned members; a summary line."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    year_start = add_months(month_start(today), -12)
    stamp = datetime.datetime.combine(year_start, datetime.time(9), tzinfo=timezone.get_current_timezone())
    Member.objects.filter(branch__path__startswith=result.root.path).update(created_at=stamp)
    warned = list(lapse_warnings(branch=result.root, today=today).only("pk", "situation", "branch__path"))
    first, current = lapse_window(today)
    mobile = [m for m in warned if m.situation == Member.Situation.MOBILE][:NOTES_OF_EACH]
    others = [m for m in warned if m.situation != Member.Situation.MOBILE][:NOTES_OF_EACH]
    notes = [
        LapseNote(member=m, kind=LapseNote.Kind.REASON, text=rng.choice(REASONS), months_from=first, months_to=None)
        for m in mobile
    ] + [LapseNote(member=m, kind=LapseNote.Kind.FOLLOWUP, text=rng.choice(FOLLOW_UPS)) for m in others]
    bulk_create_all(LapseNote, notes)
    left = len(warned) - len(mobile)
    return f"脱党预警：{left} 名党员（{first:%Y-%m}至{add_months(current, -1):%Y-%m}），正当理由 {len(mobile)} 条，跟进处理 {len(others)} 条"
