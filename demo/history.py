"""A death recorded late in the demo's year (docs/rules/history.md).

One ordinary member (no account, no position) who missed meetings in the last weeks died about seven
weeks before the seed's day; the death is recorded only now, through ``members.services.member_leave``,
so the demo shows what follows: the meetings held since no longer count them absent, their unpaid
dues rows since are cancelled, and one line of their history lists both.
"""

from __future__ import annotations

import datetime
import random

from django.db.models import Count
from django.utils import timezone

from activities.models import Activity, Attendance
from members.models import Member, MemberEvent
from members.services import member_leave

LATE_BY = datetime.timedelta(days=50)


def seed_late_death(*, result, rng: random.Random, now: datetime.datetime | None = None) -> str:
    """Record the death of the ordinary member absent most often since ``LATE_BY`` ago; a summary line."""
    del rng  # the choice is the data's: the same seed gives the same member
    now = now or timezone.now()
    died_on = timezone.localdate(now) - LATE_BY
    since = datetime.datetime.combine(died_on + datetime.timedelta(days=1), datetime.time.min, tzinfo=now.tzinfo)
    absent = (
        Attendance.objects.filter(
            status=Attendance.Status.ABSENT,
            expected=True,
            activity__status=Activity.Status.HELD,
            activity__starts_at__gte=since,
            member__branch__path__startswith=result.root.path,
            member__is_active=True,
            member__joined_on__lt=died_on,
            member__user=None,
            member__positions=None,
        )
        .values("member_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "member_id")
        .first()
    )
    if absent is None:
        return "补录死亡：无合适的演示党员"
    member = Member.objects.select_related("branch").get(pk=absent["member_id"])
    member_leave(member=member, on=died_on, reason=Member.LeftReason.DIED, note="演示：死亡晚于实际日期补录")
    line = MemberEvent.objects.filter(member=member, kind=MemberEvent.Kind.UPDATED).order_by("-pk").first()
    return f"补录死亡：{member.branch.name} {member.name}（{died_on:%Y-%m-%d}）" + (f"，{line.detail}" if line else "")
