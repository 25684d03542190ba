"""The quarterly feedback card (service/feedback.py): per registration and quarter, once; on the home page."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from core.periods import Period
from service import services
from service.feedback import feedback_cards_due, feedback_cards_make, previous_quarter
from service.models import FeedbackCard, Registration, ServiceRequestEvent


def _done(request, member, hours, at, stars=None):
    services.request_claim(request=request, member=member, by=None)
    done = services.request_complete(request=request, member=member, hours=hours, note="", by=None)
    if stars:
        services.request_rate(request=done, token=services.rating_token(done), stars=stars)
    ServiceRequestEvent.objects.filter(request=request, kind="completed").update(at=at)


def test_previous_quarter_at_its_boundaries():
    assert previous_quarter(datetime.date(2026, 10, 1)).label == "2026Q3"
    assert previous_quarter(datetime.date(2026, 9, 30)).label == "2026Q2"
    assert previous_quarter(datetime.date(2026, 1, 1)).label == "2025Q4"


def test_a_card_counts_the_quarters_completions_and_rating_once(registered_a, registered_b, member_a, member_b, grid):
    quarter = Period.parse("2026Q3")
    Registration.objects.update(registered_on=datetime.date(2026, 6, 1))
    inside, edge, after = (
        services.request_create(
            grid=grid, category="daily", text=f"第{i}件事情需要帮忙", name="赵", phone="13800138000"
        )[0]
        for i in range(3)
    )
    tz = timezone.get_current_timezone()
    _done(inside, member_a, "2", datetime.datetime(2026, 7, 1, 0, 0, tzinfo=tz), stars=4)
    _done(edge, member_a, "1.5", datetime.datetime(2026, 9, 30, 23, 59, tzinfo=tz), stars=5)
    _done(after, member_a, "3", datetime.datetime(2026, 10, 1, 0, 0, tzinfo=tz))
    assert feedback_cards_make(period=quarter) == 2
    card = FeedbackCard.objects.get(member=member_a)
    assert (card.requests_done, card.hours, card.rating, card.period) == (2, Decimal("3.5"), Decimal("4.50"), "2026Q3")
    other = FeedbackCard.objects.get(member=member_b)
    assert (other.requests_done, other.hours, other.rating, other.home_branch_id) == (0, 0, None, member_b.branch_id)
    assert feedback_cards_make(period=quarter) == 0  # made again: nothing changes
    assert FeedbackCard.objects.count() == 2


def test_registrations_after_the_quarter_or_ended_before_it_get_no_card(registered_a, registered_b, member_b):
    Registration.objects.filter(pk=registered_a.pk).update(registered_on=datetime.date(2026, 10, 1))
    Registration.objects.filter(pk=registered_b.pk).update(
        registered_on=datetime.date(2026, 1, 1), ended_on=datetime.date(2026, 6, 30)
    )
    assert feedback_cards_make(period=Period.parse("2026Q3")) == 0
    Registration.objects.filter(pk=registered_b.pk).update(ended_on=datetime.date(2026, 7, 1))
    assert feedback_cards_make(period=Period.parse("2026Q3")) == 1


def test_the_beat_makes_the_last_quarters_cards(registered_a):
    Registration.objects.update(registered_on=datetime.date(2020, 1, 1))
    assert feedback_cards_due(today=datetime.date(2026, 10, 1)) == 1
    assert FeedbackCard.objects.get().period == "2026Q3"


def test_the_home_secretary_sees_the_cards_of_their_members(login_as, tree, registered_b, member_b):
    Registration.objects.update(registered_on=datetime.date(2020, 1, 1))
    feedback_cards_due()
    page = login_as("secretary_b").get(reverse("service:registrations", args=[tree.branch_b.code])).content.decode()
    assert "季度服务反馈卡" in page and member_b.name in page and tree.branch_a.name in page
    page = login_as("secretary_a").get(reverse("service:registrations", args=[tree.branch_a.code])).content.decode()
    assert "上季度的反馈卡尚未生成" in page  # branch A's own members have none
