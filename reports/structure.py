"""Structure warnings for the organization department: 党支部 whose size or committee the rules question.

中国共产党支部工作条例（试行）:
- chapter 2 (组织设置): a 党支部 is formed where there are at least 3 full members, and has as a
  rule no more than 50 members: a branch with fewer than ``STRUCTURE_MIN_FULL_MEMBERS`` (3) active
  full members, or more than ``STRUCTURE_MAX_MEMBERS`` (50) active members, is flagged;
- chapter 6 (党支部委员会和党支部书记): a 党支部 with 7 or more full members sets up a 支部委员会 of 3
  to 5 members: one with at least ``COMMITTEE_MIN_FULL_MEMBERS`` (7, the rule compliance uses for
  支委会) active full members but fewer than ``STRUCTURE_COMMITTEE_MIN_POSITIONS`` (3) members
  holding a current committee position there (``Position.COMMITTEE_TITLES``, the secretary included)
  is flagged as having no committee.

Only 党支部 are checked (a 党总支's own members are few by design; 党小组 and 党员中心户 are not
organizations of their own). Today's roster, not a period's. Two queries whatever the subtree's
size: the counts per warning, and the first ``limit`` flagged branches.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import BooleanField, Count, ExpressionWrapper, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from activities.compliance import COMMITTEE_MIN_FULL_MEMBERS
from branches.models import Branch
from members.models import Member, Position

NO_COMMITTEE, TOO_FEW, TOO_MANY = "no_committee", "too_few", "too_many"
WARNINGS = [NO_COMMITTEE, TOO_FEW, TOO_MANY]


def limits() -> tuple[int, int, int]:
    """(fewest full members, most members, fewest committee members); settings ``STRUCTURE_*``."""
    return (
        getattr(settings, "STRUCTURE_MIN_FULL_MEMBERS", 3),
        getattr(settings, "STRUCTURE_MAX_MEMBERS", 50),
        getattr(settings, "STRUCTURE_COMMITTEE_MIN_POSITIONS", 3),
    )


def label(warning: str) -> str:
    """The warning in words, with the limits in force."""
    fewest_full, most, _fewest_committee = limits()
    if warning == NO_COMMITTEE:
        return _("正式党员%(n)s人以上未设支部委员会") % {"n": COMMITTEE_MIN_FULL_MEMBERS}
    if warning == TOO_FEW:
        return _("正式党员不足%(n)s人") % {"n": fewest_full}
    return _("党员超过%(n)s人") % {"n": most}


def _count(queryset, column: str, counted: str = "pk"):
    """A correlated count of ``queryset``'s distinct ``counted`` per ``column``, 0 when there are none."""
    rows = queryset.order_by().values(column).annotate(n=Count(counted, distinct=True)).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def _flagged_branches(root: Branch):
    """The subtree's current 党支部 that some warning flags, with their counts and a boolean per
    warning (a queryset, not run), and the rule of each warning: written once, here, as a ``Q``."""
    fewest_full, most, fewest_committee = limits()
    active = Member.objects.active().filter(branch_id=OuterRef("pk"))
    committee = Position.objects.filter(
        branch_id=OuterRef("pk"), ended_on__isnull=True, title__in=Position.COMMITTEE_TITLES
    )
    rules = {
        NO_COMMITTEE: Q(n_full__gte=COMMITTEE_MIN_FULL_MEMBERS, n_committee__lt=fewest_committee),
        TOO_FEW: Q(n_full__lt=fewest_full),
        TOO_MANY: Q(n_members__gt=most),
    }
    branches = (
        Branch.objects.filter(path__startswith=root.path, kind=Branch.Kind.BRANCH, dissolved_on__isnull=True)
        .annotate(
            n_members=_count(active, "branch_id"),
            n_full=_count(active.filter(status=Member.Status.FULL), "branch_id"),
            n_committee=_count(committee, "branch_id", "member_id"),
        )
        .annotate(**{w: ExpressionWrapper(rule, output_field=BooleanField()) for w, rule in rules.items()})
        .filter(rules[NO_COMMITTEE] | rules[TOO_FEW] | rules[TOO_MANY])
    )
    return branches, rules


@dataclass(frozen=True)
class Flagged:
    branch: Branch
    members: int
    full: int
    committee: int
    warnings: tuple[str, ...]

    @property
    def labels(self) -> list[str]:
        return [label(w) for w in self.warnings]


@dataclass(frozen=True)
class StructureWarnings:
    counts: dict[str, int]  # warning -> 党支部 with it
    total: int  # 党支部 with any warning
    branches: list[Flagged]  # the first ones in tree order

    @property
    def more(self) -> bool:
        return self.total > len(self.branches)

    def rows(self) -> list[tuple[str, str, int]]:
        """(warning, label, 党支部 with it) of every warning some branch has."""
        return [(w, label(w), self.counts[w]) for w in WARNINGS if self.counts[w]]


def structure_warnings(root: Branch, *, limit: int = 50) -> StructureWarnings:
    """The 党支部 of ``root``'s subtree that the structure rules flag, and the counts per warning."""
    branches, rules = _flagged_branches(root)
    # The rules themselves, not the boolean annotations: an aggregate drops those from its query.
    totals = branches.aggregate(total=Count("pk"), **{w: Count("pk", filter=rule) for w, rule in rules.items()})
    flagged = [
        Flagged(b, b.n_members, b.n_full, b.n_committee, tuple(w for w in WARNINGS if getattr(b, w)))
        for b in branches.order_by("path")[:limit]
    ]
    return StructureWarnings({w: totals[w] for w in WARNINGS}, totals["total"], flagged)
