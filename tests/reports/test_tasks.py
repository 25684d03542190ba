"""The run_reports command, the Celery tasks (inline without REDIS_URL) and the beat schedule."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from core.periods import Period
from health.models import HealthCheck
from health.services import health_checks_compute
from partysite.celery import app as celery_app
from reports import schedule, services, tasks
from reports.models import Report
from service.models import ServiceFigures
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


def test_the_nightly_computation_catches_up_every_ended_period_then_does_nothing(
    tree, member_a, settings, django_assert_num_queries
):
    settings.REPORTS_CATCH_UP_MONTHS = 4
    first = tasks.compute_due.delay("2026-01-15").get()
    # the four months before January, the quarter and the year ending with December; health: Q4, the year
    assert list(first["reports"]) == [f"{Y}-12", f"{Y}Q4", str(Y), f"{Y}-11", f"{Y}-10", f"{Y}-09", f"{Y}Q3"]
    assert list(first["health"]) == [f"{Y}Q4", str(Y), f"{Y}Q3"]
    assert set(HealthCheck.objects.values_list("period", flat=True)) == {f"{Y}Q3", f"{Y}Q4", str(Y)}
    # The year's checks, computed first that night, are in force for its months' reports too (rule 4)
    assert Report.objects.get(branch=tree.town, period=f"{Y}-11").data["health"]["period"] == str(Y)
    assert Report.objects.get(branch=tree.town, period=f"{Y}-12").health_checks == 1  # the year's, computed first
    with django_assert_num_queries(4):  # the roots, their reports and figures, the site's health computations
        assert tasks.compute_due.delay("2026-01-15").get() == {"health": {}, "reports": {}}  # run twice: nothing


@pytest.mark.parametrize(
    "today, periods",
    [
        ("2025-11-01", [f"{Y}-10"]),
        ("2025-10-01", [f"{Y}-09", f"{Y}Q3"]),
        ("2026-01-01", [f"{Y}-12", f"{Y}Q4", str(Y)]),
    ],
)
def test_the_night_after_a_period_ends_it_is_computed(tree, today, periods):
    day = datetime.date.fromisoformat(today)
    previous = (day - datetime.timedelta(days=1)).isoformat()
    tasks.compute_due.delay(previous).get()  # the night before: everything older is done
    assert list(tasks.compute_due.delay(today).get()["reports"]) == periods


def test_a_report_computed_before_its_period_ended_is_computed_again(tree, year_data):
    services.reports_compute(period=f"{Y}-12", today=datetime.date(Y, 12, 20))
    Report.objects.filter(period=f"{Y}-12").update(computed_at=timezone.make_aware(datetime.datetime(Y, 12, 20)))
    assert f"{Y}-12" in schedule.due_report_periods(datetime.date(Y + 1, 1, 1))
    Report.objects.filter(period=f"{Y}-12").update(computed_at=timezone.make_aware(datetime.datetime(Y + 1, 1, 1, 2)))
    assert f"{Y}-12" not in schedule.due_report_periods(datetime.date(Y + 1, 1, 1))


def test_a_report_of_one_subtree_leaves_the_period_due_for_the_trees(tree, year_data):
    services.reports_compute(period=f"{Y}-10", branch=tree.village_a)  # a job for one village
    assert f"{Y}-10" in schedule.due_report_periods(datetime.date(Y, 11, 2))
    services.reports_compute(period=f"{Y}-10")  # every tree: TOWN and OTHER
    assert f"{Y}-10" not in schedule.due_report_periods(datetime.date(Y, 11, 2))


def test_health_checks_one_branch_computed_leave_the_period_due_for_the_site(tree, year_data):
    HealthCheck.objects.all().delete()
    health_checks_compute(period=f"{Y}Q3", branch=tree.branch_a)
    assert f"{Y}Q3" in schedule.due_health_periods(datetime.date(Y, 10, 2))
    health_checks_compute(period=f"{Y}Q3")
    assert f"{Y}Q3" not in schedule.due_health_periods(datetime.date(Y, 10, 2))


@pytest.mark.parametrize(
    "today, months, first, last",
    [
        ("2026-01-15", 12, f"{Y}-12", f"{Y}-01"),
        ("2026-01-15", 1, f"{Y}-12", str(Y)),
        ("2025-07-31", 2, f"{Y}-06", f"{Y}-05"),
    ],
)
def test_ended_periods_are_the_windows_months_quarters_and_years(today, months, first, last, settings):
    periods = [p.label for p in schedule.ended_periods(datetime.date.fromisoformat(today), months)]
    assert (periods[0], periods[-1]) == (first, last)
    assert len([p for p in periods if "-" in p]) == months


def test_daily_reminders_task_runs_the_service(tree):
    result = tasks.daily_reminders.delay(datetime.date(2025, 10, 9).isoformat()).get()
    assert result == {"created": 0, "emailed": 0, "recipients": 0}


def test_beat_schedule_names_registered_tasks():
    celery_app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled >= {
        "reports.daily_reminders",
        "reports.compute_due",
        "reports.sweep_private_files",
        "reports.fail_stale_jobs",
    }
    assert scheduled <= set(celery_app.tasks)


def test_the_beat_computes_every_night_at_the_configured_time():
    entry = settings.CELERY_BEAT_SCHEDULE["compute-due"]
    assert entry["task"] == "reports.compute_due"
    cron = entry["schedule"]
    assert (cron.hour, cron.minute) == ({2}, {30}) and schedule.compute_time() == datetime.time(2, 30)
    assert cron.day_of_month == set(range(1, 32)) and cron.month_of_year == set(range(1, 13))  # every night


@pytest.mark.parametrize(
    "period, now, expected",
    [
        (f"{Y}-10", "2025-10-20 12:00", "2025-11-01 02:30"),  # under way: the night after its end
        (f"{Y}-10", "2025-11-01 01:00", "2025-11-01 02:30"),
        (f"{Y}-10", "2025-11-01 03:00", "2025-11-02 02:30"),  # ended, not computed: the next night
        (f"{Y}Q4", "2025-12-31 23:00", "2026-01-01 02:30"),
        (f"{Y}-10", "2026-10-31 01:00", "2026-10-31 02:30"),  # the window's oldest month, still caught up
        (f"{Y}-10", "2026-10-31 12:00", None),  # out of the window by the next night: only on request
    ],
)
def test_next_computation(period, now, expected):
    at = timezone.make_aware(datetime.datetime.fromisoformat(now))
    run = schedule.next_computation(Period.parse(period), at)
    assert (run.strftime("%Y-%m-%d %H:%M") if run else None) == expected


def test_a_report_without_its_service_figures_is_computed_again(tree, year_data):
    """A site upgraded to the figures stored with the reports (issue 16) fills them in for the ended
    periods of the window the next night, not only for the periods that end afterwards."""
    services.reports_compute(period=f"{Y}-10")
    assert f"{Y}-10" not in schedule.due_report_periods(datetime.date(Y, 11, 2))
    ServiceFigures.objects.filter(period=f"{Y}-10", branch=tree.other_town).delete()  # as before the upgrade
    assert f"{Y}-10" in schedule.due_report_periods(datetime.date(Y, 11, 2))
    tasks.compute_due.delay(f"{Y}-11-02").get()
    assert ServiceFigures.objects.filter(period=f"{Y}-10", branch=tree.other_town).exists()
