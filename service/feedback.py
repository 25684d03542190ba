"""The quarterly feedback card (docs/rules/service.md): each member registered at a community during a quarter
gets a card of their service there (requests completed, a team's they took part in included; hours; mean
rating) for their home branch's secretary.
Made by the beat on the first day of each quarter for the one that ended; made again, it changes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Avg, Count, Q, Sum
from django.utils import timezone

from core.periods import QUARTER, Period

from .models import FeedbackCard, Registration, ServiceParticipant, ServiceRequest


def previous_quarter(today: datetime.date) -> Period:
    return Period.containing(QUARTER, Period.containing(QUARTER, today).start - datetime.timedelta(days=1))


def feedback_cards_make(*, period: Period) -> int:
    """Cards of ``period`` (a quarter) for every registration open during it, in three queries and one insert;
    those already made are kept as they were. Returns how many were made now."""
    start, end = period.bounds()
    open_then = Q(registered_on__lte=period.last_day) & (Q(ended_on=None) | Q(ended_on__gte=period.start))
    registrations = list(
        Registration.objects.filter(open_then).values_list("pk", "member_id", "community_id", "member__branch_id")
    )
    members = [r[1] for r in registrations]
    # Each completion a member took part in (their own, or a team's: ServiceParticipant), with its hours.
    took_part = ServiceParticipant.objects.filter(
        member_id__in=members, completion__at__gte=start, completion__at__lt=end
    )
    done = {
        row["member_id"]: row
        for row in took_part.values("member_id").annotate(n=Count("pk"), hours=Sum("hours")).order_by()
    }
    ratings = dict(
        ServiceRequest.objects.filter(rating__isnull=False, events__participants__in=took_part)
        .values_list("events__participants__member_id")
        .annotate(avg=Avg("rating"))
        .order_by()
    )
    cards = [
        FeedbackCard(
            registration_id=pk,
            period=period.label,
            member_id=member_id,
            community_id=community_id,
            home_branch_id=branch_id,
            requests_done=done.get(member_id, {}).get("n", 0),
            hours=done.get(member_id, {}).get("hours") or Decimal(0),
            rating=Decimal(str(round(ratings[member_id], 2))) if ratings.get(member_id) is not None else None,
        )
        for pk, member_id, community_id, branch_id in registrations
    ]
    before = FeedbackCard.objects.filter(period=period.label).count()
    FeedbackCard.objects.bulk_create(cards, ignore_conflicts=True)
    return FeedbackCard.objects.filter(period=period.label).count() - before


def feedback_cards_due(*, today: datetime.date | None = None) -> int:
    """The beat's run: the cards of the quarter that ended before ``today``."""
    return feedback_cards_make(period=previous_quarter(today or timezone.localdate()))


def cards_of_branch(*, branch, period: Period):
    """The cards of ``period`` of the members of ``branch``'s subtree (their branch when made). One query."""
    return (
        FeedbackCard.objects.filter(home_branch__path__startswith=branch.path, period=period.label)
        .select_related("member", "community")
        .order_by("member__name_pinyin")
    )
