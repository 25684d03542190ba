"""Excel exports (openpyxl, write-only, streamed row by row): a subtree's reports, its health checks.

Both take a ``progress(done, total)`` callback, called every ``CHUNK`` rows. The health-check
export shows full ID numbers only where the exporting user holds ``view_sensitive``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from activities.compliance import LINE_KINDS, SECRETARY_LECTURE
from activities.models import Activity
from branches.excel import safe_row
from branches.models import Branch
from core.labels import source_choices
from health.models import HealthCheck
from members.models import Member

from .models import Report
from .selectors import ORGANIZATION_KINDS
from .structure import NO_COMMITTEE, TOO_FEW, TOO_MANY

CHUNK = 500
Progress = Callable[[int, int], None]

_KIND_NAMES = {**dict(source_choices(Activity.Kind)), SECRETARY_LECTURE: "书记讲党课"}  # files are in Chinese


def _held_of_required(report: Report, kind: str) -> str:
    m = report.data["meetings"].get(kind)  # a report computed before a kind of line existed lacks it
    return f"{m['held']}/{m['required']}" if m else ""


def _structure(report: Report, read: Callable[[dict], object]) -> object:
    structure = report.data.get("structure")
    return read(structure) if structure else ""


REPORT_COLUMNS: list[tuple[str, Callable[[Report], object]]] = [
    ("组织编码", lambda r: r.branch.code),
    ("组织名称", lambda r: r.branch.name),
    ("组织类型", lambda r: r.branch.get_kind_display()),
    ("层级", lambda r: r.branch.depth),
    ("期间", lambda r: r.period),
    ("在册党员", lambda r: r.members),
    ("正式党员", lambda r: r.members_full),
    ("预备党员", lambda r: r.members_probationary),
    # Reports computed before the split of 人员类别 have neither count: 0 then.
    *[
        (f"{label}人数", lambda r, c=value: r.data["members"].get("by_occupation", {}).get(c, 0))
        for value, label in source_choices(Member.Occupation)
    ],
    *[
        (f"{label}党员人数", lambda r, c=value: r.data["members"].get("by_situation", {}).get(c, 0))
        for value, label in source_choices(Member.Situation)
        if value != Member.Situation.NORMAL
    ],
    ("本期入党", lambda r: r.data["members"]["joined"]),
    ("本期离册", lambda r: r.data["members"]["left"]),
    # 党员中心户 are not organizations: counted apart (reports computed before these counts: empty).
    ("党组织数", lambda r: _structure(r, lambda s: sum(s["organizations"].values()))),
    *[
        (f"其中{label}", lambda r, k=kind: _structure(r, lambda s: s["organizations"][k]))
        for kind, label in source_choices(Branch.Kind)
        if kind in ORGANIZATION_KINDS
    ],
    ("党小组数", lambda r: _structure(r, lambda s: s["groups"])),
    ("党员中心户数", lambda r: _structure(r, lambda s: s["households"])),
    # Structure warnings (reports.structure): 党支部 flagged in the subtree, in all and by warning.
    ("组织设置提醒（党支部数）", lambda r: r.structure_warnings),
    *[
        (f"其中{name}", lambda r, w=warning: _structure(r, lambda s: s.get("warnings", {}).get(w, "")))
        for warning, name in ((NO_COMMITTEE, "未设支部委员会"), (TOO_FEW, "正式党员过少"), (TOO_MANY, "党员过多"))
    ],
    ("须开会组织", lambda r: r.units),
    ("无缺项组织", lambda r: r.units_compliant),
    ("应开会议", lambda r: r.meetings_required),
    ("已开会议", lambda r: r.meetings_held),
    ("缺项", lambda r: r.meetings_missing),
    *[(f"{_KIND_NAMES[kind]}（已开/应开）", lambda r, k=kind: _held_of_required(r, k)) for kind in LINE_KINDS],
    ("应到人次", lambda r: r.attendance_expected),
    ("实到人次", lambda r: r.attendance_present),
    ("请假人次", lambda r: r.attendance_leave),
    ("出勤率（%）", lambda r: r.attendance_rate),
    ("志愿服务时长", lambda r: float(r.data["volunteer_hours"])),
    ("学时不足人数（年报）", lambda r: (r.data.get("study") or {}).get("short", "")),
    ("党费应缴（元）", lambda r: r.dues_due),
    ("党费实缴（元）", lambda r: r.dues_paid),
    ("收缴率（%）", lambda r: r.dues_rate),
    ("体检人数", lambda r: r.health_checks),
    *[
        (label, lambda r, g=value: r.data["health"]["grades"].get(g, 0))
        for value, label in source_choices(HealthCheck.Grade)
    ],
    ("计算时间", lambda r: timezone.localtime(r.computed_at).replace(tzinfo=None)),
]


def _header(sheet, labels: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for label in labels:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def _write(rows, columns, sheet, total: int, progress: Progress | None) -> int:
    done = 0
    for row in rows:
        sheet.append(safe_row(get(row) for _, get in columns))  # a branch's name, a reason: never a formula
        done += 1
        if progress and done % CHUNK == 0:
            progress(done, total)
    if progress:
        progress(done, total)
    return done


def reports_workbook(*, branch: Branch, period: str, path: Path, progress: Progress | None = None) -> int:
    """Write the reports of ``period`` for every organization of ``branch``'s subtree; returns rows."""
    reports = (
        Report.objects.filter(branch__path__startswith=branch.path, period=period)
        .select_related("branch")
        .order_by("branch__path")
    )
    total = reports.count()
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title="报表")
    sheet.append(_header(sheet, [label for label, _ in REPORT_COLUMNS]))
    written = _write(reports.iterator(chunk_size=2000), REPORT_COLUMNS, sheet, total, progress)
    book.save(path)
    return written


def _items_text(check: HealthCheck) -> str:
    return "；".join(f"{i['label']} {i['score']}（{i['found']}）" for i in check.items)


def health_columns(user) -> list[tuple[str, Callable[[HealthCheck], object]]]:
    return [
        ("党组织编码", lambda c: c.branch.code),
        ("党组织", lambda c: c.branch.name),
        ("姓名", lambda c: c.member.name),
        ("公民身份号码", lambda c: c.member.id_number_for(user, explicit=True)),  # an export: explicit
        ("考核期", lambda c: c.period),
        ("各项得分", _items_text),
        ("加分", lambda c: c.bonus),
        ("扣分", lambda c: c.deduction),
        ("一票否决", lambda c: "是" if c.vetoed else ""),
        ("调整前得分", lambda c: c.subtotal),
        ("支部调整", lambda c: c.adjustment),
        ("调整理由", lambda c: c.adjustment_reason),
        ("总分", lambda c: c.total),
        ("等次", lambda c: c.get_grade_display()),
        ("状态", lambda c: c.get_status_display()),
    ]


def health_workbook(*, branch: Branch, period: str, user, path: Path, progress: Progress | None = None) -> int:
    """Write every health check of ``period`` in ``branch``'s subtree; ID numbers masked unless sensitive."""
    checks = (
        HealthCheck.objects.filter(branch__path__startswith=branch.path, period=period)
        .select_related("branch", "member", "member__branch")
        .order_by("branch__path", "member__name_pinyin", "member__name", "pk")
    )
    total = checks.count()
    columns = health_columns(user)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title="政治体检")
    sheet.append(_header(sheet, [label for label, _ in columns]))
    written = _write(checks.iterator(chunk_size=2000), columns, sheet, total, progress)
    book.save(path)
    return written
