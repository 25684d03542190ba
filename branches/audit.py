"""The audit trail: who changed what, when and from which IP (docs/AUDIT.md).

Row-by-row saves of the models listed in ``settings.AUDITLOG_INCLUDE_TRACKING_MODELS`` are
logged by django-auditlog (before and after of each changed field). ``AuditMiddleware``
gives those entries their actor and IP address. Bulk writes (imports, recomputations, the
freeze of an activity's expected list) bypass model signals: each records ONE
``AuditBulkEvent`` through ``bulk_event_record``, with its counts and the file's SHA-256.

The trail is shown to the users who manage or review the branch (``can_see_trail``), never
to plain viewers or to the member.
"""

from __future__ import annotations

import hashlib
import os
from contextvars import ContextVar
from dataclasses import dataclass
from typing import IO

from auditlog.middleware import AuditlogMiddleware
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, Subquery

from core.http import client_ip

from . import access
from .models import AuditBulkEvent, Branch

# How many entries an object's page shows (newest first).
TRAIL_LIMIT = 50

# The request being served, for bulk events recorded by services (reset after each request).
_request: ContextVar = ContextVar("partysite_audit_request", default=None)


class AuditMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware, with two changes.

    - The client address is ``REMOTE_ADDR``; ``X-Forwarded-For`` is read only behind
      ``AUDIT_TRUSTED_PROXIES`` proxies (their own entries are the rightmost), so that a
      client cannot write any address it likes into the log.
    - The actor is the request's lazy user: it is loaded only when an entry is written, so
      pages that change nothing run no extra query.
    """

    def __call__(self, request):
        token = _request.set(request)
        try:
            return super().__call__(request)
        finally:
            _request.reset(token)

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request)

    @staticmethod
    def _get_remote_port(request):
        return None

    @staticmethod
    def _get_actor(request):
        return getattr(request, "user", None)


def current_actor_and_ip():
    """The user and IP address of the request being served (None, None outside a request)."""
    request = _request.get()
    if request is None:
        return None, None
    user = getattr(request, "user", None)
    actor = user if getattr(user, "is_authenticated", False) else None
    return actor, client_ip(request)


def current_ip() -> str | None:
    """The client address of the request being served, without loading its user (None outside a request)."""
    request = _request.get()
    return client_ip(request) if request is not None else None


def file_sha256(source: str | os.PathLike | IO[bytes]) -> str:
    """SHA-256 of a file given by path or as a binary file; the file's position is kept."""
    digest = hashlib.sha256()
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    chunks = getattr(source, "chunks", None)
    position = source.tell() if hasattr(source, "tell") else None
    if hasattr(source, "seek"):
        source.seek(0)
    if chunks is not None:
        for chunk in chunks():
            digest.update(chunk)
    else:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
    if position is not None:
        source.seek(position)
    return digest.hexdigest()


def bulk_event_record(
    *,
    kind: str,
    counts: dict,
    by=None,
    branch: Branch | None = None,
    file_name: str = "",
    file_sha256: str = "",
    obj=None,
    note: str = "",
    changes: list | None = None,
) -> AuditBulkEvent:
    """Record one bulk write. ``by`` defaults to the request's user; the IP is the request's."""
    actor, ip = current_actor_and_ip()
    if by is not None and getattr(by, "is_authenticated", False):
        actor = by
    return AuditBulkEvent.objects.create(
        kind=kind,
        branch=branch,
        actor=actor,
        remote_addr=ip,
        file_name=os.path.basename(file_name)[:255],
        file_sha256=file_sha256,
        counts={k: int(v) for k, v in counts.items()},
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=obj.pk if obj is not None else None,
        note=note[:255],
        changes=[[str(c) for c in change] for change in (changes or [])[:500]],
    )


# Reading the trail ---------------------------------------------------------------------------


def can_see_trail(user, branch: Branch) -> bool:
    """Those who manage or review ``branch`` (no query: the grants are cached on the user)."""
    return access.has_any(user, (access.MANAGE, access.REVIEW), branch)


@dataclass(frozen=True)
class TrailEntry:
    at: object
    actor: str
    ip: str
    action: str
    subject: str
    changes: list[tuple[str, str, str]]  # (field, before, after)


_ACTIONS = {
    LogEntry.Action.CREATE: "新建",
    LogEntry.Action.UPDATE: "修改",
    LogEntry.Action.DELETE: "删除",
    LogEntry.Action.ACCESS: "显示完整信息",  # the member page's audited "显示" (members.views.reveal)
}


