"""``manage.py compliance --period 2026Q3 [--branch CODE]``: the compliance table of a subtree."""

from __future__ import annotations

import unicodedata

from django.core.management.base import BaseCommand, CommandError

from activities.compliance import KIND_LABELS, LINE_KINDS, MET, MISSING, Period, compliance_report
from branches.models import Branch

MARKS = {MET: "✓", MISSING: "✗", "pending": "…"}


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


class Command(BaseCommand):
    help = "打印某一期间各党组织“三会一课”等组织生活的落实情况（已开/应开，✗ 为缺，… 为未到期）"

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="期间：2026-10（月）、2026Q3（季度）或 2026（年）")
        parser.add_argument("--branch", help="党组织编码；不填则为全部最上级党组织")
        parser.add_argument("--missing-only", action="store_true", help="只列出有缺项的党组织")

    def handle(self, *args, period, branch=None, missing_only=False, **options):
        try:
            period = Period.parse(period)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if branch:
            roots = list(Branch.objects.filter(code=branch))
            if not roots:
                raise CommandError(f"没有编码为“{branch}”的党组织")
        else:
            roots = list(Branch.objects.filter(depth=1))
        for root in roots:
            self._print(compliance_report(branch=root, period=period), missing_only)

    def _print(self, report, missing_only: bool) -> None:
        out = self.stdout
        out.write(f"{report.root.name}（{report.root.code}） {report.period.display_zh} 组织生活落实情况")
        headers = [str(KIND_LABELS[k]) for k in LINE_KINDS]
        widths = [max(_width(h), 7) for h in headers]
        out.write(
            _pad("组织编码", 12)
            + _pad("名称", 28)
            + "  ".join(_pad(h, w) for h, w in zip(headers, widths, strict=True))
        )
        for unit in report.branches:
            if missing_only and unit.ok:
                continue
            cells = unit.cells()
            row = []
            for kind, width in zip(LINE_KINDS, widths, strict=True):
                cell = cells.get(kind)
                text = f"{cell.held}/{cell.required} {MARKS[cell.status]}" if cell else "—"
                row.append(_pad(text, width))
            out.write(_pad(unit.branch.code, 12) + _pad(unit.branch.name[:13], 28) + "  ".join(row))
        out.write("合计（达标/应开项，缺，未到期）：")
        for kind, tally in report.rollup().items():
            if tally.required:
                out.write(
                    f"  {KIND_LABELS[kind]}：{tally.met}/{tally.required}，缺 {tally.missing}，未到期 {tally.pending}"
                )
        total = report.total()
        out.write(f"  全部：{total.met}/{total.required}，缺 {total.missing}，未到期 {total.pending}")
        out.write(f"  有缺项的党组织：{len(report.missing_units())} / {len(report.branches)}")
        out.write("")
