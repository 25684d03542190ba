"""Figures of a large subtree, computed at most every few minutes (issue 15, "Every page at city scale").

Some figures of a page read every row of a subtree: the compliance of each unit, the 党章 art. 9
warning, the dues arrears. Over a city (2,149 organizations, 48,909 members) that is hundreds of
thousands of rows and hundreds of milliseconds, whatever the page shows. Over a subtree of more than
``LARGE_SUBTREE_BRANCHES`` nodes those pages show a summary per child, each child a link to the
same page for it (the drill-down), and ``kept`` keeps the figures in the cache (Redis with
``REDIS_URL``, else the process's memory) for ``SUBTREE_SUMMARY_SECONDS``; the page says when they
were computed. A smaller subtree (a secretary's branch, a village) is computed at every request.

Nothing is invalidated: a meeting held a minute ago shows in a city's figures within those minutes,
and at once on its own branch's pages. docs/PERFORMANCE.md, "Pages".
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from .models import Branch

T = TypeVar("T")
VERSION = "1"  # part of every key: change it when a kept value's shape changes


@dataclass(frozen=True)
class Kept(Generic[T]):
    value: T
    computed_at: datetime.datetime | None = None  # None: computed for this request


def is_large(branch: Branch) -> bool:
    """Whether ``branch``'s subtree has more than ``LARGE_SUBTREE_BRANCHES`` nodes (one count query)."""
    limit = settings.LARGE_SUBTREE_BRANCHES
    return Branch.objects.filter(path__startswith=branch.path)[: limit + 1].count() > limit


def kept(name: str, branch: Branch, parts: Iterable, compute: Callable[[], T], *, large: bool | None = None) -> Kept[T]:
    """``compute()`` for a small subtree; for a large one the value kept under ``name``, ``branch`` and
    ``parts`` (e.g. the period), computed and kept for ``SUBTREE_SUMMARY_SECONDS`` when missing.
    ``large``: the caller already asked ``is_large``."""
    if not (is_large(branch) if large is None else large):
        return Kept(compute())
    key = ":".join(["subtree", VERSION, name, str(branch.pk), *(str(p) for p in parts)])
    try:
        found = cache.get(key)
    except Exception:  # noqa: BLE001 - a cache outage must not take the page down: computed then
        found = None
    if isinstance(found, Kept):
        return found
    value = Kept(compute(), timezone.now())
    try:
        cache.set(key, value, settings.SUBTREE_SUMMARY_SECONDS)
    except Exception:  # noqa: BLE001
        pass
    return value


def child_prefix(path: str) -> int:
    """The length of a child's path below ``path`` (``path[:n]`` of a descendant names its child)."""
    return len(path) + Branch.steplen
