"""The record of a meeting: quorum, resolutions and attached files (photos, minutes, sign-in sheets).

Every service takes ``by`` (the acting user) and records it; permission checks belong to the
caller, as in ``activities.services``.
"""

from __future__ import annotations

import zipfile
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q

from members.models import Member

from .errors import ActivityError
from .expected import computed_expected_members
from .models import Activity, ActivityFile, Attendance, Resolution
from .services import require_not_cancelled

MAX_VOTES = 1_000_000  # far above any branch; a larger number would not fit the column


class Quorum(NamedTuple):
    """A 支部党员大会's quorum: present full members against full members expected."""

    present: int
    expected: int
    ok: bool

    @property
    def needed(self) -> int:
        return self.expected // 2 + 1


def activity_quorum(activity: Activity) -> Quorum:
    """More than half of the full members expected must be present (预备党员 attend, don't count)."""
    if activity.is_held:
        counts = Attendance.objects.filter(activity=activity, expected=True, full_member=True).aggregate(
            expected=Count("pk"), present=Count("pk", filter=Q(status=Attendance.Status.PRESENT))
        )
        expected, present = counts["expected"], counts["present"]
    else:
        full = computed_expected_members(activity).filter(status=Member.Status.FULL)
        expected = full.count()
        present = Attendance.objects.filter(
            activity=activity, status=Attendance.Status.PRESENT, member_id__in=full.values("pk")
        ).count()
    return Quorum(present, expected, expected > 0 and present * 2 > expected)


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


def resolution_add(
    *, activity: Activity, text: str, by, votes_for=None, votes_against=None, votes_abstain=None
) -> Resolution:
    """决议, with the votes (赞成, 反对, 弃权) all given or none.

    At a held 支部党员大会 the votes cannot exceed the present full members (only they vote).
    """
    require_not_cancelled(activity)
    if not text.strip():
        raise ActivityError("决议内容不能为空", code="text_required", field="text")
    votes = [_vote(votes_for, "赞成"), _vote(votes_against, "反对"), _vote(votes_abstain, "弃权")]
    if any(v is None for v in votes) and any(v is not None for v in votes):
        raise ActivityError("请同时填写赞成、反对、弃权票数，或都不填", code="incomplete_votes")
    if votes[0] is not None and activity.kind == Activity.Kind.BRANCH_ASSEMBLY and activity.is_held:
        present = activity_quorum(activity).present
        if sum(votes) > present:
            raise ActivityError(f"表决票数合计超过到会正式党员人数（{present}人）", code="too_many_votes")
    return Resolution.objects.create(
        activity=activity,
        text=text.strip(),
        votes_for=votes[0],
        votes_against=votes[1],
        votes_abstain=votes[2],
        created_by=by,
    )


def resolution_delete(*, resolution: Resolution, by) -> None:
    require_not_cancelled(resolution.activity)
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
