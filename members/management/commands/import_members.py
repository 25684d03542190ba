"""``python manage.py import_members FILE.xlsx [--dry-run] [--user USERNAME]``."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from members.roster_io.importing import import_members


class Command(BaseCommand):
    help = (
        "从Excel（.xlsx）导入党员花名册：先检查每一行，任何一行有错误则整个文件都不写入。"
        "不带--user时以服务器管理员身份导入（所有党组织均在范围内）；"
        "带--user时只能导入该用户有管理权限的党组织。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="要导入的.xlsx文件")
        parser.add_argument("--dry-run", action="store_true", help="只检查并报告，不写入")
        parser.add_argument("--user", help="以该用户的权限导入（用户名）")

    def handle(self, *args, file, dry_run, user, **options):
        importer = None
        if user:
            importer = get_user_model().objects.filter(username=user, is_active=True).first()
            if importer is None:
                raise CommandError(f"用户“{user}”不存在或已停用")
        result = import_members(file, user=importer, dry_run=dry_run)
        for error in result.errors:
            self.stderr.write(str(error))
        self.stdout.write(result.summary())
        if not result.ok:
            raise CommandError(f"导入失败：共{len(result.errors)}处错误，未写入任何数据")
        if dry_run:
            self.stdout.write("检查通过（--dry-run，未写入）")
        else:
            moved = f"，其中组织关系转接{result.transferred}人" if result.transferred else ""
            self.stdout.write(self.style.SUCCESS(f"导入完成{moved}"))
