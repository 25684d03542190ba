"""``manage.py run_reports --period 2026-10 [--branch CODE]``: compute a subtree's report snapshots."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from branches.models import Branch
from reports.services import ReportError, reports_compute


class Command(BaseCommand):
    help = "计算某一期间各党组织的报表（逐级汇总，可重复运行，每期保留一份）"

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="期间：2026-10（月）、2026Q3（季度）或 2026（年）")
        parser.add_argument("--branch", help="党组织编码；不填则为全部党组织")

    def handle(self, *args, period, branch=None, **options):
        root = None
        if branch:
            root = Branch.objects.filter(code=branch).first()
            if root is None:
                raise CommandError(f"没有编码为“{branch}”的党组织")
        try:
            result = reports_compute(period=period, branch=root)
        except ReportError as exc:
            raise CommandError(exc.message) from None
        scope = root.name if root else "全部党组织"
        self.stdout.write(f"{scope} {period}：新建 {result.created} 份报表，更新 {result.updated} 份")
