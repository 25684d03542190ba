"""Read queries for members: the roster, one member's page, and the choices forms offer.

Every query starts from ``Member.objects.visible_to(user)`` or from the branches the user
may manage, so nothing here can read outside the user's subtree.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import models
from django.db.models import Q, QuerySet

from branches import access
from branches.models import Branch

from . import crypto
from .idnumbers import normalize_id_number, normalize_phone, normalize_text
from .models import Member, MemberEvent, Position

PAGE_SIZE = 50

# Counting the roster exactly costs a scan of every matching row, which at the scale of a
# county (48,909 members) takes longer than fetching and rendering the page itself. So the
# count stops at COUNT_CAP: ``SELECT COUNT(*) FROM (SELECT id ... LIMIT cap + 1)`` reads at
# most cap + 1 index entries whatever the roster size, is exact for every town or village
# (a few thousand members at most), and the page says "more than 10,000" for a whole county.
# We chose this over a planner estimate (EXPLAIN's row count) because it is exact where
# people read it, works the same on SQLite, and is always one query, so the page runs a
# constant number of queries. Pagination does not depend on the count: each page fetches
# PAGE_SIZE + 1 rows to know whether a next page exists.
COUNT_CAP = 10_000


class State(models.TextChoices):
    ACTIVE = "active", "在册"
    LEFT = "left", "已离册"
    ALL = "all", "全部"


# Sort keys offered on the roster; each ends with ``pk`` so pages are stable. "name" rides the
# index on Member.name, so the default first page needs no sort of the whole roster.
SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name", "pk"),
    "joined_on": ("joined_on", "pk"),
    "branch": ("branch__path", "name", "pk"),
}
DEFAULT_SORT = "name"

# Columns the roster shows; the encrypted number is added only for users who may read it.
_ROSTER_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "id_number_masked",
    "phone",
    "category",
    "status",
    "joined_on",
    "is_active",
    "left_on",
    "branch__name",
    "branch__path",
    "branch__code",
    "group__name",
)


def roster(
    user,
    *,
    branch: Branch | None = None,
    status: str | None = None,
    category: str | None = None,
    group: Branch | None = None,
    state: str = State.ACTIVE,
    q: str = "",
    sort: str = DEFAULT_SORT,
) -> QuerySet[Member]:
    """The members ``user`` may see, filtered, searched and sorted for the roster page.

    ``branch`` and ``group`` must already be fetched through the user's scope. ``sort`` is a
    key of ``SORTS``, prefixed with ``-`` for descending order; unknown keys sort by name.
    """
    members = Member.objects.visible_to(user)
    if branch is not None:
        members = members.in_subtree(branch)
    if group is not None:
        members = members.filter(group=group)
    if status:
        members = members.filter(status=status)
    if category:
        members = members.filter(category=category)
    if state == State.ACTIVE:
        members = members.filter(is_active=True)
    elif state == State.LEFT:
        members = members.filter(is_active=False)
    if q and q.strip():
        members = members.filter(_search_q(user, q))
    fields = _ROSTER_FIELDS
    if access.has_perm_anywhere(user, access.SENSITIVE):
        fields += ("id_number_encrypted",)
    return members.select_related("branch", "group").only(*fields).order_by(*_order_by(sort))


def _order_by(sort: str) -> tuple[str, ...]:
    descending = sort.startswith("-")
    fields = SORTS.get(sort.lstrip("-"), SORTS[DEFAULT_SORT])
    return tuple(f"-{f}" for f in fields) if descending else fields


def _search_q(user, text: str) -> Q:
    """Name contains ``text``; or a whole phone / ID number; or part of a phone where the user may read phones.

    Partial phone matches are limited to rows whose phone the user may see in full, so that a
    masked user cannot uncover the hidden digits by searching for them.
    """
    text = normalize_text(text)
    condition = Q(name__icontains=text)
    digits = normalize_phone(text)
    if digits.isdigit():
        if len(digits) == 11:
            condition |= Q(phone=digits)
        elif len(digits) >= 4:
            condition |= Q(phone__contains=digits) & access.perm_scope_q(user, access.SENSITIVE)
    number = normalize_id_number(text)
    if len(number) == 18:
        condition |= Q(id_number_digest=crypto.digest(number))
    return condition


@dataclass
class RosterPage:
    members: list[Member]
    number: int
    has_next: bool
    total: int
    total_is_capped: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def num_pages(self) -> int | None:
        """None while the count is capped (the last page is not known)."""
        if self.total_is_capped:
            return None
        return max(1, -(-self.total // PAGE_SIZE))

    @property
    def start_index(self) -> int:
        return (self.number - 1) * PAGE_SIZE + 1 if self.members else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * PAGE_SIZE + len(self.members)


def roster_count(members: QuerySet[Member], *, cap: int | None = None) -> int:
    """Exact count up to ``cap`` (COUNT_CAP); ``cap + 1`` means "more than cap"."""
    cap = COUNT_CAP if cap is None else cap
    return members.order_by().values("pk")[: cap + 1].count()


def roster_page(members: QuerySet[Member], number: int, *, cap: int | None = None) -> RosterPage:
    """One page of the roster: two queries (the capped count and the rows) whatever its size."""
    cap = COUNT_CAP if cap is None else cap
    total = roster_count(members, cap=cap)
    capped = total > cap
    if not capped:
        last = max(1, -(-total // PAGE_SIZE))
        number = min(number, last)
    number = max(1, number)
    offset = (number - 1) * PAGE_SIZE
    rows = list(members[offset : offset + PAGE_SIZE + 1])
    return RosterPage(
        members=rows[:PAGE_SIZE],
        number=number,
        has_next=len(rows) > PAGE_SIZE,
        total=min(total, cap),
        total_is_capped=capped,
    )


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def member_for_page(user, pk: int) -> Member:
    """The member with ``pk`` if ``user`` may see them (404 otherwise), with their organizations."""
    from django.shortcuts import get_object_or_404

    members = Member.objects.visible_to(user).select_related("branch", "group", "household", "user")
    return get_object_or_404(members, pk=pk)


def member_positions(member: Member) -> QuerySet[Position]:
    """Current positions first, then past ones, newest first."""
    return (
        member.positions.select_related("branch")
        .annotate(ended=models.Case(models.When(ended_on__isnull=True, then=0), default=1))
        .order_by("ended", "-started_on", "pk")
    )


def member_history(member: Member) -> QuerySet[MemberEvent]:
    """Every recorded change to ``member``, newest first, with who recorded it."""
    return member.events.select_related("from_branch", "to_branch", "by").order_by("-occurred_on", "-at", "-pk")


def manageable_home_branches(user) -> QuerySet[Branch]:
    """Current branches (党支部/党总支) where ``user`` may keep members: targets for create and transfer."""
    return (
        Branch.objects.filter(access.perm_scope_q(user, access.MANAGE, "path"))
        .filter(kind__in=Branch.MEMBER_HOME_KINDS)
        .current()
        .order_by("path")
    )


def groups_under(user, branch: Branch | None, *, kind: str = Branch.Kind.GROUP) -> QuerySet[Branch]:
    """Current groups (or households) below ``branch``, or below every branch ``user`` manages."""
    branches = Branch.objects.filter(kind=kind).current().order_by("path")
    if branch is not None:
        return branches.in_subtree(branch)
    return branches.filter(access.perm_scope_q(user, access.MANAGE, "path"))
