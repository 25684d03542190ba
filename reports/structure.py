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
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from activities.compliance import COMMITTEE_MIN_FULL_MEMBERS

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
