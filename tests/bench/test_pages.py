"""The page sweep of ``make bench`` (issue 15), at a tiny scale: what it visits and what it reports."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from bench.measure import Report
from bench.pages import GOAL_BYTES, PageFigure, _local, crawl, measure_pages
from demo.plan import Scale
from demo.seeding import seed_build

TINY = Scale("tiny", organizations=40, members=200, towns=2, villages=4, grids=8, communities=1, compounds=2, groups=14)


def test_only_this_sites_pages_that_a_get_may_follow_are_crawled():
    assert _local("/members/?page=2") == "/members/?page=2"
    assert _local("https://example.com/members/") is None
    assert _local("#top") is None
    assert _local("/no/such/page/") is None
    assert _local("/accounts/logout/") is None


def test_a_page_passes_within_10x_and_under_200_kb():
    ok = PageFigure("orgdept", "/x/", "x", median=0.09, p95=0.1, bare_median=0.01, queries=3, size=GOAL_BYTES - 1)

    assert ok.passed
    assert not PageFigure("orgdept", "/x/", "x", 0.11, 0.2, 0.01, 3, 10).passed
    assert not PageFigure("orgdept", "/x/", "x", 0.01, 0.02, 0.01, 3, GOAL_BYTES).passed


@pytest.mark.slow
@pytest.mark.django_db
def test_the_sweep_times_the_menu_and_the_pages_one_click_away_for_both_personas():
    result = seed_build(scale=TINY, seed=1)
    client = Client()
    client.force_login(get_user_model().objects.get(username="orgdept"))
    pages = crawl(client)
    report, lines = Report(), []

    figures = measure_pages(plan=result.plan, requests=1, report=report, out=lines.append)

    assert "/members/" in pages and any(p.startswith("/members/") and p != "/members/" for p in pages)
    assert {f.persona for f in figures} == {"orgdept", "secretary"}
    assert all(f.median > 0 and f.bare_median > 0 and f.queries > 0 and f.size > 0 for f in figures)
    assert [g.label for g in report.goals] == [
        "every page within 10x of the bare view's median",
        "every page under 200 KB",
    ]
    assert any("a year of data seeded" in line for line in lines)


def test_pages_only_seeds_then_sweeps_without_the_other_steps(monkeypatch, tmp_path):
    from bench import measure, pages

    calls = []
    monkeypatch.setattr(measure, "measure_seeding", lambda *a: calls.append("seeding") or "plan")
    monkeypatch.setattr(measure, "measure_roster", lambda *a: calls.append("roster"))
    monkeypatch.setattr(measure, "measure_import", lambda *a: calls.append("import"))
    monkeypatch.setattr(pages, "measure_pages", lambda **kw: calls.append(("pages", kw["plan"], kw["requests"])))

    measure.run_benchmarks(
        scale=TINY, seed=1, requests=1, sample=1, workdir=tmp_path, out=lambda _: None, page_requests=3, pages_only=True
    )

    assert calls == ["seeding", ("pages", "plan", 3)]


@pytest.mark.django_db
def test_a_sweep_as_is_needs_a_database_seeded_beforehand():
    from bench.measure import BenchError

    with pytest.raises(BenchError, match="seed_demo"):
        measure_pages(plan=None, requests=1, report=Report(), out=lambda _: None)


@pytest.mark.django_db
def test_as_is_sweeps_the_configured_database_without_a_test_database(monkeypatch, capsys):
    import django.test.utils

    from bench import pages, run

    calls = []
    monkeypatch.setattr(django.test.utils, "setup_databases", lambda *a, **kw: calls.append("setup"))
    # pytest-django's test environment stands already
    monkeypatch.setattr(django.test.utils, "setup_test_environment", lambda **kw: None)
    monkeypatch.setattr(django.test.utils, "teardown_test_environment", lambda: None)
    monkeypatch.setattr(pages, "measure_pages", lambda **kw: calls.append(("pages", kw["plan"], kw["requests"])))

    assert run.main(["--as-is", "--pages", "2"]) == 0

    assert calls == [("pages", None, 2)] and "as it is" in capsys.readouterr().out


@pytest.mark.django_db
def test_as_is_refuses_a_database_that_lacks_migrations(monkeypatch, capsys):
    import django.test.utils
    from django.db.migrations.executor import MigrationExecutor

    from bench import pages, run

    calls = []
    monkeypatch.setattr(django.test.utils, "setup_test_environment", lambda **kw: None)
    monkeypatch.setattr(django.test.utils, "teardown_test_environment", lambda: None)
    monkeypatch.setattr(pages, "measure_pages", lambda **kw: calls.append("pages"))
    monkeypatch.setattr(
        MigrationExecutor, "migration_plan", lambda self, targets: [(self.loader.graph.nodes[targets[0]], False)]
    )

    assert run.main(["--as-is"]) == 2

    assert calls == [] and "run manage.py migrate first" in capsys.readouterr().err
