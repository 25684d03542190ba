"""The import's member-writing service (members/services_bulk.py) writes the history the form's services write."""

import datetime

import pytest

from branches.models import AuditBulkEvent
from members import services
from members.models import Member, MemberEvent
from members.roster_io.importing import import_members
from members.rules import MemberData
from tests.factories import new_id_number

from .import_helpers import person, workbook_bytes

pytestmark = pytest.mark.django_db

# The one kind that differs by design: where the member came from (the form's 新建, the file's 导入).
CREATION = {MemberEvent.Kind.CREATED: "creation", MemberEvent.Kind.IMPORTED: "creation"}
JOINED, CONFIRMED = datetime.date(2015, 7, 1), datetime.date(2016, 7, 1)


def history(member: Member) -> list[str]:
    kinds = member.events.order_by("pk").values_list("kind", flat=True)
    return [CREATION.get(kind, kind) for kind in kinds]


def _by_form(tree, orgdept) -> Member:
    number = new_id_number(datetime.date(1990, 2, 3), "F")
    fields = dict(name="孙新", id_number=number, branch=tree.branch_a, joined_on=JOINED, occupation="employed")
    member = services.member_create(data=MemberData(**fields, status=Member.Status.PROBATIONARY), by=orgdept)
    full = MemberData(**fields, status=Member.Status.FULL, confirmed_on=CONFIRMED, phone="13900139000")
    services.member_update(member=member, data=full, by=orgdept)
    return services.member_transfer(member=member, to_branch=tree.branch_b, on=CONFIRMED, by=orgdept)


def _by_import(orgdept) -> Member:
    row = person(党员状态="预备党员", 转正日期="", 入党日期=JOINED)
    for changes in (
        {},
        {"党员状态": "正式党员", "转正日期": CONFIRMED, "手机号码": "13900139000"},
        {"党组织编码": "BB"},
    ):
        row.update(changes)
        result = import_members(workbook_bytes([row]), user=orgdept)
        assert result.ok and result.written, result.errors
    return Member.objects.with_id_number(row["公民身份号码"]).get()


def test_an_imported_member_has_the_history_kinds_of_a_form_created_member(tree, orgdept):
    by_form, by_import = _by_form(tree, orgdept), _by_import(orgdept)
    assert history(by_import) == history(by_form) == ["creation", "updated", "status_changed", "transferred"]
    assert by_import.events.order_by("pk").first().kind == MemberEvent.Kind.IMPORTED
    assert set(by_import.events.values_list("by", flat=True)) == set(by_form.events.values_list("by", flat=True))


def test_each_import_is_audited_by_one_bulk_event_with_its_counts(tree, orgdept):
    _by_import(orgdept)
    events = AuditBulkEvent.objects.filter(kind=AuditBulkEvent.Kind.IMPORT_MEMBERS).order_by("pk")
    assert [(e.counts["新增"], e.counts["修改"], e.counts["转接"]) for e in events] == [(1, 0, 0), (0, 1, 0), (0, 1, 1)]
    assert all(e.actor_id == orgdept.pk for e in events)
