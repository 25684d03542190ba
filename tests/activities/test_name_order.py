"""Every list of members reads in pinyin order (members/pinyin.py): the attendance sheet, the dues
month, the health checks of a branch."""

from __future__ import annotations

import datetime

import pytest

from activities import selectors
from health.selectors import checks_of_branch
from health.services import health_checks_compute
from members.dues.selectors import dues_month_rows
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

NAMES = ["张伟", "曹操", "白雪", "阿明"]  # code-point order
PINYIN_ORDER = ["阿明", "白雪", "曹操", "张伟"]


@pytest.fixture
def named(tree):
    return [MemberFactory(branch=tree.branch_a, name=name) for name in NAMES]


def test_the_attendance_sheet_lists_members_by_pinyin(make_activity, tree, named):
    activity = make_activity(tree.branch_a)
    names = [row.member.name for row in selectors.attendance_sheet(activity) if row.member.name in NAMES]
    assert names == PINYIN_ORDER


def test_the_dues_month_lists_members_by_pinyin(tree, named):
    rows = dues_month_rows(branch=tree.branch_a, month=datetime.date(2026, 3, 1))
    assert [m.name for m in rows if m.name in NAMES] == PINYIN_ORDER


def test_the_health_checks_of_a_branch_list_members_by_pinyin(tree, named):
    health_checks_compute(period="2025", branch=tree.branch_a)
    names = [c.member.name for c in checks_of_branch(branch=tree.branch_a, period="2025")]
    assert [n for n in names if n in NAMES] == PINYIN_ORDER
