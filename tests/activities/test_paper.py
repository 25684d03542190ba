"""The sign-in sheet and the meeting's record as a Word file (issue 15, "Paper")."""

import datetime
import io

import pytest
from django.utils import timezone
from docx import Document

from activities.models import Activity, Attendance, Resolution
from activities.paper import record_document, roll
from branches import access

from ..factories import MemberFactory, UserFactory, make_branch

pytestmark = pytest.mark.django_db


@pytest.fixture
def held():
    branch = make_branch(make_branch(), kind="branch")
    host, ann, bo, cy = (MemberFactory(branch=branch, name=n) for n in ("主持人甲", "党员安", "党员博", "党员慈"))
    start = timezone.now() - datetime.timedelta(days=2)
    activity = Activity.objects.create(
        branch=branch, kind=Activity.Kind.BRANCH_ASSEMBLY, title="十一月支部党员大会", starts_at=start,
        ends_at=start + datetime.timedelta(hours=2), place="村部会议室", host=host, agenda="一、学习\n二、表决",
        minutes="会议学习了文件。", status=Activity.Status.HELD,
    )  # fmt: skip
    statuses = {host: "present", ann: "present", bo: "leave", cy: "absent"}
    for member, status in statuses.items():
        Attendance.objects.create(activity=activity, member=member, status=status, expected=True)
    Resolution.objects.create(activity=activity, text="同意张三按期转正", votes_for=3, votes_against=0, votes_abstain=0)
    return activity


def test_the_roll_names_who_was_expected_present_on_leave_and_absent(held):
    names = roll(held)

    assert sorted(names.expected) == sorted(["主持人甲", "党员安", "党员博", "党员慈"])
    assert sorted(names.present) == ["主持人甲", "党员安"]
    assert names.leave == ["党员博"] and names.absent == ["党员慈"]


def test_the_record_holds_the_facts_names_minutes_and_votes(held):
    doc = record_document(held)

    cells = {row.cells[0].text: row.cells[1].text for row in doc.tables[0].rows}
    text = "\n".join(p.text for p in doc.paragraphs)
    assert cells["地点"] == "村部会议室" and cells["主持人"] == "主持人甲"
    assert cells["应到"] == "4人" and cells["请假"] == "1人：党员博" and cells["缺席"] == "1人：党员慈"
    assert "党员安" in cells["实到"]
    assert "会议学习了文件。" in text and "二、表决" in text
    assert "同意张三按期转正" in text and "赞成3票，反对0票，弃权0票" in text


def test_a_reader_downloads_the_record_and_prints_the_sheet(client, held):
    viewer = UserFactory()
    access.grant(viewer, access.VIEW, held.branch)
    client.force_login(viewer)

    docx = client.get(f"/activities/{held.pk}/record.docx")
    sheet = client.get(f"/activities/{held.pk}/sign-in-sheet/")

    assert docx.status_code == 200 and "attachment" in docx["Content-Disposition"]
    assert Document(io.BytesIO(docx.content)).tables[0].rows[0].cells[1].text == "十一月支部党员大会"
    assert sheet.status_code == 200
    body = sheet.content.decode()
    assert body.count('class="sign"') == 4 and "党员慈" in body


def test_another_subtree_gets_404(client, held):
    stranger = UserFactory()
    access.grant(stranger, access.MANAGE, make_branch())
    client.force_login(stranger)

    assert client.get(f"/activities/{held.pk}/record.docx").status_code == 404
    assert client.get(f"/activities/{held.pk}/sign-in-sheet/").status_code == 404
