"""The department's review over a large subtree (issue 15, "Every page at city scale"): per child.

Over a city every 党支部 with checks is a row with its buttons (1,500 rows), and the warnings read
every member. Over a subtree larger than ``LARGE_SUBTREE_BRANCHES`` (``branches.summaries``) the
review page shows one row per child instead: how many 党支部 stand at each step of the review, how
many checks, how many members under each warning; the child is the drill-down to its own review
page. The figures are kept ``SUBTREE_SUMMARY_SECONDS`` (four queries when computed).
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from activities.lapse import lapse_warnings
from branches.models import Branch
from branches.summaries import Kept, child_prefix, kept

from .models import HealthCheck
from .selectors import branches_for_review, probation_ending


@dataclass
class ChildReview:
    branch: Branch
    checks: int = 0
    branches: Counter = field(default_factory=Counter)  # the 党支部's overall status -> how many
    warned: int = 0  # members under the 党章 art. 9 warning
    probation: int = 0  # 预备党员 whose probation ends within 30 days

    @property
    def statuses(self) -> list[tuple[str, str, int]]:
        """(status, label, 党支部) for each status of the review, in its order."""
        return [(s, label, self.branches[s]) for s, label in HealthCheck.Status.choices]


def review_by_child(root: Branch, period: str, today: datetime.date) -> list[ChildReview]:
    """Per current child of ``root``: its subtree's checks of ``period``, review steps and warnings."""
    end = child_prefix(root.path)
    children = {
        b.path: ChildReview(b)
        for b in Branch.objects.filter(path__startswith=root.path, depth=root.depth + 1).current().order_by("path")
    }
    for review in branches_for_review(root=root, period=period):
        if child := children.get(review.branch.path[:end]):
            child.checks += review.total
            child.branches[review.status] += 1
    for path in lapse_warnings(branch=root, today=today).values_list("branch__path", flat=True):
        if child := children.get(path[:end]):
            child.warned += 1
    for member in probation_ending(branch=root, today=today):
        if child := children.get(member.branch.path[:end]):
            child.probation += 1
    return list(children.values())


def kept_review_by_child(root: Branch, period: str, today: datetime.date) -> Kept[list[ChildReview]]:
    return kept("health_review", root, [period, today], lambda: review_by_child(root, period, today), large=True)
