"""表彰 and 处分: recording a member's commendations and sanctions, which feed the health check."""

from __future__ import annotations

import datetime

from django.utils import timezone

from core.errors import DomainError

from .models import Commendation, Member, Sanction


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
    by=None,
) -> Sanction:
    """Record a 批评教育, 诫勉 or 党纪处分 of ``member``; a 党纪处分 needs the decision's document number."""
    if kind not in Sanction.Kind.values:
        raise RecordError("请选择处分或处理类型", code="invalid_kind", field="kind")
    _check_date(imposed_on, "imposed_on")
    if kind in Sanction.DISCIPLINARY_KINDS and not document_number.strip():
        raise RecordError("党纪处分须填写处分决定文号", code="document_number_required", field="document_number")
    return Sanction.objects.create(
        member=member,
        kind=kind,
        imposed_on=imposed_on,
        document_number=document_number.strip(),
        reason=reason.strip(),
        recorded_by=by,
    )
