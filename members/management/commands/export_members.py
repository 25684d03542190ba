"""``python manage.py export_members FILE.xlsx [--branch CODE] [--user USERNAME]``."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from branches import access
from branches.models import Branch
from members.roster_io.exporting import export_members


class Command(BaseCommand):
    help = (
        "把在册党员导出为Excel（.xlsx），表头与导入模板相同。"
        "不带--user时是服务器管理员的导出：包含完整的公民身份号码和手机号码，请妥善保管文件；"
        "带--user时只导出该用户可查看的党员，无“查看完整身份证号和手机号”权限的部分脱敏。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="导出到的.xlsx文件")
        parser.add_argument("--branch", help="只导出该党组织（组织编码）及其下级的党员")
        parser.add_argument("--user", help="以该用户的权限导出（用户名）")

    def handle(self, *args, file, branch, user, **options):
        exporter = None
        if user:
            exporter = get_user_model().objects.filter(username=user, is_active=True).first()
            if exporter is None:
                raise CommandError(f"用户“{user}”不存在或已停用")
        root = None
        if branch:
            root = Branch.objects.filter(code=branch).first()
            if root is None or (exporter is not None and not access.can_view(exporter, root)):
                raise CommandError(f"党组织编码“{branch}”不存在或不在可查看的范围内")
        count = export_members(file, user=exporter, branch=root)
        self.stdout.write(self.style.SUCCESS(f"已导出{count}名党员到{file}"))
