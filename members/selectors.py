"""Read queries for members: the roster, one member's page, and the choices forms offer.

Every query starts from ``Member.objects.visible_to(user)`` or from the branches the user
may manage, so nothing here can read outside the user's subtree.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import models
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import RawSQL

from branches import access
from branches.models import Branch
from branches.picker import Scope

from . import crypto
from .idnumbers import normalize_id_number, normalize_phone, normalize_text
from .models import Member, MemberEvent, Position

PAGE_SIZE = 50

# Counting the roster exactly costs a scan of every matching row: at the scale of a county
# (48,909 members) that is several times the cost of fetching and rendering the page. So the
# count stops at COUNT_CAP: ``SELECT COUNT(*) FROM (SELECT id ... LIMIT cap + 1)`` reads at
# most cap + 1 rows whatever the roster's size; it is exact for a branch or a village and the
# page says "more than 1,000" above that (the tree page has every subtree's exact counts).
# We chose this over a planner estimate (EXPLAIN's row count) because it is exact where it is
# shown, costs no extra round trip, and works the same on SQLite. It travels inside the page
# query as a scalar subquery (run once), so a page is one query; pagination does not depend on
# the count: a page fetches PAGE_SIZE + 1 rows to know whether a next one exists.
# Measured on PostgreSQL with the city data: the capped count adds ~0.3 ms at 1,000, ~2.5 ms
# at 10,000, against ~1 ms for the page itself.
COUNT_CAP = 1_000


class State(models.TextChoices):
    ACTIVE = "active", "在册"
    LEFT = "left", "已离册"
    ALL = "all", "全部"


# Sort keys offered on the roster; each ends with ``pk`` so pages are stable. "name" is the pinyin
# order (Member.name_pinyin, members/pinyin.py) and rides its index, so the default first page needs
# no sort of the whole roster.
SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name_pinyin", "name", "pk"),
    "joined_on": ("joined_on", "pk"),
    "branch": ("branch__path", "name_pinyin", "name", "pk"),
}
DEFAULT_SORT = "name"
SORT_KEYS = frozenset(SORTS) | {f"-{key}" for key in SORTS}

# Columns the roster shows (the number is decrypted and masked for display).
_ROSTER_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "id_number_encrypted",
    "phone",
    "occupation",
    "situation",
    "status",
    "joined_on",
    "is_active",
    "left_on",
    "branch__name",
    "branch__path",
    "branch__code",
    "group",
)


def roster(
    user,
    *,
    branch: Branch | None = None,
    status: str | None = None,
    occupation: str | None = None,
    situation: str | None = None,
    group: Branch | None = None,
    state: str = State.ACTIVE,
    q: str = "",
    sort: str = DEFAULT_SORT,
) -> QuerySet[Member]:
    """The members of the subtrees ``user`` may see, filtered, searched and sorted for the roster page.

    ``branch`` and ``group`` must already be fetched through the user's scope. ``sort`` is a
    key of ``SORTS``, prefixed with ``-`` for descending order; unknown keys sort by name.
    Each member carries ``group_name`` (blank when in no group) and its branch.
    """
    # The roster is the members of the user's subtrees (staff only: a member's own record is on
    # their own page, so the "and themselves" of ``visible_to`` is left out; with it PostgreSQL
    # can no longer count from an index).
    members = Member.objects.filter(access.branch_scope_q(user, "branch__path"))
    if branch is not None:
        members = members.in_subtree(branch)
    if group is not None:
        members = members.filter(group=group)
    if status:
        members = members.filter(status=status)
    if occupation:
        members = members.filter(occupation=occupation)
    if situation:
        members = members.filter(situation=situation)
    if state == State.ACTIVE:
        members = members.filter(is_active=True)
    elif state == State.LEFT:
        members = members.filter(is_active=False)
    if q and q.strip():
        members = members.filter(_search_q(user, q))
    fields = _ROSTER_FIELDS
    # The group's name is read as a column (``group_name``), not as a second Branch per row.
    members = members.select_related("branch").only(*fields).annotate(group_name=F("group__name"))
    return members.order_by(*_order_by(sort))


# What the roster page's table shows of each row, read as plain tuples (``roster_page(...,
# fields=roster_row_fields(user))``): building 51 Member and 51 Branch instances cost about a
# millisecond a page, a quarter of the rows query itself (measured with the city data).
_ROW_FIELDS = (
    "pk",
    "name",
    "sex",
    "birth_date",
    "id_number_encrypted",
    "phone",
    "occupation",
    "situation",
    "status",
    "joined_on",
    "is_active",
    "branch__name",
    "branch__path",
    "group_name",
)


def roster_row_fields(user) -> tuple[str, ...]:
    """The columns of the roster's table."""
    return _ROW_FIELDS


