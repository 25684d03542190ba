"""The record of a meeting: quorum, resolutions and attached files (photos, minutes, sign-in sheets).

Every service takes ``by`` (the acting user) and records it; permission checks belong to the
caller, as in ``activities.services``.
"""

from __future__ import annotations

import datetime
import zipfile
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from members.models import Sanction

from .errors import ActivityError
from .expected import activity_day, computed_expected_members
from .models import Activity, ActivityFile, Attendance, Resolution
from .services import require_not_cancelled

MAX_VOTES = 1_000_000  # far above any branch; a larger number would not fit the column

# QUORUM_RULE (settings): "more_than_half" (超过半数, the default) or "at_least_half" (半数以上).
MORE_THAN_HALF = "more_than_half"
AT_LEAST_HALF = "at_least_half"
QUORUM_RULES = (MORE_THAN_HALF, AT_LEAST_HALF)


def quorum_rule() -> str:
    rule = getattr(settings, "QUORUM_RULE", MORE_THAN_HALF)
    if rule not in QUORUM_RULES:
        raise ImproperlyConfigured(f"QUORUM_RULE must be one of {QUORUM_RULES}, not {rule!r}")
    return rule


def needed_for(total: int, rule: str) -> int:
    """How many of ``total`` make "more than half" (``total // 2 + 1``) or "half or more" (rounded up)."""
    return total // 2 + 1 if rule == MORE_THAN_HALF else (total + 1) // 2


class Quorum(NamedTuple):
    """A meeting's quorum: at a 支部党员大会, present voting members against voting members expected;
    at a 支委会, committee members present against the committee."""

    present: int
    expected: int
    ok: bool
    needed: int
    rule: str = MORE_THAN_HALF
    committee: bool = False


def voting_expected(activity: Activity) -> QuerySet:
    """Ids (``member_id`` values) of the voting members expected at ``activity``.

    A vote belongs to a full member under no 留党察看 or 停止党员权利 on the meeting's day
    (``members.models.MemberQuerySet.voting``). Once held, the frozen list and the full-member
    snapshot taken when it was held decide, with the sanctions in force that day.
    """
    on = activity_day(activity)
    if activity.is_held:
        rows = Attendance.objects.filter(activity=activity, expected=True, full_member=True)
        rows = rows.exclude(member_id__in=Sanction.in_force(on).values("member_id"))
        return rows.values("member_id")
    return computed_expected_members(activity).voting(on).values("pk")


def voting_counts(activity: Activity) -> tuple[int, int]:
    """(voting members expected, of them present): two queries."""
    voters = voting_expected(activity)
    expected = voters.count()
    present = Attendance.objects.filter(
        activity=activity, status=Attendance.Status.PRESENT, member_id__in=voters
    ).count()
    return expected, present


def activity_quorum(activity: Activity) -> Quorum | None:
    """The quorum of a 支部党员大会 (voting members) or a 支委会 (its committee members), both read
    by ``QUORUM_RULE``; None for other kinds."""
    if activity.kind == Activity.Kind.BRANCH_ASSEMBLY:
        rule = quorum_rule()
        expected, present = voting_counts(activity)
        committee = False
    elif activity.kind == Activity.Kind.COMMITTEE_MEETING:
        rule, committee = quorum_rule(), True  # art. 12 words it as art. 11 does: "半数以上"
        counts = _committee_counts(activity)
        expected, present = counts["expected"], counts["present"]
    else:
        return None
    needed = needed_for(expected, rule)
    return Quorum(present, expected, expected > 0 and present >= needed, needed, rule, committee)


def _committee_counts(activity: Activity) -> dict:
    if activity.is_held:
        return Attendance.objects.filter(activity=activity, expected=True).aggregate(
            expected=Count("pk"), present=Count("pk", filter=Q(status=Attendance.Status.PRESENT))
        )
    committee = computed_expected_members(activity).values("pk")
    return {
        "expected": computed_expected_members(activity).count(),
        "present": Attendance.objects.filter(
            activity=activity, status=Attendance.Status.PRESENT, member_id__in=committee
        ).count(),
    }


# --- resolutions ----------------------------------------------------------------------


