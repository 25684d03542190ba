"""The audit trail: who changed what, when and from which IP (docs/AUDIT.md).

Row-by-row saves of the models listed in ``settings.AUDITLOG_INCLUDE_TRACKING_MODELS`` are
logged by django-auditlog (before and after of each changed field). ``AuditMiddleware``
gives those entries their actor and IP address. Bulk writes (imports, recomputations, the
freeze of an activity's expected list) bypass model signals: each records ONE
``AuditBulkEvent`` through ``bulk_event_record``, with its counts and the file's SHA-256.

The trail is shown to the users who manage or review the branch (``can_see_trail``), never
to plain viewers or to the member, as people read it: local time, names, labels (below).
"""

from __future__ import annotations

import datetime
import hashlib
import os
import re
from contextvars import ContextVar
from dataclasses import dataclass
from typing import IO

from auditlog.middleware import AuditlogMiddleware
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.http import client_ip

from . import access
from .models import AuditBulkEvent, Branch
from .trail_names import Names, Ref

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
#
# What people read (docs/AUDIT.md, "Reading the trail"): local time, names instead of ids, the
# fields' labels and the choices' labels instead of stored values, no related-manager internals,
# file hashes for auditors only. Every name a page needs is read in ONE query (``Names``).

# The format of every time on the trail, in the site's time zone (Asia/Shanghai).
TIME_FORMAT = "%Y-%m-%d %H:%M"

# A related manager's text ("activities.Attendance.None"): django-auditlog 3 logs an object's
# reverse relations on create and delete as the manager's str().
_MANAGER_TEXT = re.compile(r"^\w+\.\w+\.None$")
# A member named by number in a stored bulk-event line ("党员编号12", activities.services' hours).
_MEMBER_NUMBER = re.compile(r"^党员编号(\d+)$")
# A value longer than this is cut on the page (minutes, reasons); the log keeps it whole.
_VALUE_CHARS = 200

_ACTIONS = {
    LogEntry.Action.CREATE: gettext_lazy("新建"),
    LogEntry.Action.UPDATE: gettext_lazy("修改"),
    LogEntry.Action.DELETE: gettext_lazy("删除"),
    LogEntry.Action.ACCESS: gettext_lazy("显示完整信息"),  # the member page's audited "显示" (members.views.reveal)
}
# Count keys some services record in English (members/accounts.py).
_COUNT_LABELS = {
    "voided": gettext_lazy("作废旧码"),
    "positions": gettext_lazy("职务"),
    "confirmed": gettext_lazy("已确认职务"),
}


def can_see_trail(user, branch: Branch) -> bool:
    """Those who manage or review ``branch`` (no query: the grants are cached on the user)."""
    return access.has_any(user, (access.MANAGE, access.REVIEW), branch)


def can_see_file_details(user) -> bool:
    """Auditors see the files' SHA-256 and storage names; secretaries see the file's own name.

    ``branches/access.py`` has no auditor role, so the auditors are the superusers (the site's
    administrators, who read the whole log in the admin anyway).
    """
    return bool(getattr(user, "is_superuser", False))


@dataclass(frozen=True)
class TrailEntry:
    at: datetime.datetime
    actor: str
    ip: str
    action: str
    subject: str
    changes: list[tuple[str, str, str]]  # (field's label, before, after)

    @property
    def at_text(self) -> str:
        """The time in the site's time zone, e.g. ``2026-12-07 09:41``."""
        return local_time_text(self.at)

    @property
    def at_iso(self) -> str:
        return timezone.localtime(self.at).isoformat(timespec="minutes")


def local_time_text(value: datetime.datetime) -> str:
    return timezone.localtime(value).strftime(TIME_FORMAT)


def trail_for(
    obj,
    *,
    related: dict[str, int] | None = None,
    bulk: bool = False,
    limit: int = TRAIL_LIMIT,
    viewer=None,
) -> list[TrailEntry]:
    """The entries of ``obj`` and of the rows whose logged ``additional_data`` names it, newest first.

    ``related`` maps a key of ``additional_data`` to a value (``{"member_id": 7}``): the entries of
    a member's positions, commendations, dues... One query, whatever the number of entries;
    ``bulk`` adds the ``AuditBulkEvent`` rows recorded on ``obj`` (one query more), and the names
    the entries mention (actors, members, branches, activities) are read in one query more.
    ``viewer`` decides whether file hashes are shown (``can_see_file_details``).
    """
    meta = obj._meta
    # The content type as a subquery (no join, no cache): the database can then combine the
    # object_id index with the expression indexes on additional_data (migration 0004).
    content_type = ContentType.objects.filter(app_label=meta.app_label, model=meta.model_name).values("pk")[:1]
    q = Q(content_type=Subquery(content_type), object_id=obj.pk)
    for key, value in (related or {}).items():
        q |= Q(**{f"additional_data__{key}": value})
    entries = list(LogEntry.objects.filter(q).select_related("content_type").order_by("-timestamp")[:limit])
    events = []
    if bulk:
        events = list(AuditBulkEvent.objects.filter(object_type=meta.label_lower, object_id=obj.pk)[:limit])
    return _render(entries, events, viewer=viewer)[:limit]


def bulk_events_for(branch: Branch, *, limit: int = TRAIL_LIMIT, viewer=None) -> list[TrailEntry]:
    """Bulk events of ``branch``'s subtree and of the ones above it (a site-wide recomputation)."""
    q = Q(branch__path__startswith=branch.path) | Q(branch__path__in=branch.ancestor_paths()) | Q(branch__isnull=True)
    return _render([], list(AuditBulkEvent.objects.filter(q)[:limit]), viewer=viewer)


