"""The 党章 art. 9 warning (脱党预警): the one rule, set-based over a subtree.

党章 art. 9: a member who, without a proper reason (正当理由), for six consecutive months does not
take part in the Party's organizational life, or does not pay dues, is regarded as having given
up membership. The warning lists the active members of a subtree for whom **either** holds over
the last ``LAPSE_MONTHS`` **completed** months (the current month does not count):

- no organizational life: no attendance 实到 or 请假 at a held activity of an organizational-life
  kind (every kind but the open ones, 志愿服务 and 学习, unless the activity also counts as one:
  ``ActivityExtraKind``), wherever it was held (a 流动党员 recorded by a host branch counts);
- no dues: no month of the window settled, a month being settled when its row was paid (any
  amount), was not due (``due`` 0: waived) or was cancelled (not due: a leaving recorded late).

Not flagged: a member with a 正当理由 recorded (``members.LapseNote`` of kind reason) covering any
month of the window, which breaks the six consecutive months; and a member on the roster for less
than the window: admitted (``joined_on``) or put on the site's roster (``created_at``) after its
first day. A transfer within the site keeps the member's attendance and dues, so it does not
restart the count.

Used by the secretary's workbench (``page_selectors.workbench``) and first page (``reports.home``),
and the warnings of the department's health overview (``health.views``; a branch's 政治体检 page links
to the workbench's list instead of repeating it); the secretary records the reason or the follow-up on the member's page
(``members.records.lapse_note_record``). docs/rules/members.md, "The art. 9 warning".
"""

from __future__ import annotations

import datetime

from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from branches.models import Branch
from core.periods import add_months, month_start
from members.models import DuesPayment, LapseNote, Member

from .models import Activity, Attendance

LAPSE_MONTHS = 6  # 党章 art. 9: 连续六个月
# Organizational life: every kind but the open ones (志愿服务, 学习), which have no expected list.
ORG_LIFE_KINDS = frozenset(Activity.Kind.values) - set(Activity.OPEN_KINDS)


def lapse_window(today: datetime.date, months: int = LAPSE_MONTHS) -> tuple[datetime.date, datetime.date]:
    """The window's first month and the current month (first days): ``[first, current)``."""
    current = month_start(today)
    return add_months(current, -months), current


def _aware(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def _attended() -> QuerySet[Attendance]:
    """The outer member's attendance 实到 or 请假 at a held activity."""
    return Attendance.objects.filter(
        member_id=OuterRef("pk"),
        status__in=(Attendance.Status.PRESENT, Attendance.Status.LEAVE),
        activity__status=Activity.Status.HELD,
    )


def lapse_warnings(*, branch: Branch, today: datetime.date | None = None) -> QuerySet[Member]:
    """Active members of ``branch``'s subtree under the art. 9 warning on ``today``; one query.

    Each carries ``no_org_life`` and ``no_dues`` (which of the two holds); ``with_last_dates`` adds
    when each last happened, for the lists that show it.
    """
    first, current = lapse_window(today or timezone.localdate())
    start, end = _aware(first), _aware(current)
    attended = _attended()
    org_life = Q(activity__kind__in=ORG_LIFE_KINDS) | Q(activity__extra_kinds__kind__in=ORG_LIFE_KINDS)
    in_window = attended.filter(org_life, activity__starts_at__gte=start, activity__starts_at__lt=end)
    settled = DuesPayment.objects.filter(member_id=OuterRef("pk"), month__gte=first, month__lt=current).filter(
        Q(paid__gt=0) | Q(due=0) | Q(cancelled_at__isnull=False)
    )
    excused = LapseNote.objects.filter(
        member_id=OuterRef("pk"), kind=LapseNote.Kind.REASON, months_from__lt=current
    ).filter(Q(months_to__isnull=True) | Q(months_to__gte=first))
    # Either holds: the union of two anti-joins. "NOT EXISTS a OR NOT EXISTS b" in one WHERE is
    # evaluated member by member (a city: 9 s on PostgreSQL); each NOT EXISTS alone is a hash anti-join.
    on_roster = Member.objects.in_subtree(branch).active().filter(joined_on__lte=first, created_at__lt=start)
    either = on_roster.filter(~Exists(in_window)).values("pk").order_by()
    either = either.union(on_roster.filter(~Exists(settled)).values("pk").order_by())
    return (
        Member.objects.filter(pk__in=either)
        .annotate(no_org_life=~Exists(in_window), no_dues=~Exists(settled))
        .exclude(Exists(excused))
        .select_related("branch")
        .order_by("branch__path", "name_pinyin", "name", "pk")
    )


def with_last_dates(members: QuerySet[Member]) -> QuerySet[Member]:
    """``members`` with ``last_attended`` (the start of the last held activity attended or excused, any
    kind) and ``last_paid`` (the last payment's day), for the lists of the warning that show them."""
    return members.annotate(
        last_attended=Subquery(
            _attended().order_by().values("member_id").annotate(at=Max("activity__starts_at")).values("at")[:1]
        ),
        last_paid=Subquery(
            DuesPayment.objects.filter(member_id=OuterRef("pk"), paid__gt=0)
            .order_by()
            .values("member_id")
            .annotate(on=Max("paid_on"))
            .values("on")[:1]
        ),
    )
