"""The health checks (政治体检) of the demo's year, computed and taken through each step of the review.

After the year's dues and activities (``demo.year``), through ``health.services`` as the people would:

- the yearly checks of the calendar year holding most of the seeded months (the year the health
  pages open on): at ``secretary``'s branch one score adjusted with its reason, submitted by the
  secretary and returned by the department with a comment (the secretary's first page shows it);
  ``secretary2``'s branch submitted, waiting for the department; then, by path, up to
  ``REVIEWED_BRANCHES`` other branches in turn left as computed, submitted, returned, approved and
  published; every other branch as computed (at the city's scale the review has only begun);
- the interim checks of the last completed quarter: published at those same branches (``member``
  sees a published score), as computed elsewhere.

A secretary with an account submits for their branch, the department (``orgdept``) for the others
and reviews every branch.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from branches.models import Branch
from core.periods import QUARTER, YEAR, Period
from health import services
from health.models import HealthCheck

from .activity_plan import DEPARTMENT
from .dues import seed_months

REVIEWED_BRANCHES = 40
S = HealthCheck.Status
# The states the other reviewed branches take in turn (a branch's checks move together).
ROTATION = [S.DRAFT, S.SUBMITTED, S.RETURNED, S.APPROVED, S.PUBLISHED]
RETURN_COMMENT = "第三季度主题党日的出勤与签到表不一致，请核实后调整并重新提交"
RETURN_COMMENTS = ["请补充调整分值的书面理由后重新提交", RETURN_COMMENT, "志愿服务时长未按登记表计入，请核实"]
ADJUSTMENT, ADJUSTMENT_REASON = Decimal("2"), "长期照顾网格内独居老人，志愿服务未全部登记时长"


def checks_year(today: datetime.date) -> Period:
    """The calendar year holding most of the seeded months (their seventh is in it)."""
    return Period.containing(YEAR, seed_months(today)[6])


def last_quarter(today: datetime.date) -> Period:
    """The last quarter ended before ``today``."""
    return Period.containing(QUARTER, Period.containing(QUARTER, today).start - datetime.timedelta(days=1))


class _Review:
    """Moves a branch's checks of one period to a state, each step by the user who would take it."""

    def __init__(self, result, users: dict[str, object]):
        self.department = users[DEPARTMENT]
        self.secretary_of = {
            Branch.objects.get(pk=result.plan.accounts[name].branch.pk): users[name]
            for name in ("secretary", "secretary2")
            if name in result.plan.accounts and name in users
        }
        self.counts: Counter = Counter()

    def move(self, branch: Branch, period: str, state: str, comment: str = "") -> None:
        submitter = self.secretary_of.get(branch, self.department)
        if state != S.DRAFT:
            services.health_checks_submit(branch=branch, period=period, by=submitter)
        if state == S.RETURNED:
            services.health_checks_return(branch=branch, period=period, by=self.department, comment=comment)
        elif state in (S.APPROVED, S.PUBLISHED):
            services.health_checks_approve(branch=branch, period=period, by=self.department)
        if state == S.PUBLISHED:
            services.health_checks_publish(branch=branch, period=period, by=self.department)
        self.counts[period, state] += 1


def _branches_with_checks(result, period: str) -> list[Branch]:
    ids = HealthCheck.objects.filter(period=period, branch__path__startswith=result.root.path).values("branch_id")
    return list(Branch.objects.filter(pk__in=ids).order_by("path"))


def seed_health_checks(*, result, rng: random.Random, now: datetime.datetime | None = None) -> str:
    """Compute the year's and the last quarter's checks and review a part of them; a summary line."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    year, quarter = checks_year(today).label, last_quarter(today).label
    users = {u.username: u for u in get_user_model().objects.filter(username__in=[*result.plan.accounts, DEPARTMENT])}
    computed = {p: services.health_checks_compute(period=p, branch=result.root).created for p in (year, quarter)}
    review = _Review(result, users)
    branches = _branches_with_checks(result, year)
    own = [b for b in review.secretary_of if b in branches]
    others = [b for b in branches if b not in own][:REVIEWED_BRANCHES]
    for branch, user in review.secretary_of.items():
        if branch not in own:
            continue
        if user is users.get("secretary"):
            _adjust_one(branch, year, user)
            review.move(branch, year, S.RETURNED, RETURN_COMMENT)
        else:
            review.move(branch, year, S.SUBMITTED)
    for i, branch in enumerate(others):
        review.move(branch, year, ROTATION[i % len(ROTATION)], rng.choice(RETURN_COMMENTS))
    in_quarter = set(_branches_with_checks(result, quarter))
    for branch in [*own, *others]:
        if branch in in_quarter:
            review.move(branch, quarter, S.PUBLISHED)
    counts = review.counts
    counts[year, S.DRAFT] = len(branches) - sum(counts[year, s] for s in ROTATION if s != S.DRAFT)
    states = "，".join(f"{S(s).label} {counts[year, s]}" for s in ROTATION)
    return (
        f"政治体检：{year}年度 {computed[year]:,} 人、{quarter} {computed[quarter]:,} 人已计算；"
        f"{year}年度各党组织：{states}；{quarter}已公示 {counts[quarter, S.PUBLISHED]} 个党组织"
    )


def _adjust_one(branch: Branch, period: str, by) -> None:
    """The secretary's adjustment of one check of the branch (the first by name), with its reason."""
    check = HealthCheck.objects.filter(branch=branch, period=period).order_by("member__name_pinyin", "pk").first()
    if check is not None:
        services.health_check_adjust(check=check, adjustment=ADJUSTMENT, reason=ADJUSTMENT_REASON, by=by)
