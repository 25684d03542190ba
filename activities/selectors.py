"""Read queries for activity pages: attendance sheets, summaries, a member's activities, workbench lists.

Each runs a constant number of queries whatever the roster size.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from branches.models import Branch
from members.models import Member, Position

from .expected import expected_members
from .models import Activity, Attendance, ExpectedExemption, LeaveRequest


def on_approved_leave(prefix: str = "") -> Q:
    """请假 as every count reads it (the attendance summaries, health checks, reports): the sheet's status.

    Approving a leave request writes 请假 on the sheet (``leave.leave_request_decide``); a
    refused, withdrawn or pending request writes nothing. A 缺席 or 实到 recorded afterwards is
    the record (changing a held activity's sheet needs a written reason), so the request alone
    never counts. ``prefix`` names the attendance from another model (``"attendances__"``).
    """
    return Q(**{f"{prefix}status": Attendance.Status.LEAVE})


@dataclass
class SheetRow:
    member: Member
    attendance: Attendance | None
    leave_request: LeaveRequest | None
    expected: bool

    @property
    def status(self) -> str:
        """The row's status; before holding, an expected member without a row is 应到."""
        return self.attendance.status if self.attendance else Attendance.Status.EXPECTED

    @property
    def status_display(self) -> str:
        return Attendance.Status(self.status).label


def attendance_sheet(activity: Activity) -> list[SheetRow]:
    """Everyone expected plus everyone with a row, with their attendance and latest leave request.

    Three queries: the expected members, the attendance rows (with members), the leave requests.
    """
    expected = {m.pk: m for m in expected_members(activity).select_related("branch", "group")}
    rows = {
        a.member_id: a
        for a in Attendance.objects.filter(activity=activity).select_related("member", "member__branch", "recorded_by")
    }
    leaves: dict[int, LeaveRequest] = {}
    for leave in LeaveRequest.objects.filter(activity=activity).order_by("requested_at", "pk"):
        leaves[leave.member_id] = leave
    members = dict(expected)
    for member_id, row in rows.items():
        members.setdefault(member_id, row.member)
    result = [
        SheetRow(member, rows.get(pk), leaves.get(pk), pk in expected or bool(rows.get(pk) and rows[pk].expected))
        for pk, member in members.items()
    ]
    result.sort(key=lambda r: (r.member.branch_id, r.member.name_pinyin, r.member.name, r.member.pk))
    return result


@dataclass(frozen=True)
class Summary:
    """应到 / 实到 / 请假 / 缺席 of one activity (and, before holding, those not yet recorded)."""

    expected: int
    present: int
    leave: int
    absent: int

    @property
    def pending(self) -> int:
        return max(self.expected - self.present - self.leave - self.absent, 0)

    @property
    def rate(self) -> float | None:
        """Present ÷ (expected − leave), as the health check counts it."""
        base = self.expected - self.leave
        return self.present / base if base > 0 else None


def attendance_summary(activity: Activity) -> Summary:
    """Counts for one activity: one query once held, two before (the computed list is counted)."""
    counts = Attendance.objects.filter(activity=activity).aggregate(
        total=Count("pk"),
        expected=Count("pk", filter=Q(expected=True)),
        present=Count("pk", filter=Q(status=Attendance.Status.PRESENT)),
        leave=Count("pk", filter=on_approved_leave()),
        absent=Count("pk", filter=Q(status=Attendance.Status.ABSENT)),
    )
    expected = counts["expected"]
    if activity.has_expected_list and not activity.is_held:
        expected = expected_members(activity).count()
    elif not activity.has_expected_list:
        expected = counts["total"]  # an open activity: everyone signed up or recorded
    return Summary(expected, counts["present"], counts["leave"], counts["absent"])


def summaries(activities) -> dict[int, Summary]:
    """Counts of the recorded rows of many activities in one query (for lists; held activities exact)."""
    rows = (
        Attendance.objects.filter(activity__in=[a.pk for a in activities])
        .order_by()  # not the default ordering: it joined each row's activity and member into the GROUP BY
        .values("activity_id")
        .annotate(
            expected=Count("pk", filter=Q(expected=True)),
            present=Count("pk", filter=Q(status=Attendance.Status.PRESENT)),
            leave=Count("pk", filter=on_approved_leave()),
            absent=Count("pk", filter=Q(status=Attendance.Status.ABSENT)),
        )
    )
    result = {a.pk: Summary(0, 0, 0, 0) for a in activities}
    for row in rows:
        result[row["activity_id"]] = Summary(row["expected"], row["present"], row["leave"], row["absent"])
    return result


def _listed_q(member: Member) -> Q:
    """``Q`` on ``Activity`` for the activities whose expected list holds (or would hold) ``member``."""
    nodes = Q(branch__path__in=member.branch.ancestor_paths())  # the home branch and every level above
    for node_id in (member.group_id, member.household_id):
        if node_id:
            nodes |= Q(branch_id=node_id)
    committee = Position.objects.filter(
        member=member, ended_on__isnull=True, title__in=Position.COMMITTEE_TITLES
    ).values("branch_id")
    # Not on a list on a day a standing exemption covers (``activities.expected.exemptions_on``).
    starts = ExpressionWrapper(OuterRef("starts_at"), output_field=DateTimeField())
    day = TruncDate(starts, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    exempted = ExpectedExemption.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=day), member=member, starts_on__lte=day
    )
    listed = (
        (Q(kind__in=Activity.ALL_MEMBERS_KINDS) & nodes)
        | Q(kind=Activity.Kind.GROUP_MEETING, branch_id=member.group_id or 0)
        | Q(kind=Activity.Kind.COMMITTEE_MEETING, branch_id__in=committee)
    )
    return listed & ~Q(Exists(exempted))