def _render(entries: list[LogEntry], events: list[AuditBulkEvent], *, viewer) -> list[TrailEntry]:
    """Two passes: each row notes the names it needs, one query reads them, then the rows are written."""
    names = Names()
    details = can_see_file_details(viewer)
    drafts = [_from_log(entry, names, details) for entry in entries]
    drafts += [_from_bulk(event, names, details) for event in events]
    names.load()
    result = [draft.resolve(names) for draft in drafts]
    result.sort(key=lambda e: e.at, reverse=True)
    return result


# One entry ---------------------------------------------------------------------------------------


@dataclass
class _Draft:
    at: datetime.datetime
    actor: Ref | str
    ip: str
    action: str
    subject: list  # pieces: text or Ref
    changes: list[tuple]

    def resolve(self, names: Names) -> TrailEntry:
        return TrailEntry(
            at=self.at,
            actor=names.text(self.actor),
            ip=self.ip,
            action=str(self.action),
            subject="".join(names.text(piece) for piece in self.subject),
            changes=[tuple(names.text(part) for part in change) for change in self.changes],
        )


def _from_log(entry: LogEntry, names: Names, details: bool) -> _Draft:
    # Not auditlog's ``changes_display_dict``: it reads every foreign key's object, a query each.
    model = entry.content_type.model_class()
    extra = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    changes = []
    for name, values in entry.changes_dict.items():
        if isinstance(values, dict):  # many-to-many changes
            continue
        before, after = (list(values) + ["", ""])[:2]
        if _hidden(model, name, before, after, entry.action):
            continue
        label, before, after = _display(model, name, before, after, names, details)
        if entry.action == LogEntry.Action.CREATE:  # a new row: its values, without "— →"
            before = ""
        elif entry.action == LogEntry.Action.DELETE:
            before, after = "", before
        changes.append((label, before, after))
    if extra.get("reason"):  # a written reason the change required (a manual check-in over a frozen 缺席/请假)
        changes.append((_("理由"), "", str(extra["reason"])))
    return _Draft(
        at=entry.timestamp,
        actor=names.user(entry.actor_id),
        ip=entry.remote_addr or "",
        action=_ACTIONS.get(entry.action, _("记录")),
        subject=[f"{entry.content_type.name}：", *_object_name(entry, extra, names)],
        changes=changes,
    )


def _object_name(entry: LogEntry, extra: dict, names: Names) -> list:
    """The object as it was named when logged; a leading member number becomes the member's name."""
    member_id = extra.get("member_id")
    prefix = f"{member_id} "
    if member_id is not None and entry.object_repr.startswith(prefix):
        return [names.member(member_id), " ", entry.object_repr[len(prefix) :]]
    return [entry.object_repr]


def _from_bulk(event: AuditBulkEvent, names: Names, details: bool) -> _Draft:
    changes: list[tuple] = [(str(_COUNT_LABELS.get(k, k)), "", str(v)) for k, v in event.counts.items()]
    for row in event.changes:
        row = (list(row) + ["", "", ""])[:3]
        number = _MEMBER_NUMBER.match(str(row[0]))
        changes.append((names.member(number.group(1)) if number else row[0], row[1], row[2]))
    if event.branch_id is not None:
        changes.append((_("范围"), "", names.ref(Branch, event.branch_id)))
    if event.file_name:
        changes.append((_("文件"), "", event.file_name))
    if event.file_sha256 and details:
        changes.append((_("文件SHA-256"), "", event.file_sha256))
    return _Draft(
        at=event.at,
        actor=names.user(event.actor_id),
        ip=event.remote_addr or "",
        action=_("批量"),
        subject=[event.get_kind_display() + (f"（{event.note}）" if event.note else "")],
        changes=changes,
    )


# One change: the field's label and its two values as people read them -----------------------------


def _field(model, name: str):
    try:
        return model._meta.get_field(name) if model is not None else None
    except FieldDoesNotExist:
        return None


def _hidden(model, name: str, before, after, action) -> bool:
    """Internals (the row's id, reverse relations) and, on a create or delete, the empty fields."""
    field = _field(model, name)
    if field is not None and (not field.concrete or field.primary_key):
        return True
    if _MANAGER_TEXT.match(str(after)) or _MANAGER_TEXT.match(str(before)):
        return True
    if action == LogEntry.Action.CREATE:
        return _text(after) in ("—", "")
    if action == LogEntry.Action.DELETE:
        return _text(before) in ("—", "")
    return False


def _display(model, name: str, before, after, names: Names, details: bool) -> tuple:
    """The field's label and its two values: choices by label, 是/否, names for foreign keys, local times."""
    field = _field(model, name)
    if field is None:  # a label written by a service (上级组织) or a field that no longer exists
        return name, _text(before), _text(after)
    choices = dict(field.flatchoices) if getattr(field, "choices", None) else {}

    def show(value):
        text = _text(value)
        if text == "—":
            return text
        if choices:
            return str(choices.get(value, choices.get(text, text)))
        if field.many_to_one or field.one_to_one:
            return names.ref(field.related_model, text)
        if isinstance(field, models.BooleanField):
            return _("是") if text in ("True", "true", "1") else _("否")
        if isinstance(field, models.DateTimeField):
            return _logged_time(text)
        if isinstance(field, models.FileField):
            return text if details else _("已上传文件")
        if isinstance(field, models.JSONField):
            return _("（略）")
        return _cut(text)

    return str(field.verbose_name), show(before), show(after)


def _logged_time(text: str) -> str:
    """django-auditlog stores times in UTC without their zone ("2026-12-07 01:41:00.123456")."""
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError:
        return text
    if timezone.is_naive(value):
        value = value.replace(tzinfo=datetime.UTC)
    return local_time_text(value)


def _cut(text: str) -> str:
    return text if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 1] + "…"


def _text(value) -> str:
    if value in (None, "None"):
        return "—"
    return str(value)
