"""What the browser journeys need beyond ``seed_demo --scale demo``, prepared inside the served site's database.

Run by ``conftest.py`` through ``manage.py shell -c`` with the site's environment, after migrate and
seed_demo; ``prepare()`` prints one JSON line that the tests read (names, codes, ids). Everything is
done through the services, as the people of the demo would do it:

- the member's branch has a 主题党日 that started a few minutes ago (check-in open), a 党课 that
  started two minutes ago (the second scan of a member who stayed logged in) and a 支部党员大会
  next week (to ask leave for);
- this year's health checks are computed for two branches and submitted by their secretaries;
- the reports of last quarter and last month are computed for the whole tree (the dashboard's
  figures; last month is the period the dashboard opens on).
"""

from __future__ import annotations

import datetime
import json

from django.contrib.auth import get_user_model
from django.utils import timezone

from activities import services as activity_services
from activities.models import Activity
from health import services as health_services
from health.models import HealthCheck
from members.models import Member
from reports import services as report_services


def _member_of(username: str) -> Member:
    return Member.objects.select_related("branch").get(user__username=username)


def _elderly_member(branch) -> Member:
    """The oldest active full member of ``branch``'s subtree without an account whose name is unique there."""
    members = list(
        Member.objects.filter(branch__path__startswith=branch.path, is_active=True).order_by("birth_date", "pk")
    )
    full = {m.pk for m in members if m.status == Member.Status.FULL}
    counts: dict[str, int] = {}
    for m in members:
        counts[m.name] = counts.get(m.name, 0) + 1
    return next(m for m in members if m.pk in full and m.user_id is None and counts[m.name] == 1)


def _last_quarter(today: datetime.date) -> str:
    quarter = (today.month - 1) // 3  # 0 in Q1: the last quarter of the previous year
    return f"{today.year - 1}Q4" if quarter == 0 else f"{today.year}Q{quarter}"


def prepare() -> None:
    users = get_user_model().objects
    secretary, secretary2 = users.get(username="secretary"), users.get(username="secretary2")
    member = _member_of("member")
    branch = _member_of("secretary").branch
    branch2 = _member_of("secretary2").branch
    root = branch.get_root()
    now = timezone.now()
    today = timezone.localdate()

    theme_day = activity_services.activity_create(
        branch=branch,
        kind=Activity.Kind.THEME_DAY,
        title="主题党日：学习党章",
        starts_at=now - datetime.timedelta(minutes=5),
        ends_at=now + datetime.timedelta(hours=2),
        place="村委会二楼会议室",
        by=secretary,
    )
    lecture = activity_services.activity_create(
        branch=branch,
        kind=Activity.Kind.PARTY_LECTURE,
        title="党课：新时代农村基层党建",
        starts_at=now - datetime.timedelta(minutes=2),
        ends_at=now + datetime.timedelta(hours=2),
        place="村委会二楼会议室",
        by=secretary,
    )
    next_meeting = activity_services.activity_create(
        branch=branch,
        kind=Activity.Kind.BRANCH_ASSEMBLY,
        title="下周支部党员大会",
        starts_at=now + datetime.timedelta(days=7),
        ends_at=now + datetime.timedelta(days=7, hours=2),
        place="村委会会议室",
        by=secretary,
    )

    health_period = str(today.year)
    for b, who in ((branch, secretary), (branch2, secretary2)):
        # The demo may have taken the branch's checks some steps already (demo.checks): submitted stays.
        checks = HealthCheck.objects.filter(branch=b, period=health_period)
        if not checks.filter(status=HealthCheck.Status.SUBMITTED).exists():
            health_services.health_checks_compute(period=health_period, branch=b, by=who)
            health_services.health_checks_submit(branch=b, period=health_period, by=who)
    period = _last_quarter(today)
    report_services.reports_compute(period=period)
    last_month = today.replace(day=1) - datetime.timedelta(days=1)
    report_services.reports_compute(period=f"{last_month:%Y-%m}")  # the dashboard's default: its charts

    elderly = _elderly_member(branch)
    data = {
        "root_code": root.code,
        "root_name": root.name,
        "branch_code": branch.code,
        "branch_name": branch.name,
        "branch2_code": branch2.code,
        "branch2_name": branch2.name,
        "elderly_name": elderly.name,
        "elderly_birth": elderly.birth_date.isoformat(),
        "member_name": member.name,
        "theme_day_id": theme_day.pk,
        "lecture_id": lecture.pk,
        "lecture_title": lecture.title,
        "next_meeting_id": next_meeting.pk,
        "next_meeting_title": next_meeting.title,
        "period": period,
        "health_period": health_period,
    }
    print("E2E-DATA " + json.dumps(data, ensure_ascii=False))
