"""The roster import's baseline (bench/import_baseline.py) agrees with the site's bulk import."""

from bench.import_baseline import import_with_default_resource
from members.models import Member, MemberEvent
from members.roster_io.importing import import_members
from tests.factories import MemberFactory
from tests.members.import_helpers import error_tuples, person, workbook_bytes


def test_default_resource_baseline_agrees_with_the_bulk_import(tree, orgdept, tmp_path):
    existing = MemberFactory(branch=tree.branch_a)
    rows = [person(), person(公民身份号码=existing.id_number, 姓名="改名"), person(职业类别="神仙")]
    path = tmp_path / "roster.xlsx"
    path.write_bytes(workbook_bytes(rows).getvalue())
    bulk = import_members(path, user=orgdept)
    baseline = import_with_default_resource(path, user=orgdept)
    assert error_tuples(baseline) == error_tuples(bulk) == [(4, "职业类别", error_tuples(bulk)[0][2])]
    assert Member.objects.count() == 1

    path.write_bytes(workbook_bytes(rows[:2]).getvalue())
    baseline = import_with_default_resource(path, user=orgdept)
    assert baseline.ok, baseline.errors
    assert (baseline.new, baseline.changed, baseline.unchanged) == (1, 1, 0)
    assert import_members(path, user=orgdept).unchanged == 2
    assert Member.objects.get(pk=existing.pk).name == "改名"
    assert set(MemberEvent.objects.values_list("kind", flat=True)) == {"imported", "updated"}
