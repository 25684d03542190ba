"""A year of records in the shared tree for the report tests.

town
  village_a (党总支)  branch_a: a1 full employed, a2 full farmer, a3 probationary student
  village_b (党总支)  branch_b: b1 full retired, b2 full employed who left on 2025-03-31
other_town ... branch_c: c1 (outside the town: must never count)
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest

from activities.models import Activity
from health.services import health_checks_compute
from members.models import Member
from tests.factories import MemberFactory
from tests.health.builders import ABSENT, LEAVE, PRESENT, attend, dues_month, held, meeting, months

K = Activity.Kind
Y = 2025
AFTER = datetime.date(Y + 1, 1, 15)  # "today" for the 2025 reports: every window is over


def day(month: int, d: int = 15) -> datetime.date:
    return datetime.date(Y, month, d)


@dataclass
class YearData:
    a1: Member
    a2: Member
    a3: Member
    b1: Member
    b2: Member
    c1: Member


@pytest.fixture
def year_data(tree) -> YearData:
    C = Member.Occupation
    a1 = MemberFactory(branch=tree.branch_a, group=tree.group_a, name="甲一")
    a2 = MemberFactory(branch=tree.branch_a, group=tree.group_a, name="甲二", occupation=C.FARMER, situation="mobile")
    a3 = MemberFactory(
        branch=tree.branch_a,
        name="甲三",
        occupation=C.STUDENT,
        status=Member.Status.PROBATIONARY,
        joined_on=day(6, 1),
        confirmed_on=None,
    )
    b1 = MemberFactory(branch=tree.branch_b, name="乙一", occupation=C.RETIRED)
    b2 = MemberFactory(branch=tree.branch_b, name="乙二", is_active=False, left_on=day(3, 31))
    c1 = MemberFactory(branch=tree.branch_c, name="丙一")
    # branch_a: one 支部党员大会 (Q3), one 党课 (Q3), the group's meetings in two months.
    meeting(tree.branch_a, K.BRANCH_ASSEMBLY, day(7), {a1: PRESENT, a2: LEAVE, a3: PRESENT})
    meeting(tree.branch_a, K.PARTY_LECTURE, day(8), {a1: PRESENT, a2: ABSENT, a3: ABSENT})
    meeting(tree.group_a, K.GROUP_MEETING, day(7, 20), {a1: PRESENT, a2: PRESENT})
    meeting(tree.group_a, K.GROUP_MEETING, day(8, 20), {a1: PRESENT, a2: ABSENT})
    attend(held(tree.branch_a, K.VOLUNTEER, day(9)), a1, expected=False, hours="3.5")
    # branch_b: a 主题党日 in January (b2 still there), one planned (not held) that never counts.
    meeting(tree.branch_b, K.THEME_DAY, day(1), {b1: PRESENT, b2: ABSENT})
    held(tree.branch_b, K.THEME_DAY, day(2), status=Activity.Status.PLANNED)
    # branch_c, outside the town.
    meeting(tree.branch_c, K.THEME_DAY, day(1), {c1: PRESENT})
    # Dues: a1 pays every month 10; a2 owes the second half of the year; b1 pays 5 of 6 due; c1 pays.
    for month in months(Y):
        dues_month(a1, month, due="10", paid="10")
        dues_month(a2, month, due="0.20", paid="0.20" if month.month <= 6 else "0")
        dues_month(c1, month, due="30", paid="30")
    for month in months(Y, 1, 6):
        dues_month(b1, month, due="6", paid="6" if month.month != 6 else "1")
    health_checks_compute(period=str(Y))
    return YearData(a1, a2, a3, b1, b2, c1)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """MEDIA_ROOT in a temporary directory (job files are in the private storage, never here)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def tasks_inline(request):
    """Tasks run inline even when REDIS_URL is set for the run, except in the real-worker test."""
    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    from partysite.celery import app

    saved = app.conf["task_always_eager"]
    app.conf.update(task_always_eager=True)
    yield
    app.conf.update(task_always_eager=saved)