def _actor_name(user) -> str:
    if user is None:
        return "系统"
    return user.get_full_name() or user.get_username()


def trail_for(
    obj, *, related: dict[str, int] | None = None, bulk: bool = False, limit: int = TRAIL_LIMIT
) -> list[TrailEntry]:
    """The entries of ``obj`` and of the rows whose logged ``additional_data`` names it, newest first.

    ``related`` maps a key of ``additional_data`` to a value (``{"member_id": 7}``): the entries of
    a member's positions, commendations, dues... One query, whatever the number of entries;
    ``bulk`` adds the ``AuditBulkEvent`` rows recorded on ``obj`` (one query more).
    """
    meta = obj._meta
    # The content type as a subquery (no join, no cache): the database can then combine the
    # object_id index with the expression indexes on additional_data (migration 0004).
    content_type = ContentType.objects.filter(app_label=meta.app_label, model=meta.model_name).values("pk")[:1]
    q = Q(content_type=Subquery(content_type), object_id=obj.pk)
    for key, value in (related or {}).items():
        q |= Q(**{f"additional_data__{key}": value})
    entries = list(LogEntry.objects.filter(q).select_related("actor", "content_type").order_by("-timestamp")[:limit])
    result = [_from_log(entry) for entry in entries]
    if bulk:
        events = AuditBulkEvent.objects.filter(object_type=meta.label_lower, object_id=obj.pk).select_related("actor")
        result += [_from_bulk(event) for event in events[:limit]]
    result.sort(key=lambda e: e.at, reverse=True)
    return result[:limit]


def bulk_events_for(branch: Branch, *, limit: int = TRAIL_LIMIT) -> list[TrailEntry]:
    """Bulk events of ``branch``'s subtree and of the ones above it (a site-wide recomputation)."""
    q = Q(branch__path__startswith=branch.path) | Q(branch__path__in=branch.ancestor_paths()) | Q(branch__isnull=True)
    events = AuditBulkEvent.objects.filter(q).select_related("actor")[:limit]
    return [_from_bulk(event) for event in events]


def _from_log(entry: LogEntry) -> TrailEntry:
    # Not auditlog's ``changes_display_dict``: it reads every foreign key's object, a query each.
    model = entry.content_type.model_class()
    changes = []
    for name, values in entry.changes_dict.items():
        if isinstance(values, dict):  # many-to-many changes
            continue
        before, after = (list(values) + ["", ""])[:2]
        label, before, after = _display(model, name, before, after)
        changes.append((label, before, after))
    reason = (entry.additional_data or {}).get("reason") if isinstance(entry.additional_data, dict) else None
    if reason:  # a written reason the change required (a manual check-in over a frozen 缺席/请假)
        changes.append(("理由", "", str(reason)))
    subject = f"{entry.content_type.name}：{entry.object_repr}"
    return TrailEntry(
        at=entry.timestamp,
        actor=_actor_name(entry.actor),
        ip=entry.remote_addr or "",
        action=_ACTIONS.get(entry.action, "记录"),
        subject=subject,
        changes=changes,
    )


def _from_bulk(event: AuditBulkEvent) -> TrailEntry:
    counts = [(str(k), "", str(v)) for k, v in event.counts.items()]
    counts += [tuple(change) for change in event.changes]
    if event.file_sha256:
        counts.append(("文件SHA-256", event.file_name, event.file_sha256))
    return TrailEntry(
        at=event.at,
        actor=_actor_name(event.actor),
        ip=event.remote_addr or "",
        action="批量",
        subject=event.get_kind_display() + (f"（{event.note}）" if event.note else ""),
        changes=counts,
    )


def _display(model, name: str, before, after) -> tuple[str, str, str]:
    """The field's Chinese label and its two values, choices by their label, foreign keys by number."""
    try:
        field = model._meta.get_field(name) if model is not None else None
    except Exception:
        field = None
    if field is None:
        return name, _text(before), _text(after)
    choices = dict(field.flatchoices) if getattr(field, "choices", None) else {}
    is_fk = field.many_to_one or field.one_to_one

    def show(value) -> str:
        text = _text(value)
        if text == "—":
            return text
        if choices:
            return str(choices.get(value, choices.get(text, text)))
        if is_fk:
            return f"编号{text}"
        return text

    return str(getattr(field, "verbose_name", name)), show(before), show(after)


def _text(value) -> str:
    if value in (None, "None"):
        return "—"
    return str(value)