def member_activities_q(member: Member) -> Q:
    """``Q`` on ``Activity`` for the activities ``member`` is (or would be) expected at or signed up for."""
    return _listed_q(member) | Q(attendances__member=member)


def member_upcoming(member: Member, *, now: datetime.datetime | None = None) -> QuerySet[Activity]:
    """Planned activities not yet over that ``member`` is expected at or signed up for (one query).

    Each carries the member's own state for its card (``member_card``): ``my_status`` and
    ``my_checked_in_at`` (their attendance row, if any) and ``my_leave`` (the status of their
    latest open leave request, if any).
    """
    now = now or timezone.now()
    mine = Attendance.objects.filter(activity_id=OuterRef("pk"), member=member).order_by()  # one row at most
    leave = LeaveRequest.objects.filter(
        activity_id=OuterRef("pk"), member=member, status__in=LeaveRequest.OPEN_STATUSES
    ).order_by("-requested_at", "-pk")
    # Listed or signed up: the union of the two sets of ids, not an OR over a join with DISTINCT (which
    # read every planned activity's attendance of a city: 60 ms for a member's three).
    coming = Activity.objects.planned().filter(ends_at__gte=now)
    ids = coming.filter(_listed_q(member)).values("pk").order_by()
    ids = ids.union(coming.filter(attendances__member=member).values("pk").order_by())
    return (
        Activity.objects.filter(pk__in=ids)
        .annotate(
            my_status=Subquery(mine.values("status")[:1]),
            my_checked_in_at=Subquery(mine.values("checked_in_at")[:1]),
            my_leave=Subquery(leave.values("status")[:1]),
        )
        .select_related("branch")
        .order_by("starts_at", "pk")
    )


@dataclass(frozen=True)
class MemberCard:
    """What the member's card of an upcoming activity shows (templates/activities/_member_card.html).

    Checked in (实到): 已签到 and its time, nothing else to do (no 请假). Otherwise an open leave
    request's status; else, before the start, the 请假 button; in the check-in window, the prompt
    to scan the QR on site (the QR is the check-in: ``activities.checkin``).
    """

    activity: Activity
    checked_in_at: datetime.datetime | None
    checked_in: bool
    leave_status: str
    may_ask_leave: bool
    checkin_open: bool
    checkin_later: bool  # the window opens later (at ``activity.checkin_opens``)
    signed_up: bool

    @property
    def leave_label(self) -> str:
        return LeaveRequest.Status(self.leave_status).label if self.leave_status else ""


def member_card(activity: Activity, *, now: datetime.datetime) -> MemberCard:
    """The card of an activity of ``member_upcoming`` (its ``my_*`` annotations): no query."""
    checked_in = getattr(activity, "my_status", None) == Attendance.Status.PRESENT
    leave = "" if checked_in else (getattr(activity, "my_leave", None) or "")
    return MemberCard(
        activity=activity,
        checked_in_at=getattr(activity, "my_checked_in_at", None) if checked_in else None,
        checked_in=checked_in,
        leave_status=leave,
        may_ask_leave=activity.has_expected_list and activity.starts_at > now and not checked_in and not leave,
        checkin_open=not checked_in and activity.checkin_opens <= now <= activity.checkin_closes,
        checkin_later=not checked_in and now < activity.checkin_opens,
        signed_up=not activity.has_expected_list,
    )


def member_open_activities(*, now: datetime.datetime | None = None) -> QuerySet[Activity]:
    """Open activities (志愿服务, 学习) still to come, anyone may sign up."""
    now = now or timezone.now()
    return (
        Activity.objects.planned()
        .filter(kind__in=Activity.OPEN_KINDS, ends_at__gte=now)
        .select_related("branch")
        .order_by("starts_at", "pk")
    )


def member_history(member: Member) -> QuerySet[Attendance]:
    """The member's attendance rows, newest first, with their activities."""
    return (
        Attendance.objects.filter(member=member)
        .select_related("activity", "activity__branch")
        .order_by("-activity__starts_at", "-pk")
    )


def member_leave_requests(member: Member) -> QuerySet[LeaveRequest]:
    return LeaveRequest.objects.filter(member=member).select_related("activity").order_by("-requested_at", "-pk")


def pending_leave_requests(branch: Branch) -> QuerySet[LeaveRequest]:
    """Requests waiting for a decision in the subtree of ``branch``."""
    return (
        LeaveRequest.objects.filter(status=LeaveRequest.Status.PENDING, activity__branch__path__startswith=branch.path)
        .select_related("activity", "member")
        .order_by("activity__starts_at", "requested_at")
    )


def upcoming_in_subtree(branch: Branch, *, now: datetime.datetime | None = None) -> QuerySet[Activity]:
    """Planned activities of the subtree not yet over, soonest first."""
    now = now or timezone.now()
    return (
        Activity.objects.in_subtree(branch)
        .planned()
        .filter(ends_at__gte=now)
        .select_related("branch")
        .order_by("starts_at", "pk")
    )


def to_be_logged(branch: Branch, *, now: datetime.datetime | None = None) -> QuerySet[Activity]:
    """Activities of the subtree that are over but still planned: the secretary should log them."""
    now = now or timezone.now()
    return (
        Activity.objects.in_subtree(branch)
        .planned()
        .filter(ends_at__lt=now)
        .select_related("branch")
        .order_by("starts_at", "pk")
    )
