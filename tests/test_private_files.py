"""Files with personal data: one private storage outside MEDIA_ROOT, random names, served only
through views that check access, swept after PRIVATE_FILES_MAX_AGE_DAYS (activity files kept),
and a save that fails on a full disk leaves nothing behind.
"""

from __future__ import annotations

import errno
import io
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, resolve, reverse

from activities import records as record_services
from activities import services as activity_services
from activities.models import Activity, ActivityFile
from branches import files
from reports import jobs
from reports.models import Job
from reports.tasks import sweep_private_files

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
RANDOM = r"[A-Za-z0-9_-]{32}"
PERSONAS = ["anonymous", "member_a", "secretary_a", "secretary_b", "orgdept", "other_orgdept", "reviewer"]


@pytest.fixture
def private_root(settings) -> Path:
    """The test run's private storage, without what earlier tests left in its swept directories."""
    root = Path(settings.PRIVATE_FILES_ROOT)
    for directory in files.SWEPT_DIRS:
        shutil.rmtree(root / directory, ignore_errors=True)
    return root


@pytest.fixture
def export_job(private_root, tree, orgdept, django_capture_on_commit_callbacks) -> Job:
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_start(kind=Job.Kind.EXPORT_REPORTS, branch=tree.town, period="2025", by=orgdept)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error
    return job


@pytest.fixture
def activity(tree, secretary_a):
    import datetime

    from django.utils import timezone

    start = timezone.now() + datetime.timedelta(hours=1)
    return activity_services.activity_create(
        branch=tree.branch_a,
        kind=Activity.Kind.BRANCH_ASSEMBLY,
        title="支部党员大会",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        by=secretary_a,
    )


def _age(path: Path, days: float) -> None:
    stamp = time.time() - days * 86400
    os.utime(path, (stamp, stamp))


# --- where job outputs live, and their names ---------------------------------------------------


def test_an_export_jobs_file_is_in_the_private_storage_not_under_media_root(export_job, private_root, settings):
    path = Path(export_job.result_file.path)
    assert path.is_file()
    assert path.is_relative_to(private_root)
    assert not path.resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert not any(Path(settings.MEDIA_ROOT).rglob("*.xlsx"))


def test_an_export_jobs_file_name_cannot_be_guessed(export_job, tree, orgdept, django_capture_on_commit_callbacks):
    name = export_job.result_file.name
    assert re.fullmatch(rf"jobs/{RANDOM}\.xlsx", name), name
    assert str(export_job.pk) not in name.split("/")[0] and "TOWN" not in name and "2025" not in name
    with django_capture_on_commit_callbacks(execute=True):
        second = jobs.job_start(kind=Job.Kind.EXPORT_REPORTS, branch=tree.town, period="2025", by=orgdept)
    second.refresh_from_db()
    assert second.result_file.name != name


def test_no_url_under_media_reaches_a_private_file(export_job, client, orgdept):
    for url in (f"/media/{export_job.result_file.name}", f"/media/reports/jobs/{export_job.pk}/x.xlsx"):
        with pytest.raises(Resolver404):
            resolve(url)
    client.force_login(orgdept)
    assert client.get(f"/media/{export_job.result_file.name}").status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_starter_downloads_a_job_output(export_job, login_as, persona):
    response = login_as(persona).get(reverse("reports:job_download", args=[export_job.pk]))
    if persona == "orgdept":  # who started it
        assert response.status_code == 200 and response.streaming
        assert b"".join(response.streaming_content)[:2] == b"PK"
        assert response["Cache-Control"] == "private, no-store"
    elif persona == "anonymous":
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    else:
        assert response.status_code == 404


def test_a_swept_job_output_answers_404_with_a_reason(export_job, login_as):
    export_job.result_file.storage.delete(export_job.result_file.name)
    response = login_as("orgdept").get(reverse("reports:job_download", args=[export_job.pk]))
    assert response.status_code == 404


# --- activity files -------------------------------------------------------------------------------


def test_an_activity_file_is_in_the_private_storage_with_a_random_name(activity, secretary_a, private_root, settings):
    item = record_services.activity_attach_file(
        activity=activity, upload=SimpleUploadedFile("支部大会合影.png", PNG), by=secretary_a
    )
    assert re.fullmatch(rf"activities/{RANDOM}\.png", item.file.name), item.file.name
    assert Path(item.file.path).is_relative_to(private_root)
    assert not any(Path(settings.MEDIA_ROOT).rglob("*.png"))


@pytest.mark.parametrize("persona", PERSONAS)
def test_an_activity_file_is_served_only_to_who_may_read_the_activity(activity, secretary_a, login_as, persona):
    item = record_services.activity_attach_file(
        activity=activity, upload=SimpleUploadedFile("a.png", PNG), by=secretary_a
    )
    response = login_as(persona).get(reverse("activities:file", args=[activity.pk, item.pk]))
    if persona == "anonymous":
        assert response.status_code == 302
    elif persona in ("secretary_b", "other_orgdept"):
        assert response.status_code == 404
    elif response.status_code == 200:
        assert b"".join(response.streaming_content) == PNG
    else:
        assert response.status_code in (403, 404)


