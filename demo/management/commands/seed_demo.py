"""``python manage.py seed_demo [--scale demo|city] [--seed N] [--if-empty]``: load demo or scale data."""

import time
from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from branches.models import Branch
from demo.plan import SCALES, SeedError
from demo.seeding import DEMO_PASSWORD, seed_build
from demo.year import seed_year


class Command(BaseCommand):
    help = "载入演示数据（demo：一个镇约600名党员；city：2,149个组织节点（含党员中心户）、48,909名党员）。仅供演示。"

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="demo")
        parser.add_argument("--seed", type=int, default=1, help="随机种子：同一种子生成相同的数据")
        parser.add_argument("--if-empty", action="store_true", help="已有党组织时什么也不做")

    def handle(self, *args, scale, seed, if_empty, **options):
        if if_empty and Branch.objects.exists():
            self.stdout.write("已有党组织数据，未载入演示数据。")
            return
        started = time.perf_counter()
        try:
            result = seed_build(scale=SCALES[scale], seed=seed)
        except SeedError as exc:
            raise CommandError(f"{exc}（可加 --if-empty 跳过）") from None
        plan = result.plan
        # 党小组 and 党员中心户 are counted apart from the organizations, as in the reports (issue 14).
        kinds = Counter(b.kind for b in plan.branches)
        groups, households = kinds[Branch.Kind.GROUP], kinds[Branch.Kind.HOUSEHOLD]
        self.stdout.write(
            self.style.SUCCESS(
                f"已载入“{result.root.name}”：{len(plan.branches) - groups - households:,} 个党组织"
                f"（另有 {groups:,} 个党小组、{households:,} 个党员中心户），{len(plan.members):,} 名党员，"
                f"{len(plan.positions):,} 个职务，用时 {time.perf_counter() - started:.1f} 秒。"
            )
        )
        extended = time.perf_counter()
        for summary in seed_year(result=result, seed=seed):  # a year of dues, activities, attendance
            self.stdout.write(f"  {summary}")
        self.stdout.write(self.style.SUCCESS(f"一年的数据已载入，用时 {time.perf_counter() - extended:.1f} 秒。"))
        self.stdout.write(self.style.WARNING(f"以下账号仅供演示，密码均为 {DEMO_PASSWORD}，切勿用于真实数据："))
        for username, who in result.logins:
            self.stdout.write(f"  {username:<11} {who}")
