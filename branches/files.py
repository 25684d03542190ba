"""Private files: export outputs, import previews and activity photos and documents.

They hold full ID numbers and minutes, so they live in one storage outside MEDIA_ROOT
(``settings.STORAGES["private"]``, a directory at ``PRIVATE_FILES_ROOT``) that no URL serves:
the views that offer them check access first and answer with a ``FileResponse``. Names are
random (``random_name``), never a sequential id nor the uploader's file name.

Job outputs and import previews are swept after ``PRIVATE_FILES_MAX_AGE_DAYS``
(``private_files_sweep``, run daily by Celery beat); activity files are records the branch
keeps and are never swept.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import secrets

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.utils import timezone
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

JOBS_DIR = "jobs"
IMPORTS_DIR = "imports"
ACTIVITIES_DIR = "activities"
SWEPT_DIRS = (JOBS_DIR, IMPORTS_DIR)  # never ACTIVITIES_DIR


class PrivateStorage(FileSystemStorage):
    """A ``FileSystemStorage`` readable by the site's user only, that leaves no partial file.

    When a save fails (``OSError``, e.g. ENOSPC: the disk is full) the half-written file is
    removed before the error goes on. Names given to this storage are random and fresh
    (``random_name``), so a file at that name that was not there before is this save's own.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("file_permissions_mode", 0o600)
        kwargs.setdefault("directory_permissions_mode", 0o700)
        super().__init__(**kwargs)

    def _save(self, name, content):
        fresh = not self.exists(name)
        try:
            return super()._save(name, content)
        except OSError:
            if fresh:
                with contextlib.suppress(OSError):
                    os.remove(self.path(name))
            raise


def private_storage() -> PrivateStorage:
    """The private storage (also the ``storage`` callable of the file fields kept there)."""
    return storages["private"]


def save_failed_message() -> str:
    """What a user is told when a file could not be stored (the disk is full, say); nothing was kept."""
    return gettext("服务器暂时无法保存文件（例如磁盘空间已满），文件未保存，请稍后再试或联系系统管理员")


def random_name(directory: str, extension: str) -> str:
    """``directory/<192 random bits, url-safe>.<extension>``: nothing in it can be guessed."""
    return f"{directory}/{secrets.token_urlsafe(24)}.{extension}"


def max_age() -> datetime.timedelta:
    return datetime.timedelta(days=settings.PRIVATE_FILES_MAX_AGE_DAYS)


def _files_under(storage, directory: str):
    if not storage.exists(directory):
        return
    subdirectories, files = storage.listdir(directory)
    for name in files:
        yield f"{directory}/{name}"
    for sub in subdirectories:
        yield from _files_under(storage, f"{directory}/{sub}")


def private_files_sweep(*, now: datetime.datetime | None = None) -> int:
    """Delete job outputs and import previews older than ``PRIVATE_FILES_MAX_AGE_DAYS``; their count.

    Activity files are not touched. The sweep is the system's own work (no user): each
    deletion is logged with the file's name.
    """
    storage = private_storage()
    cutoff = (now or timezone.now()) - max_age()
    removed = 0
    for directory in SWEPT_DIRS:
        for name in list(_files_under(storage, directory)):
            with contextlib.suppress(FileNotFoundError):
                if storage.get_modified_time(name) < cutoff:
                    storage.delete(name)
                    logger.info("private file swept: %s", name)
                    removed += 1
    return removed
