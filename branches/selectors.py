"""Read queries for the organization tree: the visible tree with its subtree counts.

Counts of things that live in later apps (members by status, say) cannot be queried here,
since ``branches`` may import no app to its right. Those apps register a ``CountSource``
instead: one function that returns aggregate rows ``(branch path, key, count)`` for a set
of subtrees in ONE query. This module rolls the rows up to every ancestor in Python, so a
whole visible tree costs one query per source, however many nodes it has.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Q

from . import access
from .models import Branch, minimal_paths
from .summaries import kept

# Rows of ``(path, key, count)``; ``path`` may be cut to ``prefix_len`` characters (an
# ancestor at the deepest shown level), which is all the roll-up needs.
CountRows = Iterable[tuple[str, str, int]]


@dataclass(frozen=True)
class CountSource:
    """Counts another app attaches to every branch: labelled columns and their rows."""

    columns: tuple[tuple[str, str], ...]  # (key, Chinese label), in display order
    rows: Callable[[Sequence[str], int], CountRows]  # (root paths, prefix_len) -> rows


COUNT_SOURCES: list[CountSource] = []

DEFAULT_DEPTH = 3
LARGE_DEPTH = 2  # the default over a large subtree (branches.summaries): a city and its towns
MAX_DEPTH = 6


def register_count_source(source: CountSource) -> None:
    """Add ``source`` once (an app's ``ready()`` may run more than once in tests)."""
    if source not in COUNT_SOURCES:
        COUNT_SOURCES.append(source)


def count_columns() -> list[tuple[str, str]]:
    """(key, label) of every count, labels translated once here rather than on every node."""
    return [(key, str(label)) for source in COUNT_SOURCES for key, label in source.columns]


@dataclass
class TreeNode:
    branch: Branch
    totals: dict[str, int]  # key -> count over the branch's whole subtree
    columns: list[tuple[str, str]]
    children: list[TreeNode] = field(default_factory=list)
    cut: bool = False  # has children below the deepest level shown

    @property
    def cells(self) -> list[tuple[str, int]]:
        """(label, count) in column order, for templates."""
        return [(label, self.totals[key]) for key, label in self.columns]


@dataclass
class TreeRow:
    """One node of a flattened tree: rendering a flat list is far cheaper than nested includes."""

    node: TreeNode
    is_top: bool
    closes: range  # how many enclosing open nodes end right after this one


def flatten(nodes: Sequence[TreeNode]) -> list[TreeRow]:
    """Depth-first rows of ``nodes``; a node with children opens a level that a later row closes."""
    rows: list[TreeRow] = []

    def visit(node: TreeNode, is_top: bool) -> None:
        rows.append(TreeRow(node=node, is_top=is_top, closes=range(0)))
        for child in node.children:
            visit(child, False)
        if node.children:
            last = rows[-1]
            last.closes = range(len(last.closes) + 1)

    for node in nodes:
        visit(node, True)
    return rows


def subtree_counts(roots: Sequence[Branch], *, deepest: int) -> dict[str, Counter]:
    """Totals of each branch's whole subtree, for branches down to depth ``deepest``.

    One query per registered source for all of ``roots`` together.
    """
    paths = minimal_paths(b.path for b in roots)
    totals: dict[str, Counter] = defaultdict(Counter)
    if not paths:
        return totals
    step = Branch.steplen
    for source in COUNT_SOURCES:
        for path, key, count in source.rows(paths, deepest * step):
            for end in range(step, len(path) + 1, step):
                totals[path[:end]][key] += count
    return totals


def top_branches(user) -> list[Branch]:
    """The roots of the subtrees ``user`` may read (every root of the tree for a superuser)."""
    if "" in access.visible_paths(user):
        return list(Branch.objects.get_root_nodes())
    return list(access.top_branches(user))


def tree_with_counts(
    roots: Sequence[Branch], *, depth: int = DEFAULT_DEPTH, dissolved: bool = False, large: bool = False
) -> list[TreeNode]:
    """The trees under ``roots``, ``depth`` levels deep (roots included), with subtree counts.

    Two queries plus one per count source, whatever the size of the tree. Dissolved
    branches are left out unless ``dissolved`` (a root is always shown). ``large``: one root, a
    large subtree (``branches.summaries``, a city) whose counts are kept a few minutes.
    """
    if not roots:
        return []
    depth = max(1, min(depth, MAX_DEPTH))
    limits = {root.path: root.depth + depth - 1 for root in roots}
    shown = Q(pk__in=[])
    for root in roots:
        shown |= Q(path__startswith=root.path, depth__lte=limits[root.path])
    branches = Branch.objects.filter(shown)
    if not dissolved:
        branches = branches.filter(Q(dissolved_on__isnull=True) | Q(pk__in=[r.pk for r in roots]))
    deepest = max(limits.values())
    if large:
        totals = kept(
            "tree_counts", roots[0], [deepest], lambda: dict(subtree_counts(roots, deepest=deepest)), large=True
        )
        totals = totals.value
    else:
        totals = subtree_counts(roots, deepest=deepest)
    return _assemble(list(branches), roots, limits, totals, count_columns())


def _assemble(branches, roots, limits, totals, columns) -> list[TreeNode]:
    nodes: dict[str, TreeNode] = {}
    root_paths = {root.path for root in roots}
    tops: list[TreeNode] = []
    for branch in branches:  # in path order: a parent comes before its children
        counts = totals.get(branch.path, Counter())
        node = TreeNode(branch=branch, totals={key: counts[key] for key, _ in columns}, columns=columns)
        limit = next(limits[p] for p in limits if branch.path.startswith(p))
        node.cut = branch.numchild > 0 and branch.depth >= limit
        nodes[branch.path] = node
        if branch.path in root_paths:
            tops.append(node)
        elif (parent := nodes.get(branch.path[: -Branch.steplen])) is not None:
            parent.children.append(node)
    return tops


def ancestors(branch: Branch) -> list[Branch]:
    """Every ancestor of ``branch``, root first (one query)."""
    return list(Branch.objects.filter(path__in=branch.ancestor_paths()[:-1]))


def search_visible(user, text: str, *, limit: int = 50) -> list[Branch]:
    """Visible branches whose name or code contains ``text``."""
    text = text.strip()
    if not text:
        return []
    found = access.visible_branches(user).filter(Q(name__icontains=text) | Q(code__icontains=text))
    return list(found[:limit])
