"""``python manage.py move_private_files``: once, after upgrading to the private storage.

Before issue 12, activity files and export outputs were kept under MEDIA_ROOT (which a web
server may serve) and dues-import previews there too, roster-import previews in var/imports.
This moves every activity file and job output still under MEDIA_ROOT into the private storage
under a new random name (the row is updated), and deletes the old import previews (never
confirmed: they only had to be uploaded again). Run it again: it finds nothing left to do.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.management.base import BaseCommand

from activities.models import ActivityFile
from branches.files import ACTIVITIES_DIR, JOBS_DIR, private_storage, random_name
from reports.models import Job


def _move(old: FileSystemStorage, name: str, directory: str) -> str | None:
    """The file's new name in the private storage, or None when it is not under MEDIA_ROOT."""
    if not name or not old.exists(name):
        return None
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else "bin"
    with old.open(name, "rb") as handle:
        new = private_storage().save(random_name(directory, extension), handle)
    old.delete(name)
    return new


class Command(BaseCommand):
    help = "把旧版本保存在 MEDIA_ROOT 下的活动照片与文件、导出结果移入私有存储，并删除旧的导入预览文件。"

    def handle(self, *args, **options):
        media = FileSystemStorage(location=settings.MEDIA_ROOT)
        moved = 0
        for item in ActivityFile.objects.exclude(file=""):
            new = _move(media, item.file.name, ACTIVITIES_DIR)
            if new is not None:
                ActivityFile.objects.filter(pk=item.pk).update(file=new)
                moved += 1
        for job in Job.objects.exclude(result_file=""):
            new = _move(media, job.result_file.name, JOBS_DIR)
            if new is not None:
                Job.objects.filter(pk=job.pk).update(result_file=new)
                moved += 1
        removed = 0
        for directory in (Path(settings.MEDIA_ROOT) / "dues_imports", Path(settings.VAR_DIR) / "imports"):
            if directory.is_dir():
                removed += sum(1 for path in directory.rglob("*") if path.is_file())
                shutil.rmtree(directory)
        self.stdout.write(f"已移入私有存储 {moved} 个文件，删除旧的导入预览 {removed} 个。")
