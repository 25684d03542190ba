"""Structure warnings for the organization department: 党支部 whose size or committee the rules question.

中国共产党支部工作条例（试行）:
- chapter 2 (组织设置, art. 4): a 党支部 is formed where there are at least 3 full members, and has
  as a rule no more than 50 members: a branch with fewer than ``STRUCTURE_MIN_FULL_MEMBERS`` (3)
  full members, or more than ``STRUCTURE_MAX_MEMBERS`` (50) members, is flagged;
- chapter 6 (党支部委员会和党支部书记): a 党支部 with 7 or more full members sets up a 支部委员会 of 3
  to 5 members: one with at least ``COMMITTEE_MIN_FULL_MEMBERS`` (7, the rule compliance uses for
  支委会) full members but fewer than ``STRUCTURE_COMMITTEE_MIN_POSITIONS`` (3) members holding a
  committee position there (``Position.COMMITTEE_TITLES``, the secretary included) is flagged as
  having no committee.

Only 党支部 are checked (a 党总支's own members are few by design; 党小组 and 党员中心户 are not
organizations of their own). The reports compute the warnings with every snapshot, on the roster
at the period's end (``reports.selectors.member_facts``) and the committee positions held on its
last day (``reports.selectors.committee_facts``): the dashboard reads them, it does not count.
``structure_warnings`` applies the same rules to today's roster (the organization department's
first page, reports/home.py): two queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from activities.compliance import COMMITTEE_MIN_FULL_MEMBERS
from branches.models import Branch
from members.models import Member, Position

NO_COMMITTEE, TOO_FEW, TOO_MANY = "no_committee", "too_few", "too_many"
WARNINGS = [NO_COMMITTEE, TOO_FEW, TOO_MANY]


def limits() -> tuple[int, int, int]:
    """(fewest full members, most members, fewest committee members); settings ``STRUCTURE_*``."""
    return (
        settings.STRUCTURE_MIN_FULL_MEMBERS,
        settings.STRUCTURE_MAX_MEMBERS,
        settings.STRUCTURE_COMMITTEE_MIN_POSITIONS,
    )


def warnings_of(*, members: int, full: int, committee: int) -> list[str]:
    """The warnings of a 党支部 with ``members`` members, ``full`` of them full, and ``committee``
    members holding a committee position: the rules, once."""
    fewest_full, most, fewest_committee = limits()
    found = []
    if full >= COMMITTEE_MIN_FULL_MEMBERS and committee < fewest_committee:
        found.append(NO_COMMITTEE)
    if full < fewest_full:
        found.append(TOO_FEW)
    if members > most:
        found.append(TOO_MANY)
    return found


def label(warning: str) -> str:
    """The warning in words, with the limits in force."""
    fewest_full, most, _fewest_committee = limits()
    if warning == NO_COMMITTEE:
        return _("正式党员%(n)s人以上未设支部委员会") % {"n": COMMITTEE_MIN_FULL_MEMBERS}
    if warning == TOO_FEW:
        return _("正式党员不足%(n)s人") % {"n": fewest_full}
    return _("党员超过%(n)s人") % {"n": most}


# --- today's warnings of a subtree --------------------------------------------------------


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
    """The current 党支部 of ``root``'s subtree that the rules flag on today's roster and positions,
    and the counts per warning. Two queries: the branches with their members counted (one GROUP BY),
    the committee members by branch."""
    active, full = Q(members__is_active=True), Q(members__is_active=True, members__status=Member.Status.FULL)
    branches = (
        Branch.objects.filter(path__startswith=root.path, kind=Branch.Kind.BRANCH, dissolved_on__isnull=True)
        .annotate(n_members=Count("members", filter=active), n_full=Count("members", filter=full))
        .order_by("path")
    )
    committee = dict(
        Position.objects.filter(branch__path__startswith=root.path, branch__kind=Branch.Kind.BRANCH)
        .filter(ended_on__isnull=True, title__in=Position.COMMITTEE_TITLES)
        .values_list("branch_id")
        .annotate(n=Count("member_id", distinct=True))
        .order_by()
    )
    counts = dict.fromkeys(WARNINGS, 0)
    flagged = []
    for b in branches:
        found = warnings_of(members=b.n_members, full=b.n_full, committee=committee.get(b.pk, 0))
        for warning in found:
            counts[warning] += 1
        if found:
            flagged.append(Flagged(b, b.n_members, b.n_full, committee.get(b.pk, 0), tuple(found)))
    return StructureWarnings(counts, len(flagged), flagged[:limit])