def _order_by(sort: str) -> tuple[str, ...]:
    descending = sort.startswith("-")
    fields = SORTS.get(sort.lstrip("-"), SORTS[DEFAULT_SORT])
    return tuple(f"-{f}" for f in fields) if descending else fields


def _search_q(user, text: str) -> Q:
    """Name contains ``text``; or, on rows where the user holds ``view_sensitive``, a whole phone or
    ID number, or part of a phone.

    Number matches are limited to rows whose numbers the user may see in full: otherwise a user
    who sees ``158****2696`` would confirm a guess of the hidden digits by searching for it (ten
    thousand searches at most), and an ID number guessed from a name and an age likewise.
    """
    text = normalize_text(text)
    condition = Q(name__icontains=text)
    sensitive = access.perm_scope_q(user, access.SENSITIVE)
    digits = normalize_phone(text)
    if digits.isdigit():
        if len(digits) == 11:
            condition |= Q(phone=digits) & sensitive
        elif len(digits) >= 4:
            condition |= Q(phone__contains=digits) & sensitive
    number = normalize_id_number(text)
    if len(number) == 18:
        condition |= Q(id_number_digest=crypto.digest(number)) & sensitive
    return condition


@dataclass
class RosterPage:
    members: list  # Member instances, or named tuples (``roster_page(..., fields=...)``)
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


def _capped_count_sql(members: QuerySet[Member], cap: int) -> RawSQL:
    sql, params = members.order_by().values("pk")[: cap + 1].query.sql_with_params()
    return RawSQL(f"SELECT COUNT(*) FROM ({sql}) AS capped", params, output_field=models.IntegerField())


def roster_page(
    members: QuerySet[Member], number: int, *, cap: int | None = None, fields: tuple[str, ...] | None = None
) -> RosterPage:
    """One page of the roster and the capped count, in one query whatever the roster's size.

    The page's members are Member instances, or with ``fields`` (see ``roster_row_fields``)
    named tuples of those columns. A page number past the end (a stale link) costs one more
    count and shows the last page.
    """
    cap = COUNT_CAP if cap is None else cap
    number = max(1, number)
    offset = (number - 1) * PAGE_SIZE
    page = members.annotate(roster_total=_capped_count_sql(members, cap))
    if fields:
        page = page.values_list(*fields, "roster_total", named=True)
    rows = list(page[offset : offset + PAGE_SIZE + 1])
    if rows:
        total = rows[0].roster_total
    else:
        total = roster_count(members, cap=cap)
        last = max(1, -(-min(total, cap) // PAGE_SIZE))
        if number > last and total:
            return roster_page(members, last, cap=cap, fields=fields)
    return RosterPage(
        members=rows[:PAGE_SIZE],
        number=number,
        has_next=len(rows) > PAGE_SIZE,
        total=min(total, cap),
        total_is_capped=total > cap,
    )


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _page_members(user) -> QuerySet[Member]:
    return Member.objects.visible_to(user).select_related("branch", "group", "household", "user")


def member_for_page(user, pk: int) -> Member:
    """The member with ``pk`` if ``user`` may see them (404 otherwise), with their organizations."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(_page_members(user), pk=pk)


def managed_member_or_404(user, pk: int, *, perms=(access.MANAGE,), message: str | None = None) -> Member:
    """The member for a page that acts on them: 404 outside ``user``'s scope, 403 unless ``user``
    holds one of ``perms`` on the member's branch (``access.managed_or_404``)."""
    return access.managed_or_404(user, _page_members(user), perms=perms, message=message, pk=pk)


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


# Where a member may be kept: the picker of the member forms (create, transfer) and its search.
HOME_SCOPE = Scope(perm=access.MANAGE, kinds=tuple(sorted(Branch.MEMBER_HOME_KINDS)), current=True)


def manageable_home_branches(user) -> QuerySet[Branch]:
    """Current branches (党支部/党总支) where ``user`` may keep members: targets for create and transfer."""
    return HOME_SCOPE.queryset(user).order_by("path")


def groups_under(user, branch: Branch | None, *, kind: str = Branch.Kind.GROUP) -> QuerySet[Branch]:
    """Current groups (or households) below ``branch``, which the caller took from ``user``'s scope;
    none without a branch (a form offers a branch's few groups, never a city's)."""
    if branch is None:
        return Branch.objects.none()
    return Branch.objects.filter(kind=kind).current().in_subtree(branch).order_by("path")
