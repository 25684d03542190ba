"""What a branch keeps on paper (issue 15): the sign-in sheet and the meeting's record as a Word file.

- 签到表: the activity's expected list with a blank signature column, a page to print.
- 会议记录: time, place, host, recorder, 应到/实到/请假/缺席 with names, agenda, minutes and
  resolutions with their votes, as a .docx laid out like a page of a 三会一课记录本 (python-docx).

Both are read by whoever may read the activity (``visible_activity``: 404 outside their
subtrees), like the activity's page they come from. Names only: no ID number, phone or birth date.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from .models import Activity, Attendance
from .selectors import attendance_sheet
from .views_common import visible_activity

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NAME_SEPARATOR = "、"


@dataclass
class Roll:
    """The names of one activity by attendance: 应到, 实到, 请假, 缺席 (expected members only, but 实到)."""

    expected: list[str]
    present: list[str]
    leave: list[str]
    absent: list[str]


def roll(activity: Activity) -> Roll:
    rows = attendance_sheet(activity)
    expected = [r for r in rows if r.expected]
    return Roll(
        expected=[r.member.name for r in expected],
        present=[r.member.name for r in rows if r.status == Attendance.Status.PRESENT],
        leave=[r.member.name for r in expected if r.status == Attendance.Status.LEAVE],
        absent=[r.member.name for r in expected if r.status == Attendance.Status.ABSENT],
    )


def _when(activity: Activity) -> str:
    starts, ends = timezone.localtime(activity.starts_at), timezone.localtime(activity.ends_at)
    end = f"{ends:%H:%M}" if starts.date() == ends.date() else f"{ends:%Y年%m月%d日 %H:%M}"
    return f"{starts:%Y年%m月%d日 %H:%M}至{end}"


@login_required
def signin_sheet(request, pk: int):
    """签到表: the expected members, in the order of the attendance sheet, each with a blank signature."""
    activity = visible_activity(request.user, pk, "host")
    rows = [r for r in attendance_sheet(activity) if r.expected] if activity.has_expected_list else []
    context = {"activity": activity, "rows": rows, "when": _when(activity), "blank_rows": range(0 if rows else 20)}
    return render(request, "activities/signin_sheet.html", context)


def _votes(resolution) -> str:
    if resolution.votes_for is None:
        return ""
    text = f"赞成{resolution.votes_for}票，反对{resolution.votes_against or 0}票，弃权{resolution.votes_abstain or 0}票"
    written = [getattr(resolution, f"written_{k}", 0) or 0 for k in ("for", "against", "abstain")]
    if any(written):
        text += f"（另有书面表决意见：赞成{written[0]}、反对{written[1]}、弃权{written[2]}）"
    return text


def record_document(activity: Activity) -> Document:
    """The meeting's record as a Word document: a table of the facts, then agenda, minutes, resolutions."""
    names = roll(activity)
    doc = Document()
    section = doc.sections[0]
    section.left_margin = section.right_margin = Cm(2.5)
    style = doc.styles["Normal"]
    style.font.size = Pt(12)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(f"{activity.branch.name}{activity.get_kind_display()}记录")
    run.bold, run.font.size = True, Pt(16)
    facts = [
        ("主题", activity.title),
        ("时间", _when(activity)),
        ("地点", activity.place or ""),
        ("主持人", activity.host.name if activity.host else ""),
        ("记录人", activity.recorder.name if activity.recorder else ""),
        ("应到", f"{len(names.expected)}人"),
        ("实到", f"{len(names.present)}人：{NAME_SEPARATOR.join(names.present)}"),
        ("请假", f"{len(names.leave)}人：{NAME_SEPARATOR.join(names.leave)}" if names.leave else "0人"),
        ("缺席", f"{len(names.absent)}人：{NAME_SEPARATOR.join(names.absent)}" if names.absent else "0人"),
    ]
    if not activity.is_held:
        facts.append(("状态", activity.get_status_display()))
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in facts:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
        cells[0].width, cells[1].width = Cm(3), Cm(13)
    for heading, text in (("议程", activity.agenda), ("会议记录", activity.minutes)):
        doc.add_heading(heading, level=2)
        for line in (text or "（无）").splitlines() or ["（无）"]:
            doc.add_paragraph(line)
    resolutions = list(activity.resolutions.all())
    doc.add_heading("决议", level=2)
    if not resolutions:
        doc.add_paragraph("（无）")
    for number, resolution in enumerate(resolutions, start=1):
        doc.add_paragraph(f"{number}. {resolution.text}")
        if votes := _votes(resolution):
            doc.add_paragraph(votes)
    footer = doc.add_paragraph("主持人签名：__________    记录人签名：__________")
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return doc


@login_required
def record_docx(request, pk: int):
    """The record as a .docx download, named by date and title."""
    activity = visible_activity(request.user, pk, "host", "recorder")
    buffer = io.BytesIO()
    record_document(activity).save(buffer)
    starts = timezone.localtime(activity.starts_at)
    response = HttpResponse(buffer.getvalue(), content_type=DOCX_TYPE)
    filename = f"{starts:%Y%m%d}-{activity.title}.docx"
    response.headers["Content-Disposition"] = content_disposition_header(True, filename)
    return response
