"""Services for the organization tree: create, rename, move, dissolve.

Each takes ``by`` (the acting user; None for the system) and writes one audit entry for the
branch: who, from which IP, each changed field before and after (shown in the branch's trail).
The entries are written here rather than by django-auditlog's signals because a move rewrites
the subtree's paths with set-based updates that send no signal. Like every service, these trust
their caller to have checked the permission (docs/ARCHITECTURE.md, "Who checks permissions").
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from auditlog.models import LogEntry
from django.db import transaction

from .audit import current_ip
from .errors import BranchError
from .models import Branch

# Other apps register checks that may refuse a dissolution (members: "still has members").
# Each takes the branch and returns a Chinese reason, or None.
DISSOLVE_CHECKS: list[Callable[[Branch], str | None]] = []

PARENT = "上级组织"  # the trail's label of a branch's parent (not a field: the tree's path holds it)


def _audit(branch: Branch, action: int, changes: dict[str, list], by) -> None:
    """One ``LogEntry`` of ``branch``: ``changes`` maps a field (or a label) to [before, after]."""
    changes = {k: [_text(before), _text(after)] for k, (before, after) in changes.items() if before != after}
    if not changes:
        return
    actor = by if getattr(by, "is_authenticated", False) else None  # None: the request's user, if any
    LogEntry.objects.log_create(branch, action=action, changes=changes, actor=actor, remote_addr=current_ip())


def _text(value) -> str:
    return "None" if value is None else str(value)


def _check_child_kind(parent: Branch | None, kind: str) -> None:
    if parent is None:
        if kind not in Branch.ROOT_KINDS:
            raise BranchError("只有党委可以作为最上级组织", code="invalid_root_kind", field="kind")
        return
    if parent.is_dissolved:
        raise BranchError(f"上级组织“{parent.name}”已撤销，不能在其下设立或移入组织", code="parent_dissolved")
    if kind not in Branch.ALLOWED_CHILDREN[parent.kind]:
        raise BranchError(
            f"{Branch.Kind(parent.kind).label}下不能设立{Branch.Kind(kind).label}",
            code="kind_not_allowed",
            field="kind",
        )


def branch_create(
    *,
    parent: Branch | None,
    name: str,
    kind: str,
    code: str,
    grid_name: str = "",
    established_on: datetime.date | None = None,
    by=None,
) -> Branch:
    """Create a branch under ``parent`` (a root when None), enforcing the allowed-children rule."""
    name, code = name.strip(), code.strip()
    if not name:
        raise BranchError("名称不能为空", code="name_required", field="name")
    if not code:
        raise BranchError("组织编码不能为空", code="code_required", field="code")
    if kind not in Branch.Kind.values:
        raise BranchError(f"未知的组织类型“{kind}”", code="unknown_kind", field="kind")
    _check_child_kind(parent, kind)
    with transaction.atomic():
        if Branch.objects.filter(code=code).exists():
            raise BranchError(f"组织编码“{code}”已被使用", code="duplicate_code", field="code")
        fields = dict(name=name, kind=kind, code=code, grid_name=grid_name.strip(), established_on=established_on)
        if parent is None:
            branch = Branch.objects.add_root(fields)
        else:
            parent.refresh_from_db()
            branch = Branch.objects.add_child(parent, fields)
        changes = {key: [None, value or None] for key, value in fields.items()}
        _audit(branch, LogEntry.Action.CREATE, {**changes, PARENT: [None, parent and parent.name]}, by)
    return branch


def branch_rename(*, branch: Branch, name: str, grid_name: str | None = None, by=None) -> Branch:
    name = name.strip()
    if not name:
        raise BranchError("名称不能为空", code="name_required", field="name")
    changes = {"name": [branch.name, name]}
    branch.name = name
    if grid_name is not None:
        changes["grid_name"] = [branch.grid_name, grid_name.strip()]
        branch.grid_name = grid_name.strip()
    with transaction.atomic():
        branch.save(update_fields=list(changes))
        _audit(branch, LogEntry.Action.UPDATE, changes, by)
    return branch


def branch_move(*, branch: Branch, new_parent: Branch, by=None) -> Branch:
    """Move ``branch`` with its whole subtree under ``new_parent``."""
    branch.refresh_from_db()
    new_parent.refresh_from_db()
    old_parent = Branch.objects.get_parent(branch, update=True)
    if new_parent.path.startswith(branch.path):
        raise BranchError("不能把组织移到它自己或它的下级组织之下", code="move_into_subtree")
    if branch.is_dissolved:
        raise BranchError("已撤销的组织不能移动", code="dissolved")
    _check_child_kind(new_parent, branch.kind)
    with transaction.atomic():
        Branch.objects.move(branch, new_parent, pos="last-child")
        branch.refresh_from_db()
        _audit(branch, LogEntry.Action.UPDATE, {PARENT: [old_parent and old_parent.name, new_parent.name]}, by)
    return branch


def branch_dissolve(*, branch: Branch, on: datetime.date, by=None) -> Branch:
    """Mark ``branch`` dissolved on ``on``; nothing is deleted, its history stays."""
    if branch.is_dissolved:
        raise BranchError(f"“{branch.name}”已于{branch.dissolved_on:%Y年%m月%d日}撤销", code="already_dissolved")
    if Branch.objects.in_subtree(branch).exclude(pk=branch.pk).current().exists():
        raise BranchError(f"“{branch.name}”还有未撤销的下级组织，请先撤销或移走", code="has_children")
    for check in DISSOLVE_CHECKS:
        reason = check(branch)
        if reason:
            raise BranchError(reason, code="not_empty")
    if branch.established_on and on < branch.established_on:
        raise BranchError("撤销日期不能早于成立日期", code="dissolved_before_established")
    with transaction.atomic():
        branch.dissolved_on = on
        branch.save(update_fields=["dissolved_on"])
        _audit(branch, LogEntry.Action.UPDATE, {"dissolved_on": [None, on]}, by)
    return branch
