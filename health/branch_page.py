"""What a branch's health-check page shows beside the checks: the actions their state allows, the
banner of a return with the reviewer's comment, and the history in lines people can read.

The actions follow ``health.services``' transitions (the one place that enforces them): 提交 takes
待提交 and 已退回 checks, 审核通过 and 退回 take 已提交 ones, 公示 takes 已审核 ones, a recomputation
touches only 待提交 and 已退回 ones. A button is shown only when the service would act on some check;
withdrawn checks (health/corrections.py) count for none, as the services skip them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from branches.models import Branch

from .models import HealthCheck, HealthCheckEvent

Status, Kind = HealthCheck.Status, HealthCheckEvent.Kind
# Members' breakdowns a page. All of them on one page, a city's 党支部 of 97 was 141 KB and 15x the bare
# view; 30 a page 10.8x (each row, its four items and its adjust form, about 0.3 ms to render). Twenty
# cards are already a long scroll on a phone.
CHECKS_PAGE_SIZE = 20


@dataclass(frozen=True)
class BranchActions:
    """Which buttons the branch page offers, from the counts of its (not withdrawn) checks by status."""

    counts: dict[str, int]
    can_manage: bool
    can_review: bool

    @property
    def editable(self) -> int:
        return sum(self.counts.get(s, 0) for s in HealthCheck.EDITABLE)

    @property
    def compute(self) -> bool:
        """Nothing computed yet, or some check still the branch's to change."""
        return (self.can_manage or self.can_review) and (not sum(self.counts.values()) or self.editable > 0)

    @property
    def submit(self) -> bool:
        return self.can_manage and self.editable > 0

    @property
    def review(self) -> bool:
        """审核通过 and 退回."""
        return self.can_review and self.counts.get(Status.SUBMITTED, 0) > 0

    @property
    def publish(self) -> bool:
        return self.can_review and self.counts.get(Status.APPROVED, 0) > 0

    @property
    def any(self) -> bool:
        return self.compute or self.submit or self.review or self.publish

    @property
    def waiting(self) -> str:
        """What the page says instead of buttons when the next step is someone else's."""
        if self.any or not sum(self.counts.values()):
            return ""
        if self.counts.get(Status.SUBMITTED):
            return _("已提交，等待组织部审核。")
        if self.counts.get(Status.APPROVED):
            return _("已审核通过，等待组织部公示。")
        return _("本期体检结果已公示，不能再修改。")


def check_counts(checks: QuerySet[HealthCheck]) -> dict[str, int]:
    """The checks by status, leaving out withdrawn ones (no service acts on them). One grouped query:
    the page shows its checks a page at a time (``CHECKS_PAGE_SIZE``) but acts on all of them."""
    rows = checks.filter(withdrawn_at=None).order_by().values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


def latest_return(*, branch: Branch, period: str) -> HealthCheckEvent | None:
    """The latest 退回 of ``branch``'s checks for ``period`` (its comment, who, when). One query."""
    return (
        HealthCheckEvent.objects.filter(kind=Kind.RETURNED, health_check__branch=branch, health_check__period=period)
        .select_related("by")
        .order_by("-at", "-pk")
        .first()
    )


# ---------------------------------------------------------------------------- history

# Steps the services write for many checks at once (one event per check); a run of them is one line.
BULK_KINDS = frozenset({Kind.COMPUTED, Kind.SUBMITTED, Kind.APPROVED, Kind.RETURNED, Kind.PUBLISHED})
# The events of one step are written by one bulk insert, microseconds apart; two steps of the same
# kind, by the same person with the same comment, more than this apart are two lines.
SAME_STEP = datetime.timedelta(seconds=2)
FETCHED = 1000  # the latest events read: one query, whatever the branch's size
SHOWN = 50  # the lines shown


@dataclass
class HistoryLine:
    kind: str
    at: datetime.datetime  # the step's latest event
    by: object | None  # the user; None: the system
    comment: str
    count: int = 1
    member_name: str = ""  # one check: whose
    detail: str = ""  # one check: what changed (总分 80.00 → 83.00)
    earliest: datetime.datetime | None = None
    by_id: int | None = None

    @property
    def kind_label(self) -> str:
        return Kind(self.kind).label

    @property
    def summary(self) -> str:
        """退回 42 份 for a step on many checks; the step's name for one."""
        if self.count == 1:
            return str(self.kind_label)
        n = self.count
        phrases = {
            Kind.COMPUTED: ngettext("计算 %(n)s 份", "计算 %(n)s 份", n),
            Kind.SUBMITTED: ngettext("提交 %(n)s 份", "提交 %(n)s 份", n),
            Kind.APPROVED: ngettext("审核通过 %(n)s 份", "审核通过 %(n)s 份", n),
            Kind.RETURNED: ngettext("退回 %(n)s 份", "退回 %(n)s 份", n),
            Kind.PUBLISHED: ngettext("公示 %(n)s 份", "公示 %(n)s 份", n),
        }
        return phrases[self.kind] % {"n": n}


def _continues(line: HistoryLine, event) -> bool:
    return (
        event.kind in BULK_KINDS
        and line.kind == event.kind
        and line.by_id == event.by_id
        and line.comment == event.comment
        and line.earliest - event.at <= SAME_STEP
    )


def _user(event):
    """Who wrote ``event`` (a row of ``history_of_branch``), named as a page names a user; None: the system."""
    if event.by_id is None:
        return None
    return get_user_model()(
        pk=event.by_id, username=event.by__username, first_name=event.by__first_name, last_name=event.by__last_name
    )


def history_of_branch(*, branch: Branch, period: str, fetched: int = FETCHED, shown: int = SHOWN) -> list[HistoryLine]:
    """The latest steps on ``branch``'s checks for ``period``, newest first; the events a bulk step
    wrote (one per check) folded into one line with their count. One query."""
    # Columns, not instances: a 党支部 of 97 members had 670 events, an event, its check, member and
    # user built for each (35 ms of the page under the profiler); the user only for each line shown.
    events = (
        HealthCheckEvent.objects.filter(health_check__branch=branch, health_check__period=period)
        .order_by("-at", "-pk")
        .values_list(
            "kind", "at", "by_id", "comment", "detail", "health_check__member__name",
            "by__username", "by__first_name", "by__last_name", named=True,
        )[:fetched]
    )  # fmt: skip
    lines: list[HistoryLine] = []
    for event in events:
        if lines and _continues(lines[-1], event):
            line = lines[-1]
            line.count += 1
            line.earliest = event.at
            continue
        if len(lines) == shown:
            break
        line = HistoryLine(
            kind=event.kind,
            at=event.at,
            by=_user(event),
            comment=event.comment,
            member_name=event.health_check__member__name,
            detail=event.detail,
            earliest=event.at,
            by_id=event.by_id,
        )
        lines.append(line)
    return lines