def _vote(value, label: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ActivityError(f"{label}票数应为整数", code="invalid_votes") from None
    if number < 0:
        raise ActivityError(f"{label}票数不能为负数", code="invalid_votes")
    if number > MAX_VOTES:
        raise ActivityError(f"{label}票数过大", code="invalid_votes")
    return number


def require_started(activity: Activity, what: str, now: datetime.datetime | None = None) -> None:
    """A resolution only once the meeting has started (``starts_at <= now``; a held one has)."""
    if not activity.is_held and (now or timezone.now()) < activity.starts_at:
        raise ActivityError(f"会议开始后才能填写{what}", code="not_started")


def _check_votes(activity: Activity, present_votes: list[int], written: list[int]) -> int:
    """Votes against the voting members, whatever the meeting's state; returns those expected."""
    if not activity.has_expected_list:
        raise ActivityError("志愿服务、学习活动不进行表决", code="no_vote")
    expected, present = voting_counts(activity)
    if sum(present_votes) > present:
        raise ActivityError(
            f"到会表决票数合计 {sum(present_votes)} 票，超过到会有表决权的党员人数（{present}人）",
            code="too_many_votes",
        )
    if sum(written) > expected - present:
        raise ActivityError(
            f"书面表决意见合计 {sum(written)} 份，超过未到会的有表决权党员人数（{expected - present}人）",
            code="too_many_written",
        )
    return expected


def resolution_add(
    *,
    activity: Activity,
    text: str,
    by,
    votes_for=None,
    votes_against=None,
    votes_abstain=None,
    written_for=None,
    written_against=None,
    written_abstain=None,
    now: datetime.datetime | None = None,
) -> Resolution:
    """决议, with the votes (赞成, 反对, 弃权) all given or none, and the written opinions of absent voters.

    Once the meeting has started. The votes cast at the meeting cannot exceed the voting members
    present, the written opinions the voting members absent (at any state of the meeting). The
    number of voting members expected is frozen on the resolution: whether it passed
    (``resolution_outcome``) does not change with a later roster change.
    """
    require_not_cancelled(activity)
    require_started(activity, "决议", now)
    if not text.strip():
        raise ActivityError("决议内容不能为空", code="text_required", field="text")
    votes = [_vote(votes_for, "赞成"), _vote(votes_against, "反对"), _vote(votes_abstain, "弃权")]
    written = [_vote(written_for, "书面赞成"), _vote(written_against, "书面反对"), _vote(written_abstain, "书面弃权")]
    written = [w or 0 for w in written]
    if any(v is None for v in votes) and any(v is not None for v in votes):
        raise ActivityError("请同时填写赞成、反对、弃权票数，或都不填", code="incomplete_votes")
    if votes[0] is None and any(written):
        raise ActivityError("有书面表决意见的，请同时填写到会表决的赞成、反对、弃权票数", code="incomplete_votes")
    voting_members = _check_votes(activity, votes, written) if votes[0] is not None else None
    return Resolution.objects.create(
        activity=activity,
        text=text.strip(),
        votes_for=votes[0],
        votes_against=votes[1],
        votes_abstain=votes[2],
        written_for=written[0],
        written_against=written[1],
        written_abstain=written[2],
        voting_members=voting_members,
        created_by=by,
    )


class Outcome(NamedTuple):
    """Whether a resolution passed: 赞成 (at the meeting and in writing) against the voting members expected."""

    votes_for: int  # at the meeting and in writing
    voting_members: int
    needed: int
    passed: bool


def resolution_outcome(resolution: Resolution) -> Outcome | None:
    """Passed when 赞成 exceeds half of the voting members who should attend, not of those present;
    None without votes or for a resolution recorded before the count was frozen."""
    if not resolution.has_votes or resolution.voting_members is None:
        return None
    total_for = resolution.votes_for + resolution.written_for
    needed = needed_for(resolution.voting_members, MORE_THAN_HALF)
    return Outcome(total_for, resolution.voting_members, needed, total_for >= needed)


def with_outcomes(resolutions) -> list[Resolution]:
    """The resolutions, each with ``outcome`` (``resolution_outcome``) for the pages."""
    rows = list(resolutions)
    for row in rows:
        row.outcome = resolution_outcome(row)
    return rows


def resolution_delete(*, resolution: Resolution, by) -> None:
    require_not_cancelled(resolution.activity)
    if hasattr(resolution, "probation_decision"):
        raise ActivityError("该决议已作出转正决定，不能删除", code="has_decision")
    resolution.delete()


# --- files ------------------------------------------------------------------------------

ALLOWED_EXTENSIONS = {
    "jpg": ActivityFile.Kind.PHOTO,
    "jpeg": ActivityFile.Kind.PHOTO,
    "png": ActivityFile.Kind.PHOTO,
    "pdf": ActivityFile.Kind.DOCUMENT,
    "docx": ActivityFile.Kind.DOCUMENT,
    "xlsx": ActivityFile.Kind.DOCUMENT,
}
# The entry a real Office file of each type must contain.
_OFFICE_PARTS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}


def max_file_bytes() -> int:
    return getattr(settings, "ACTIVITY_FILE_MAX_BYTES", 10 * 1024 * 1024)


def _content_matches(upload, ext: str) -> bool:
    """Magic bytes for images and PDF; for Office files a zip holding the right part."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if ext in ("jpg", "jpeg"):
        return head[:3] == b"\xff\xd8\xff"
    if ext == "png":
        return head == b"\x89PNG\r\n\x1a\n"
    if ext == "pdf":
        return head[:5] == b"%PDF-"
    if head[:4] != b"PK\x03\x04":
        return False
    try:
        with zipfile.ZipFile(upload) as archive:
            return _OFFICE_PARTS[ext] in archive.namelist()
    except zipfile.BadZipFile:
        return False
    finally:
        upload.seek(0)


def activity_attach_file(*, activity: Activity, upload, by, caption: str = "") -> ActivityFile:
    """Attach a photo (jpg, png) or document (pdf, docx, xlsx), checked by extension and content."""
    require_not_cancelled(activity)
    name = (getattr(upload, "name", "") or "").rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ALLOWED_EXTENSIONS:
        raise ActivityError("只能上传 jpg、png 图片或 pdf、docx、xlsx 文件", code="file_type", field="file")
    if upload.size > max_file_bytes():
        limit = max_file_bytes() // (1024 * 1024)
        raise ActivityError(f"文件不能超过 {limit} MB", code="file_too_large", field="file")
    if not _content_matches(upload, ext):
        raise ActivityError("文件内容与扩展名不符", code="file_content", field="file")
    return ActivityFile.objects.create(
        activity=activity,
        kind=ALLOWED_EXTENSIONS[ext],
        file=upload,
        original_name=name[:200],
        size=upload.size,
        caption=caption.strip()[:200],
        uploaded_by=by,
    )


def activity_file_delete(*, activity_file: ActivityFile, by) -> None:
    """Remove a file and its stored content once the row is gone."""
    storage, name = activity_file.file.storage, activity_file.file.name
    activity_file.delete()
    transaction.on_commit(lambda: storage.delete(name))
