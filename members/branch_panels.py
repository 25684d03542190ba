"""What the members app adds to the organization pages (``branches`` may not import members).

- a count source: active 正式/预备 members and left members, for every node of the tree;
- two panels of the branch page: its current positions, and its first members.

``register()`` is called from ``MembersConfig.ready()``.
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.db.models.functions import Coalesce, Substr
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from branches import access, panels, selectors
from branches.models import Branch, paths_q

from .models import Member, Position

LEFT = "left"
MEMBER_PANEL_SIZE = 50

# A member counts at their household, else their group, else their branch: the deepest unit.
_UNIT_PATH = Coalesce("household__path", "group__path", "branch__path")


def unit_members_q(branch: Branch) -> Q:
    """Members belonging to ``branch``'s subtree (a group's or household's own members for those)."""
    if branch.kind == Branch.Kind.GROUP:
        return Q(group=branch)
    if branch.kind == Branch.Kind.HOUSEHOLD:
        return Q(household=branch)
    return Q(branch__path__startswith=branch.path)


def member_count_rows(paths, prefix_len: int):
    """``(unit path cut to prefix_len, full|probationary|left, count)`` for the subtrees at ``paths``.

    One GROUP BY query. Members of a branch above a root group are included so that the
    group's own members are counted; their other rows only add to nodes not shown.
    """
    step = Branch.steplen
    above = {path[:end] for path in paths for end in range(step, len(path), step)}
    rows = (
        Member.objects.filter(paths_q(paths, "branch__path") | Q(branch__path__in=above))
        .annotate(unit=Substr(_UNIT_PATH, 1, prefix_len))
        .values_list("unit", "status", "is_active")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for unit, status, is_active, count in rows:
        yield unit, (status if is_active else LEFT), count


MEMBER_COUNTS = selectors.CountSource(
    columns=(
        (Member.Status.FULL.value, _("正式党员")),
        (Member.Status.PROBATIONARY.value, _("预备党员")),
        (LEFT, _("已离册")),
    ),
    rows=member_count_rows,
)


def _roster_url() -> str:
    """The roster page if it exists yet, else its planned path."""
    try:
        return reverse("members:list")
    except NoReverseMatch:
        return "/members/"


def _roster_query(branch: Branch) -> str:
    """The roster filter showing this branch's members (none for a household: all are shown)."""
    if branch.kind == Branch.Kind.HOUSEHOLD:
        return ""
    field = "group" if branch.kind == Branch.Kind.GROUP else "branch"
    return urlencode({field: branch.code})


def positions_panel(request, branch: Branch) -> panels.Panel:
    title_order = {title: i for i, title in enumerate(Position.Title.values)}
    current = Position.objects.filter(branch=branch, ended_on__isnull=True).select_related("member")
    positions = sorted(current, key=lambda p: (title_order[p.title], p.started_on, p.pk))
    context = {
        "branch": branch,
        "positions": positions,
        "can_manage": access.has_perm(request.user, access.MANAGE, branch) and not branch.is_dissolved,
        "today": timezone.localdate(),
    }
    return panels.Panel("members/positions_panel.html", context, order=10)


def members_panel(request, branch: Branch) -> panels.Panel:
    found = list(
        Member.objects.visible_to(request.user)
        .active()
        .filter(unit_members_q(branch))
        .select_related("branch")
        .order_by("name_pinyin", "name", "pk")[: MEMBER_PANEL_SIZE + 1]
    )
    context = {
        "members": found[:MEMBER_PANEL_SIZE],
        "more": len(found) > MEMBER_PANEL_SIZE,
        "size": MEMBER_PANEL_SIZE,
        "roster_url": _roster_url(),
        "roster_query": _roster_query(branch),
    }
    return panels.Panel("members/branch_members_panel.html", context, order=30)


def register() -> None:
    selectors.register_count_source(MEMBER_COUNTS)
    panels.register(positions_panel)
    panels.register(members_panel)
