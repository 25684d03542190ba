"""The management command and the Celery task both call the computation service."""

import pytest
from django.core.management import CommandError, call_command

from health.models import HealthCheck
from health.tasks import compute_health_checks


def test_command_computes_a_subtree_and_reports_counts(tree, member_a, member_c, capsys):
    call_command("compute_health_checks", "--period", "2025", "--branch", "TOWN")
    assert list(HealthCheck.objects.values_list("member_id", flat=True)) == [member_a.pk]
    call_command("compute_health_checks", "--period", "2025")
    out = capsys.readouterr().out
    assert "城关镇党委 2025：新建 1 条" in out
    assert "全部党组织 2025：新建 1 条，更新 0 条，未变 1 条" in out


@pytest.mark.parametrize("args, message", [(["--branch", "NOPE"], "NOPE"), ([], "考核期")])
def test_command_refuses_unknown_branch_or_period(tree, args, message):
    period = "2025" if args else "2025-01"
    with pytest.raises(CommandError, match=message):
        call_command("compute_health_checks", "--period", period, *args)


def test_task_is_idempotent(tree, member_a, member_b):
    first = compute_health_checks.delay("2025Q1", tree.village_a.pk).get()
    second = compute_health_checks.delay("2025Q1", tree.village_a.pk).get()
    assert (first["created"], second["created"], second["unchanged"]) == (1, 0, 1)
    assert HealthCheck.objects.get().member == member_a
