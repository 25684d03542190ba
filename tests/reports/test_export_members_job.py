"""A whole city's roster export as a background job (issue 15, "Every page at city scale"): the export page
offers the job past ROSTER_EXPORT_DIRECT_MAX members; the job writes the same file (openpyxl write-only)
with its progress into the private storage, audited as its starter's, masked as they may read it."""

from __future__ import annotations

from django.urls import reverse
from openpyxl import load_workbook

from branches.models import AuditBulkEvent
from reports import jobs
from reports.models import Job
from tests.factories import MemberFactory

Kind, Status = Job.Kind, Job.Status


def test_a_small_export_is_the_file_at_once(login_as, tree, settings):
    settings.ROSTER_EXPORT_DIRECT_MAX = 2
    MemberFactory(branch=tree.branch_b)
    MemberFactory(branch=tree.branch_b)

    response = login_as("orgdept").get(reverse("members:roster_export"), {"branch": "VB"})

    assert response["Content-Disposition"].startswith("attachment")


def test_a_large_export_offers_a_background_job_per_subtree(login_as, tree, settings):
    settings.ROSTER_EXPORT_DIRECT_MAX = 1
    for branch in (tree.branch_a, tree.branch_a, tree.branch_b):
        MemberFactory(branch=branch)
    client = login_as("orgdept")

    everything = client.get(reverse("members:roster_export"))
    village = client.get(reverse("members:roster_export"), {"branch": "VA"})

    assert everything.status_code == 200 and everything.context["count"] == 3
    assert (
        reverse("reports:job_start", args=["TOWN"]) in everything.text and 'value="export_members"' in everything.text
    )
    assert [b.code for b in village.context["roots"]] == ["VA"]
    assert not AuditBulkEvent.objects.exists()  # nothing exported yet


def test_the_job_writes_the_roster_with_its_progress_and_is_audited_as_its_starters(
    login_as, tree, reviewer, settings, django_capture_on_commit_callbacks
):
    settings.ROSTER_EXPORT_DIRECT_MAX = 0
    members = [MemberFactory(branch=tree.branch_a, name=f"党员{i}") for i in range(3)]
    client = login_as("reviewer")  # reads the town, no view_sensitive: masked

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:job_start", args=["VA"]), {"kind": Kind.EXPORT_MEMBERS, "period": ""})

    job = Job.objects.get()
    assert response.url == reverse("reports:job", args=[job.pk])
    assert (job.status, job.progress_done, job.progress_total, job.result) == (Status.DONE, 3, 3, {"rows": 3})
    with job.result_file.open("rb") as handle:
        rows = list(load_workbook(handle, read_only=True).active.iter_rows(values_only=True))
    assert {row[0] for row in rows[1:]} == {m.name for m in members}
    assert members[0].id_number not in {cell for row in rows for cell in row}
    event = AuditBulkEvent.objects.get(kind=AuditBulkEvent.Kind.EXPORT_MEMBERS)
    assert (event.actor, event.branch, event.counts) == (reviewer, tree.village_a, {"导出": 3, "未脱敏": 0})
    download = client.get(reverse("reports:job_download", args=[job.pk]))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert jobs.download_name(job).startswith("党员花名册-VA-")
    assert reverse("members:list") in client.get(reverse("reports:job", args=[job.pk])).text


def test_the_job_of_another_subtree_is_refused(login_as, tree):
    response = login_as("secretary_a").post(
        reverse("reports:job_start", args=["BB"]), {"kind": Kind.EXPORT_MEMBERS, "period": ""}
    )
    assert response.status_code == 404 and not Job.objects.exists()
