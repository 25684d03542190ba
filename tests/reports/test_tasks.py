"""The run_reports command, the Celery tasks (inline without REDIS_URL) and the beat schedule."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from health.models import HealthCheck
from partysite.celery import app as celery_app
from reports import tasks
from reports.models import Report
from tests.reports.conftest import Y


def test_command_computes_a_subtree_then_every_tree(tree, year_data, capsys):
    call_command("run_reports", "--period", f"{Y}-10", "--branch", "VA")
    assert set(Report.objects.values_list("branch__code", flat=True)) == {"VA", "BA"}
    call_command("run_reports", "--period", f"{Y}-10")
    out = capsys.readouterr().out
    assert f"东村党总支 {Y}-10：新建 2 份报表，更新 0 份" in out
    assert f"全部党组织 {Y}-10：新建 6 份报表，更新 2 份" in out  # TOWN VB BB OTHER VC BC new


@pytest.mark.parametrize(
    "args, message", [(["--period", "2025", "--branch", "NOPE"], "NOPE"), (["--period", "2025-13"], "期间")]
)
def test_command_refuses_unknown_branch_or_period(tree, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("run_reports", *args)


def test_report_task_is_idempotent(tree, year_data):
    first = tasks.compute_reports.delay(str(Y), tree.town.pk).get()
    second = tasks.compute_reports.delay(str(Y), tree.town.pk).get()
    assert (first["created"], second["created"], second["updated"]) == (5, 0, 5)
    assert Report.objects.count() == 5


@pytest.mark.parametrize(
    "today, periods",
    [
        ("2025-11-01", [f"{Y}-10"]),
        ("2025-10-01", [f"{Y}-09", f"{Y}Q3"]),
        ("2026-01-01", [f"{Y}-12", f"{Y}Q4", str(Y)]),
    ],
)
def test_monthly_reports_compute_the_periods_that_just_ended(tree, today, periods):
    result = tasks.monthly_reports.delay(today).get()
    assert list(result) == periods
    assert set(Report.objects.values_list("period", flat=True)) == set(periods)


def test_quarterly_and_yearly_health_checks_compute_the_period_that_just_ended(tree, year_data):
    HealthCheck.objects.all().delete()
    assert list(tasks.quarterly_health_checks.delay("2025-10-01").get()) == [f"{Y}Q3"]
    assert list(tasks.yearly_health_checks.delay("2026-01-01").get()) == [str(Y)]
    assert set(HealthCheck.objects.values_list("period", flat=True)) == {f"{Y}Q3", str(Y)}
    again = tasks.yearly_health_checks.delay("2026-01-01").get()
    assert again[str(Y)]["created"] == 0  # run twice: nothing new


def test_daily_reminders_task_runs_the_service(tree):
    result = tasks.daily_reminders.delay(datetime.date(2025, 10, 9).isoformat()).get()
    assert result == {"created": 0, "emailed": 0, "recipients": 0}


def test_beat_schedule_names_registered_tasks():
    celery_app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled >= {
        "reports.daily_reminders",
        "reports.monthly_reports",
        "reports.quarterly_health_checks",
        "reports.yearly_health_checks",
        "reports.sweep_private_files",
    }
    assert scheduled <= set(celery_app.tasks)
