"""The dashboard on paper (issue 15, "Paper"): the 组织部's own report of an organization and a period.

The stored report (``reports.Report``, what the dashboard shows; nothing is computed on request) as
plain tables under a title: the organization, the period, when the page was made (Asia/Shanghai)
and who made it (制表人). The tables: the key figures; the required meetings by kind; each child
organization's members, meetings, attendance, dues, checks and warnings; the health checks' progress
and grades, per child; the structure warnings with the first flagged 党支部; the 为民服务 figures stored
beside the report (issue 16), per child. A page to print
(``dashboard_print``: print CSS hides the menu and the 打印 button, the tables stack into cards on a
phone) and the same tables as a Word file (``dashboard_docx``, in Chinese like every file).

The dashboard's permission: ``view_branch`` or ``review_health`` on the subtree (404 outside the
user's subtrees, 403 inside without). Queries: the user's, the branch, the report, its children,
the flagged 党支部 when there are some, and the 为民服务 figures, whatever the number of children.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from branches import access
from branches.models import Branch
from branches.params import period_param
from core.periods import Period
from core.templatetags.people import person
from health.models import HealthCheck
from service.figures import stored_section
from service.models import ServiceFigures

from . import schedule, selectors
from .models import Report
from .views import _dashboard_url, _meeting_rows, _organizations, _reports_branch, _structure_warnings

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
STAMP = "%Y-%m-%d %H:%M"


@dataclass
class Table:
    """One table of the paper: its caption, its column headers, its rows (the first cell names the row)."""

    caption: str
    headers: list[str]
    rows: list[list[str]]
    note: str = ""

    @property
    def labelled(self) -> list[list[tuple[str, str]]]:
        """Each row's cells with their column's header: a phone shows each cell under its label."""
        return [list(zip(self.headers, row, strict=True)) for row in self.rows]


@dataclass
class Paper:
    branch: Branch
    period: Period
    title: str
    made_at: datetime.datetime  # in Asia/Shanghai
    made_by: str
    report: Report | None
    tables: list[Table] = field(default_factory=list)

    @property
    def computed_at(self) -> datetime.datetime | None:
        return timezone.localtime(self.report.computed_at) if self.report else None


def _rate(value) -> str:
    return "—" if value is None else f"{value}%"


def _held(r: Report) -> str:
    return f"{r.meetings_held}/{r.meetings_required}"


def _key_figures(report: Report) -> Table:
    data = report.data
    rows = [
        [
            _("在册党员"),
            str(report.members),
            _("正式 %(full)s · 预备 %(prob)s") % {"full": report.members_full, "prob": report.members_probationary},
        ],
    ]
    organizations = _organizations(report)
    if organizations:
        kinds = " · ".join(f"{label} {n}" for label, n in organizations["kinds"])
        apart = _("另有党小组 %(g)s 个、党员中心户 %(h)s 户") % {
            "g": organizations["groups"],
            "h": organizations["households"],
        }
        rows.append([_("党组织"), str(organizations["total"]), f"{kinds} · {apart}"])
    rows += [
        [_("会议已开/应开"), _held(report), _("缺项 %(n)s") % {"n": report.meetings_missing}],
        [_("无缺项组织"), f"{report.units_compliant}/{report.units}", _("含党小组")],
        [
            _("出勤率"),
            _rate(report.attendance_rate),
            _("实到 %(p)s / 应到 %(e)s（请假 %(l)s）")
            % {"p": report.attendance_present, "e": report.attendance_expected, "l": report.attendance_leave},
        ],
        [
            _("党费收缴率"),
            _rate(report.dues_rate),
            _("实缴 %(paid)s / 应缴 %(due)s 元") % {"paid": report.dues_paid, "due": report.dues_due},
        ],
        [_("政治体检人数（%(p)s）") % {"p": _health_display(report)}, str(report.health_checks), ""],
        [_("志愿服务时长"), _("%(h)s 小时") % {"h": data["volunteer_hours"]}, ""],
    ]
    if data.get("study"):
        rows.append(
            [_("学时不足人数"), str(data["study"]["short"]), _("年末在册 %(n)s 人") % {"n": data["study"]["members"]}]
        )
    if "warnings" in (data.get("structure") or {}):
        rows.append([_("组织设置提醒"), str(report.structure_warnings), _("党支部数")])
    return Table(_("主要指标"), [_("指标"), _("数值"), _("说明")], rows)


def _meetings(report: Report) -> Table | None:
    rows = [
        [str(m["label"]), f"{m['held']}/{m['required']}", str(m["met"]), str(m["missing"]), str(m["pending"])]
        for m in _meeting_rows(report)
    ]
    if not rows:
        return None
    return Table(_("组织生活落实"), [_("类型"), _("已开/应开"), _("已完成"), _("缺"), _("未到期")], rows)


def _children(report: Report, children: list[Report]) -> Table:
    study = bool(report.data.get("study"))
    headers = [_("组织"), _("在册党员"), _("会议已开/应开"), _("缺项"), _("无缺项组织"), _("出勤率"), _("党费收缴率")]
    headers += [_("体检人数"), *([_("学时不足")] if study else []), _("组织设置提醒")]

    def row(name: str, r: Report) -> list[str]:
        cells = [name, str(r.members), _held(r), str(r.meetings_missing), f"{r.units_compliant}/{r.units}"]
        cells += [_rate(r.attendance_rate), _rate(r.dues_rate), str(r.health_checks)]
        if study:
            cells.append(str((r.data.get("study") or {}).get("short", "—")))
        return [*cells, str(r.structure_warnings)]

    named = _("%(name)s（%(kind)s）")
    rows = [row(named % {"name": c.branch.name, "kind": c.branch.get_kind_display()}, c) for c in children]
    rows.append(row(_("合计（含本组织直属）"), report))
    return Table(_("下级组织"), headers, rows)


def _health_display(report: Report) -> str:
    label = report.data["health"]["period"]
    try:
        return Period.parse(label).display
    except ValueError:  # never stored so; the label as it is
        return label


def _health(report: Report, children: list[Report]) -> Table:
    statuses, grades = HealthCheck.Status.choices, HealthCheck.Grade.choices
    headers = [_("组织"), _("体检人数"), *[str(label) for _value, label in statuses + grades]]

    def row(name: str, r: Report) -> list[str]:
        health = r.data["health"]
        counts = [health.get("statuses", {}).get(value, 0) for value, _label in statuses]
        counts += [health["grades"].get(value, 0) for value, _label in grades]
        return [name, str(r.health_checks), *map(str, counts)]

    rows = [row(c.branch.name, c) for c in children] + [row(_("合计（含本组织直属）"), report)]
    caption = _("政治体检进度与等次（%(p)s）") % {"p": _health_display(report)}
    return Table(caption, headers, rows, note=_("各状态、各等次均为人数。"))


def _warnings(report: Report, branch: Branch, period: str) -> list[Table]:
    warnings = _structure_warnings(report, branch, period)
    if not warnings or not warnings["total"]:
        return []
    tables = [
        Table(_("组织设置提醒"), [_("提醒"), _("党支部数")], [[str(label), str(n)] for label, n in warnings["rows"]])
    ]
    rows = [
        [r.branch.name, "、".join(str(label) for label in labels), str(r.members), str(r.members_full), str(committee)]
        for r, labels, committee in warnings["branches"]
    ]
    note = ""
    if warnings["more"]:
        note = _("共 %(total)s 个党支部，仅列出前 %(n)s 个") % {"total": warnings["total"], "n": len(rows)}
    tables.append(Table(_("被提醒的党支部"), [_("党支部"), _("提醒"), _("党员"), _("正式党员"), _("支委")], rows, note))
    return tables


def _dash(value) -> str:
    return "—" if value is None else str(value)


def _service(own: ServiceFigures | None, children: list[ServiceFigures]) -> Table | None:
    """为民服务, as the dashboard shows it (stored beside the report: service.figures.stored_section)."""
    if own is None:
        return None
    headers = [_("组织"), _("报到率"), _("在职党员"), _("已报到"), _("受理诉求"), _("办结"), _("办结率")]
    headers += [_("办结用时中位数（小时）"), _("满意度（星）"), _("已评议")]

    def row(name: str, f: ServiceFigures) -> list[str]:
        cells = [name, _rate(f.registration_rate), str(f.employed), str(f.registered), str(f.received)]
        cells += [str(f.completed), _rate(f.completion_rate), _dash(f.median_hours), _dash(f.satisfaction)]
        return [*cells, str(f.rated)]

    rows = [row(f.branch.name, f) for f in children] + [row(_("合计（含本组织直属）"), own)]
    note = _("报到率按期末在职党员计；诉求为本期受理的，办结与评议情况截至计算时。")
    return Table(_("为民服务"), headers, rows, note)


def paper_of(*, branch: Branch, period: Period, user, now: datetime.datetime | None = None) -> Paper:
    """The paper of ``branch``'s stored report of ``period`` (no report: no tables), made by ``user`` now."""
    report = selectors.report_of(branch, period.label)
    title = _("%(name)s%(period)s党建工作报表") % {"name": branch.name, "period": period.display}
    paper = Paper(branch, period, title, timezone.localtime(now or timezone.now()), person(user), report)
    if report is None:
        return paper
    children = selectors.child_reports(branch, period.label)
    paper.tables = [_key_figures(report)]
    if meetings := _meetings(report):
        paper.tables.append(meetings)
    if children:
        paper.tables.append(_children(report, children))
    paper.tables.append(_health(report, children))
    paper.tables += _warnings(report, branch, period.label)
    if service := _service(*stored_section(branch=branch, period=period.label)):
        paper.tables.append(service)
    return paper


