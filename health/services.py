"""政治体检 services: the rubric in force, computing a subtree's checks, and the review workflow.

Workflow: computed (待提交) → adjusted and submitted by the branch → approved or returned by
the organization department → published to the member. A recomputation updates only checks
the branch may still change (待提交, 已退回): a submitted check is under review, an approved or
published one is final. Every step writes a ``HealthCheckEvent`` with who, when and why.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Subquery
from django.utils import timezone

from branches import access
from branches.audit import bulk_event_record
from branches.models import AuditBulkEvent, Branch
from core.errors import DomainError
from core.labels import source_label
from core.periods import QUARTER, YEAR, Period

from . import rubric as rules
from . import selectors
from .models import HealthCheck, HealthCheckEvent, Rubric, RubricSnapshot

CENT = Decimal("0.01")
Status = HealthCheck.Status
Kind = HealthCheckEvent.Kind


class HealthError(DomainError):
    pass


# A health check covers a calendar year, or a quarter for interim checks.
PERIOD_KINDS = (YEAR, QUARTER)


def health_period(text: str) -> Period:
    """``Period.parse`` for a health check's period (a year or a quarter); ``ValueError`` otherwise."""
    return Period.parse(text, kinds=PERIOD_KINDS, name="考核期")


def period_parse(code: str) -> Period:
    try:
        return health_period(code)
    except ValueError as exc:
        raise HealthError(str(exc), code="invalid_period", field="period") from None


def _require(user, perm: str, branch: Branch) -> None:
    if user is None or not access.has_perm(user, perm, branch):
        raise HealthError("您没有此操作的权限", code="forbidden")


# ---------------------------------------------------------------------------- rubrics


def rubric_save(*, branch: Branch | None, year: int, config: dict, name: str = "", by=None) -> Rubric:
    """Create or replace the rubric of ``branch``'s subtree from ``year`` on (organization department).

    ``branch`` None: the site-wide rubric (superusers only).
    """
    if branch is None:
        if by is not None and not by.is_superuser:
            raise HealthError("只有系统管理员可以修改全局评分细则", code="forbidden")
    elif by is not None:
        _require(by, access.REVIEW, branch)
    problems = rules.validate(config)
    if problems:
        raise HealthError("；".join(problems), code="invalid_rubric", field="config")
    rubric, _ = Rubric.objects.update_or_create(
        branch=branch,
        year=year,
        defaults={"config": config, "name": name or config.get("name") or "评分细则", "updated_by": by},
    )
    return rubric


def rubric_in_force(*, branch: Branch, year: int) -> tuple[Rubric | None, dict]:
    """The rubric for members of ``branch`` in ``year`` (``None`` and the default when none is saved)."""
    return selectors.rubric_resolver(paths=[branch.path], year=year)(branch.path)


# ---------------------------------------------------------------------------- computation


@dataclass
class ComputeResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    locked: int = 0  # submitted, approved or published: left as they are
    removed: int = 0  # drafts of members not scored here for the period (off the roster, or elsewhere)


# The columns a recomputation may rewrite; status, adjustment and its reason stay.
COMPUTED_FIELDS = [
    "branch",
    "rubric",
    "snapshot",
    "items",
    "bonus",
    "deduction",
    "vetoed",
    "subtotal",
    "total",
    "grade",
    "computed_at",
]


def _fingerprint(values: dict) -> tuple:
    return (
        values["branch_id"],
        values["rubric_id"],
        values["snapshot_id"],
        values["items"],
        Decimal(values["bonus"]),
        Decimal(values["deduction"]),
        values["vetoed"],
        Decimal(values["subtotal"]),
        Decimal(values["total"]),
        values["grade"],
    )


