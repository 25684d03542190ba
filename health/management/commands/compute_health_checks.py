"""``manage.py compute_health_checks --period 2026 [--branch CODE]``: compute a subtree's health checks."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from branches.models import Branch
from health.services import HealthError, health_checks_compute


class Command(BaseCommand):
    help = "计算某一考核期的党员政治体检得分（已提交、已审核、已公示的结果不会被覆盖）"

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="考核期：2026（年度）或 2026Q3（季度）")
        parser.add_argument("--branch", help="党组织编码；不填则为全部党组织")

    def handle(self, *args, period, branch=None, **options):
        root = None
        if branch:
            root = Branch.objects.filter(code=branch).first()
            if root is None:
                raise CommandError(f"没有编码为“{branch}”的党组织")
        try:
            result = health_checks_compute(period=period, branch=root)
        except HealthError as exc:
            raise CommandError(exc.message) from None
        scope = root.name if root else "全部党组织"
        self.stdout.write(
            f"{scope} {period}：新建 {result.created} 条，更新 {result.updated} 条，"
            f"未变 {result.unchanged} 条，已锁定 {result.locked} 条"
        )
