"""表彰 and 处分: recording a member's commendations and sanctions, which feed the health check;
and the secretary's notes on the 党章 art. 9 warning (a 正当理由 or the follow-up)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from core.periods import month_start

from .models import Commendation, LapseNote, Member, Sanction


class RecordError(DomainError):
    pass


def _check_date(day: datetime.date, field: str) -> None:
    if day > timezone.localdate():
        raise RecordError("日期不能晚于今天", code="future_date", field=field)


def commendation_record(
    *, member: Member, level: str, title: str, awarded_on: datetime.date, document_number: str = "", by=None
) -> Commendation:
    """Record a commendation (支部, 乡镇 or 县级及以上) of ``member``."""
    if level not in Commendation.Level.values:
        raise RecordError("请选择表彰级别", code="invalid_level", field="level")
    if not title.strip():
        raise RecordError("请填写表彰名称", code="title_required", field="title")
    _check_date(awarded_on, "awarded_on")
    return Commendation.objects.create(
        member=member,
        level=level,
        title=title.strip(),
        awarded_on=awarded_on,
        document_number=document_number.strip(),
        recorded_by=by,
    )


def sanction_record(
    *,
    member: Member,
    kind: str,
    imposed_on: datetime.date,
    document_number: str = "",
    reason: str = "",
    ends_on: datetime.date | None = None,
    by=None,
) -> Sanction:
    """Record a 批评教育, 诫勉, 党纪处分 or 停止党员权利 of ``member``; a 党纪处分 needs the decision's
    document number. ``ends_on``: the day it expires or is lifted (a 留党察看 or a suspension of
    rights removes the vote until then: ``Member.may_vote``)."""
    if kind not in Sanction.Kind.values:
        raise RecordError("请选择处分或处理类型", code="invalid_kind", field="kind")
    _check_date(imposed_on, "imposed_on")
    if kind in Sanction.DISCIPLINARY_KINDS and not document_number.strip():
        raise RecordError("党纪处分须填写处分决定文号", code="document_number_required", field="document_number")
    if ends_on is not None and ends_on <= imposed_on:
        raise RecordError("期满或解除日期应晚于决定日期", code="ends_before_imposed", field="ends_on")
    return Sanction.objects.create(
        member=member,
        kind=kind,
        imposed_on=imposed_on,
        document_number=document_number.strip(),
        reason=reason.strip(),
        ends_on=ends_on,
        recorded_by=by,
    )


def lapse_note_record(
    *,
    member: Member,
    kind: str,
    text: str,
    months_from: datetime.date | None = None,
    months_to: datetime.date | None = None,
    by=None,
) -> LapseNote:
    """Record a note on the 党章 art. 9 warning (activities/lapse.py): a 正当理由 covering months
    ``months_from`` to ``months_to`` (any day of each; an open end: still going on), which stops the
    warning for those months, or a 跟进处理 (what was done: a talk, a visit, a decision), which does not."""
    if kind not in LapseNote.Kind.values:
        raise RecordError("请选择记录类型", code="invalid_kind", field="kind")
    text = text.strip()
    if not text:
        raise RecordError("请填写内容", code="text_required", field="text")
    months_from = month_start(months_from) if months_from else None
    months_to = month_start(months_to) if months_to else None
    if kind == LapseNote.Kind.REASON and months_from is None:
        raise RecordError("正当理由须填写起始月份", code="months_required", field="months_from")
    if months_to is not None and (months_from is None or months_to < months_from):
        raise RecordError("截止月份不能早于起始月份", code="months_reversed", field="months_to")
    with transaction.atomic():
        return LapseNote.objects.create(
            member=member, kind=kind, text=text, months_from=months_from, months_to=months_to, recorded_by=by
        )