def rubric_digest(config: dict) -> str:
    """SHA-256 of a rubric's canonical JSON: equal contents, equal digests."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def rubric_snapshots_save(*, configs: dict) -> dict:
    """The snapshot of each of ``configs``' contents (same keys), saved the first time it is scored with.

    Two queries whatever the number of configs: an insert that skips known digests, and a read.
    """
    digests = {key: rubric_digest(config) for key, config in configs.items()}
    if not digests:
        return {}
    new = {digest: RubricSnapshot(digest=digest, config=configs[key]) for key, digest in digests.items()}
    RubricSnapshot.objects.bulk_create(new.values(), ignore_conflicts=True)
    saved = RubricSnapshot.objects.in_bulk(list(new), field_name="digest")
    return {key: saved[digest] for key, digest in digests.items()}


def health_checks_compute(*, period: str, branch: Branch | None = None, by=None) -> ComputeResult:
    """Compute every member's check for ``period`` in ``branch``'s subtree (the whole site: None).

    A handful of aggregate queries for the whole subtree (``selectors.member_facts``), the
    rubric's arithmetic in Python (``rubric.score``) and one bulk upsert. Rows whose computed
    content did not change are not written, so running it twice changes nothing; submitted,
    approved and published checks are never touched (their rows are locked while computing).
    """
    p = period_parse(period)
    with transaction.atomic():
        result = _compute(p, branch, by)
        bulk_event_record(
            kind=AuditBulkEvent.Kind.COMPUTE_HEALTH,
            counts={
                "新增": result.created,
                "更新": result.updated,
                "未变": result.unchanged,
                "已锁定": result.locked,
                "移除": result.removed,
            },
            by=by,
            branch=branch,
            note=p.label,
        )
    return result


def _compute(p: Period, branch: Branch | None, by) -> ComputeResult:
    """Score every member of the subtree with ``rubric.score`` and upsert the checks that changed."""
    scored = selectors.roster(period=p, branch=branch)
    facts = selectors.member_facts(period=p, branch=branch, scored=scored)
    resolve = selectors.rubric_resolver(paths=[m.branch_path for m in facts.values()], year=p.year)
    existing = selectors.existing_checks(period=p, scored=scored)  # locked until the transaction ends
    snapshots = _snapshots_in_force(facts.values(), resolve)
    result, changes, now = ComputeResult(), [], timezone.now()
    for member_id, f in facts.items():
        old = existing.get(member_id)
        if old is not None and old["status"] in HealthCheck.LOCKED:
            result.locked += 1
            continue
        rubric, config = resolve(f.branch_path)
        row = _scored(member_id, f, rubric, config, snapshots[rubric.pk if rubric else None], old)
        if row is None:
            result.unchanged += 1
            continue
        row.period, row.computed_at = p.label, now
        changes.append((row, old))
    written = _write(changes, p.label, now)
    _log_computed(written, by)
    result.created = sum(1 for _, old in written if old is None)
    result.updated = len(written) - result.created
    result.unchanged += len(changes) - len(written)  # created meanwhile by a concurrent computation
    result.removed = _remove_unscored(p, branch, scored)
    return result


def _remove_unscored(p: Period, branch: Branch | None, scored: selectors.Roster) -> int:
    """Delete the subtree's editable checks of ``p`` whose member is not scored here for it: off the
    roster in the period (a death or a leaving recorded late), or in another branch at its end (a
    transfer recorded late; that branch's computation makes theirs). Locked checks stay. Audited
    row by row (django-auditlog) and counted in the computation's audit event."""
    stale = HealthCheck.objects.filter(period=p.label, status__in=HealthCheck.EDITABLE).exclude(
        member_id__in=Subquery(scored.ids)
    )
    if branch is not None:
        stale = stale.filter(branch__path__startswith=branch.path)
    ids = list(stale.values_list("pk", flat=True))
    if ids:
        HealthCheck.objects.filter(pk__in=ids).delete()
    return len(ids)


def _snapshots_in_force(facts, resolve) -> dict:
    """The snapshot of each rubric in force (None: the default), saved the first time it scores."""
    in_force = {}  # a handful
    for f in facts:
        rubric, config = resolve(f.branch_path)
        in_force.setdefault(rubric.pk if rubric else None, config)
    return rubric_snapshots_save(configs=in_force)


def _scored(member_id: int, f: selectors.FactsRow, rubric, config: dict, snapshot, old: dict | None):
    """The member's check as ``rubric.score`` makes it; None when it equals the existing one."""
    adjustment = Decimal(old["adjustment"]) if old else Decimal(0)
    s = rules.score(config, f.facts, adjustment)
    values = {
        "branch_id": f.branch_id,
        "snapshot_id": snapshot.pk,
        "items": [i.as_json() for i in s.items],
        "bonus": s.bonus,
        "deduction": s.deduction,
        "vetoed": s.vetoed,
        "subtotal": s.subtotal,
        "total": s.total,
        "grade": s.grade,
    }
    if old is not None and _fingerprint(old) == _fingerprint({**values, "rubric_id": rubric.pk if rubric else None}):
        return None  # no model instance for a check that stays as it is
    row = HealthCheck(member_id=member_id, rubric=rubric, **values)
    row.snapshot = snapshot
    return row


def _write(changes: list, period: str, now) -> list:
    """Insert the new checks and update the changed ones; returns the changes actually written.

    A changed check was read locked (``selectors.existing_checks``), so its status cannot have
    moved since. A new one is inserted only if it is still absent (``ignore_conflicts``): a
    concurrent computation may have created it meanwhile, and the branch may already have
    submitted it, so an upsert could rewrite a submitted check's score. Such a row is left to
    the computation that wrote it, not counted and not logged here.
    """
    new = [row for row, old in changes if old is None]
    HealthCheck.objects.bulk_create(new, ignore_conflicts=True, batch_size=2000)
    if new:
        mine = selectors.check_ids(period=period, member_ids=[r.member_id for r in new], computed_at=now)
        for row in new:
            row.pk = mine.get(row.member_id)
    for row, old in changes:
        if old is not None:
            row.pk = old["pk"]
    HealthCheck.objects.bulk_update([row for row, old in changes if old is not None], COMPUTED_FIELDS, batch_size=1000)
    return [(row, old) for row, old in changes if row.pk is not None]


def _log_computed(changes, by) -> None:
    if not changes:
        return
    events = []
    for row, old in changes:
        if old is None:
            detail = f"总分 {row.total}"
        else:
            detail = f"总分 {Decimal(old['total']):.2f} → {row.total}"
        events.append(HealthCheckEvent(health_check_id=row.pk, kind=Kind.COMPUTED, by=by, detail=detail))
    HealthCheckEvent.objects.bulk_create(events, batch_size=2000)


# ---------------------------------------------------------------------------- review


def health_check_adjust(*, check: HealthCheck, adjustment, reason: str, by) -> HealthCheck:
    """The branch's adjustment of a check, at most the rubric's limit (±5) either way, with a reason."""
    _require(by, access.MANAGE, check.branch)
    try:
        adjustment = Decimal(str(adjustment)).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise HealthError("调整分值应为数字", code="invalid_adjustment", field="adjustment") from None
    limit = Decimal(str(check.rubric_snapshot.get("adjustment_limit", "5")))
    if abs(adjustment) > limit:
        raise HealthError(f"调整分值不能超过±{limit:g}分", code="adjustment_too_large", field="adjustment")
    if not reason.strip():
        raise HealthError("调整须填写书面理由", code="reason_required", field="reason")
    with transaction.atomic():
        check = HealthCheck.objects.select_for_update().select_related("branch").get(pk=check.pk)
        if not check.is_editable:
            raise HealthError(f"该体检结果{check.get_status_display()}，不能调整", code="not_editable")
        old_total = check.total
        check.total, check.grade = rules.finalize(
            check.rubric_snapshot, subtotal=check.subtotal, adjustment=adjustment, vetoed=check.vetoed
        )
        check.adjustment, check.adjustment_reason = adjustment, reason.strip()
        check.save(update_fields=["adjustment", "adjustment_reason", "total", "grade", "updated_at"])
        HealthCheckEvent.objects.create(
            health_check=check,
            kind=Kind.ADJUSTED,
            by=by,
            detail=f"调整 {adjustment:+.2f} 分，总分 {old_total} → {check.total}",
            comment=check.adjustment_reason,
        )
    return check


def _transition(*, branch, period: str, by, perm: str, from_statuses, to: str, kind: str, comment: str = "") -> int:
    """Move every check of ``branch`` for ``period`` in ``from_statuses`` to ``to``; returns how many."""
    _require(by, perm, branch)
    p = period_parse(period)
    with transaction.atomic():
        rows = list(
            HealthCheck.objects.select_for_update()
            .filter(branch=branch, period=p.label, withdrawn_at=None)  # withdrawn: kept as they were
            .values_list("pk", "status")
        )
        if not rows:
            raise HealthError(f"“{branch.name}”{p.display_zh}尚无体检结果", code="nothing_to_do")
        ids = [pk for pk, status in rows if status in from_statuses]
        if not ids:
            raise _refusal(kind, Counter(status for _, status in rows))
        HealthCheck.objects.filter(pk__in=ids).update(status=to, updated_at=timezone.now())
        HealthCheckEvent.objects.bulk_create(
            [HealthCheckEvent(health_check_id=pk, kind=kind, by=by, comment=comment) for pk in ids], batch_size=2000
        )
        bulk_event_record(
            kind=AuditBulkEvent.Kind.HEALTH_TRANSITION,
            counts={"条数": len(ids)},
            by=by,
            branch=branch,
            note=f"{p.label} {source_label(HealthCheckEvent.Kind, kind)}",
        )
    return len(ids)


def _refusal(kind: str, statuses: dict) -> HealthError:
    if kind == Kind.SUBMITTED:
        if statuses.get(Status.SUBMITTED):
            return HealthError("本期体检结果已提交，请等待审核", code="already_submitted")
        return HealthError("本期体检结果已审核，不能再次提交", code="not_editable")
    if kind == Kind.PUBLISHED:
        if statuses.get(Status.PUBLISHED) and not statuses.get(Status.SUBMITTED):
            return HealthError("本期体检结果已公示", code="already_published")
        return HealthError("只能公示已审核的体检结果", code="not_approved")
    if statuses.get(Status.APPROVED) or statuses.get(Status.PUBLISHED):
        return HealthError("本期体检结果已审核", code="already_approved")
    return HealthError("支部尚未提交本期体检结果", code="not_submitted")


def health_checks_submit(*, branch: Branch, period: str, by) -> int:
    """The branch submits its checks (待提交 and 已退回) for review."""
    return _transition(
        branch=branch,
        period=period,
        by=by,
        perm=access.MANAGE,
        from_statuses=HealthCheck.EDITABLE,
        to=Status.SUBMITTED,
        kind=Kind.SUBMITTED,
    )


def health_checks_approve(*, branch: Branch, period: str, by, comment: str = "") -> int:
    """The organization department approves the branch's submitted checks."""
    return _transition(
        branch=branch,
        period=period,
        by=by,
        perm=access.REVIEW,
        from_statuses={Status.SUBMITTED},
        to=Status.APPROVED,
        kind=Kind.APPROVED,
        comment=comment.strip(),
    )


def health_checks_return(*, branch: Branch, period: str, by, comment: str) -> int:
    """The organization department returns the branch's submitted checks, saying why."""
    if not comment.strip():
        raise HealthError("退回须填写意见", code="comment_required", field="comment")
    return _transition(
        branch=branch,
        period=period,
        by=by,
        perm=access.REVIEW,
        from_statuses={Status.SUBMITTED},
        to=Status.RETURNED,
        kind=Kind.RETURNED,
        comment=comment.strip(),
    )


def health_checks_publish(*, branch: Branch, period: str, by) -> int:
    """Publish the branch's approved checks: each member then sees their own breakdown."""
    return _transition(
        branch=branch,
        period=period,
        by=by,
        perm=access.REVIEW,
        from_statuses={Status.APPROVED},
        to=Status.PUBLISHED,
        kind=Kind.PUBLISHED,
    )