def _chosen(request) -> Period:
    return period_param(request, Period.parse) or schedule.last_complete_month(timezone.localdate())


@access.login_required
def dashboard_print(request, code):
    """打印版: the dashboard's report as plain tables, with a 打印 button on screen."""
    branch = _reports_branch(request, code)
    period = _chosen(request)
    paper = paper_of(branch=branch, period=period, user=request.user)
    context = {"paper": paper, "facts": _facts(paper), "back": _dashboard_url(branch, period.label)}
    return render(request, "reports/print.html", context)


def paper_document(paper: Paper) -> Document:
    """The paper as a Word document: the title, the facts of the page, each table with its caption."""
    doc = Document()
    section = doc.sections[0]
    if any(len(t.headers) > 6 for t in paper.tables):  # the children's tables: landscape
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    section.left_margin = section.right_margin = Cm(2)
    doc.styles["Normal"].font.size = Pt(10.5)
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(paper.title)
    run.bold, run.font.size = True, Pt(16)
    for line in _facts(paper):
        doc.add_paragraph(line)
    if paper.report is None:
        doc.add_paragraph(_("%(p)s的报表尚未计算。") % {"p": paper.period.display})
    for table in paper.tables:
        doc.add_heading(table.caption, level=2)
        grid = doc.add_table(rows=1, cols=len(table.headers))
        grid.style = "Table Grid"
        for cell, text in zip(grid.rows[0].cells, table.headers, strict=True):
            cell.text = text
            cell.paragraphs[0].runs[0].bold = True
        for values in table.rows:
            for cell, text in zip(grid.add_row().cells, values, strict=True):
                cell.text = text
        if table.note:
            doc.add_paragraph(table.note)
    return doc


def _facts(paper: Paper) -> list[str]:
    lines = [
        _("组织名称：%(name)s（%(code)s）") % {"name": paper.branch.name, "code": paper.branch.code},
        _("期间：%(p)s") % {"p": paper.period.display},
        _("生成时间：%(at)s") % {"at": paper.made_at.strftime(STAMP)},
        _("制表人：%(name)s") % {"name": paper.made_by},
    ]
    if paper.computed_at:
        lines.append(_("数据计算于 %(at)s") % {"at": paper.computed_at.strftime(STAMP)})
    return lines


@access.login_required
def dashboard_docx(request, code):
    """The same paper as a .docx (in Chinese, like every file of the site)."""
    branch = _reports_branch(request, code)
    period = _chosen(request)
    with translation.override("zh-hans"):
        paper = paper_of(branch=branch, period=period, user=request.user)
        buffer = io.BytesIO()
        paper_document(paper).save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=DOCX_TYPE)
    filename = f"{branch.name}-{period.label}-报表.docx"
    response.headers["Content-Disposition"] = content_disposition_header(True, filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response