# --- the sweep ------------------------------------------------------------------------------------


def test_the_sweep_removes_old_outputs_and_previews_and_keeps_young_ones_and_activity_files(
    private_root, settings, activity, secretary_a
):
    settings.PRIVATE_FILES_MAX_AGE_DAYS = 7
    storage = files.private_storage()
    names = {
        key: storage.save(files.random_name(directory, "bin"), ContentFile(b"x"))
        for key, directory in [
            ("old_job", files.JOBS_DIR),
            ("young_job", files.JOBS_DIR),
            ("old_preview", files.IMPORTS_DIR),
            ("young_preview", files.IMPORTS_DIR),
        ]
    }
    item = record_services.activity_attach_file(
        activity=activity, upload=SimpleUploadedFile("a.png", PNG), by=secretary_a
    )
    for key in ("old_job", "old_preview"):
        _age(private_root / names[key], 8)
    for key in ("young_job", "young_preview"):
        _age(private_root / names[key], 6)
    _age(Path(item.file.path), 400)

    assert sweep_private_files() == 2

    assert not storage.exists(names["old_job"]) and not storage.exists(names["old_preview"])
    assert storage.exists(names["young_job"]) and storage.exists(names["young_preview"])
    assert storage.exists(item.file.name) and ActivityFile.objects.filter(pk=item.pk).exists()


def test_the_sweeps_age_comes_from_the_setting(private_root, settings):
    storage = files.private_storage()
    name = storage.save(files.random_name(files.IMPORTS_DIR, "json"), ContentFile(b"{}"))
    _age(private_root / name, 3)
    settings.PRIVATE_FILES_MAX_AGE_DAYS = 4
    assert files.private_files_sweep() == 0
    settings.PRIVATE_FILES_MAX_AGE_DAYS = 2
    assert files.private_files_sweep() == 1 and not storage.exists(name)


def test_the_sweep_is_a_daily_beat_task(settings):
    from partysite.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["sweep-private-files"]
    assert entry["task"] == "reports.sweep_private_files" in app.tasks


# --- a full disk ----------------------------------------------------------------------------------


class _DiskFull(ContentFile):
    """Writes one chunk, then the disk is full."""

    def chunks(self, chunk_size=None):
        yield b"half of the file"
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_save_that_fills_the_disk_leaves_no_partial_file(private_root):
    storage = files.private_storage()
    name = files.random_name(files.JOBS_DIR, "xlsx")
    with pytest.raises(OSError) as caught:
        storage.save(name, _DiskFull(b""))
    assert caught.value.errno == errno.ENOSPC
    assert not (private_root / name).exists()


def test_an_activity_upload_on_a_full_disk_shows_a_message_and_keeps_nothing(
    activity, login_as, monkeypatch, private_root
):
    def full(self, name, content):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.PrivateStorage, "_save", full)
    before = set(private_root.rglob("*"))
    client = login_as("secretary_a")
    response = client.post(
        reverse("activities:file_upload", args=[activity.pk]), {"file": SimpleUploadedFile("a.png", PNG)}, follow=True
    )
    assert response.status_code == 200
    assert "文件未保存" in response.content.decode()
    assert not ActivityFile.objects.exists()
    assert set(private_root.rglob("*")) == before


# --- an existing installation -----------------------------------------------------------------------


def test_move_private_files_moves_what_older_versions_kept_under_media_root(
    activity, secretary_a, orgdept, tree, settings, tmp_path, private_root
):
    from django.core.management import call_command

    settings.MEDIA_ROOT = str(tmp_path / "media")
    media = Path(settings.MEDIA_ROOT)
    for name, content in [
        ("activities/7/old.png", PNG),
        ("reports/jobs/3/out.xlsx", b"PK"),
        ("dues_imports/t.xlsx", b"PK"),
    ]:
        (media / name).parent.mkdir(parents=True, exist_ok=True)
        (media / name).write_bytes(content)
    item = ActivityFile.objects.create(
        activity=activity, kind=ActivityFile.Kind.PHOTO, file="activities/7/old.png", original_name="合影.png", size=72
    )
    job = Job.objects.create(
        kind=Job.Kind.EXPORT_REPORTS,
        branch=tree.town,
        created_by=orgdept,
        status=Job.Status.DONE,
        result_file="reports/jobs/3/out.xlsx",
    )
    call_command("move_private_files", stdout=io.StringIO())
    item.refresh_from_db()
    job.refresh_from_db()
    assert re.fullmatch(rf"activities/{RANDOM}\.png", item.file.name)
    assert (private_root / item.file.name).read_bytes() == PNG
    assert re.fullmatch(rf"jobs/{RANDOM}\.xlsx", job.result_file.name)
    assert not [path for path in media.rglob("*") if path.is_file()]
    call_command("move_private_files", stdout=io.StringIO())  # nothing left to do
    item.refresh_from_db()
    assert (private_root / item.file.name).read_bytes() == PNG
