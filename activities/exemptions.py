"""不列入应到: standing exemptions from the expected lists, with the higher organization's consent.

A member seriously ill, abroad for more than six months, serving a sentence, bedridden or away
without having transferred their relation may, with the consent of the higher organization, be
left out of the expected lists (应到) for a period: not a leave request per meeting. The rule
is read by ``activities.expected`` (the querysets and ``is_expected``) for activities whose day
falls within ``[starts_on, ends_on]``; lists frozen when a meeting was held do not change.

Permission checks belong to the caller (views: MANAGE on the member's branch).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from branches.models import Branch
from members.models import Member

from .errors import ActivityError
from .models import ExpectedExemption

ORG_MAX_LENGTH = 200


def _overlapping(member: Member, starts_on: datetime.date, ends_on: datetime.date | None) -> QuerySet:
    rows = ExpectedExemption.objects.filter(member=member).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
    return rows if ends_on is None else rows.filter(starts_on__lte=ends_on)


def exemption_add(
    *,
    member: Member,
    reason: str,
    starts_on: datetime.date,
    consenting_org: str,
    consent_on: datetime.date,
    by,
    ends_on: datetime.date | None = None,
    document_number: str = "",
    note: str = "",
) -> ExpectedExemption:
    """Record an exemption; refused without the consenting organization, with dates out of order,
    a consent in the future or a period overlapping another exemption of the member."""
    if not member.is_active:
        raise ActivityError(f"{member.name}已离册", code="inactive_member")
    if reason not in ExpectedExemption.Reason.values:
        raise ActivityError("请选择不列入应到的原因", code="reason_required", field="reason")
    consenting_org = (consenting_org or "").strip()
    if not consenting_org:
        raise ActivityError("请填写同意的上级组织", code="consent_required", field="consenting_org")
    if consent_on > timezone.localdate():
        raise ActivityError("同意日期不能晚于今天", code="future_consent", field="consent_on")
    if ends_on is not None and ends_on < starts_on:
        raise ActivityError("结束日期不能早于开始日期", code="ends_before_start", field="ends_on")
    if _overlapping(member, starts_on, ends_on).exists():
        raise ActivityError(
            f"{member.name}在这段时间已有不列入应到的记录，请先结束原记录", code="overlapping", field="starts_on"
        )
    return ExpectedExemption.objects.create(
        member=member,
        reason=reason,
        starts_on=starts_on,
        ends_on=ends_on,
        consenting_org=consenting_org[:ORG_MAX_LENGTH],
        consent_on=consent_on,
        document_number=(document_number or "").strip()[:100],
        note=(note or "").strip()[:200],
        recorded_by=by,
    )


def exemption_end(*, exemption: ExpectedExemption, ends_on: datetime.date, by) -> ExpectedExemption:
    """End an exemption on ``ends_on`` (the last day it covers); a locked read and a save, audited."""
    with transaction.atomic():
        locked = ExpectedExemption.objects.select_for_update().get(pk=exemption.pk)
        if locked.ends_on is not None and locked.ends_on <= ends_on:
            raise ActivityError(
                f"该记录的结束日期为{locked.ends_on:%Y年%m月%d日}，只能提前结束；延长须另行登记上级组织的同意",
                code="not_earlier",
                field="ends_on",
            )
        if ends_on < locked.starts_on:
            raise ActivityError("结束日期不能早于开始日期", code="ends_before_start", field="ends_on")
        locked.ends_on = ends_on
        locked.save(update_fields=["ends_on"])
    exemption.ends_on = ends_on
    return exemption


def branch_exemptions(branch: Branch) -> QuerySet[ExpectedExemption]:
    """The exemptions of the members of ``branch``'s subtree, current ones first (one query)."""
    return (
        ExpectedExemption.objects.filter(member__branch__path__startswith=branch.path)
        .select_related("member", "member__branch", "recorded_by")
        .order_by(F("ends_on").desc(nulls_first=True), "-starts_on", "-pk")
    )


def member_exemptions(member: Member) -> QuerySet[ExpectedExemption]:
    return ExpectedExemption.objects.filter(member=member).select_related("recorded_by").order_by("-starts_on", "-pk")
