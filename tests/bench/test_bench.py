"""A smoke test of the benchmark code at a tiny scale (the figures themselves mean nothing here)."""

import pytest

from bench.importfile import HEADERS, read_every_cell, write_import_file
from bench.measure import Report, p95, raw_insert, run_benchmarks, timed_and_rolled_back
from branches.models import Branch
from demo.plan import Scale, seed_plan
from members.models import Member

TINY = Scale("tiny", organizations=40, members=200, towns=2, villages=4, grids=8, communities=1, compounds=2, groups=14)


def test_p95_is_the_nearest_rank_percentile():
    values = [float(i) for i in range(1, 101)]

    assert p95(values) == 95.0
    assert p95([3.0, 1.0, 2.0]) == 3.0


def test_import_file_has_the_14_columns_and_every_member(tmp_path):
    plan = seed_plan(scale=TINY, seed=1)

    path = write_import_file(tmp_path / "f.xlsx", plan.members)

    assert len(HEADERS) == 14  # 职业类别 and 党员状况 since issue 14
    assert read_every_cell(path) == len(plan.members)


@pytest.mark.django_db
def test_measured_writes_are_rolled_back():
    elapsed, _ = timed_and_rolled_back(raw_insert, {"branches": 3, "members": 5, "positions": 2, "events": 7})

    assert elapsed > 0
    assert not Branch.objects.exists() and not Member.objects.exists()


@pytest.mark.slow
@pytest.mark.django_db
def test_bench_runs_every_step_at_tiny_scale(tmp_path):
    lines = []

    report = run_benchmarks(scale=TINY, seed=1, requests=2, sample=50, workdir=tmp_path, out=lines.append)

    assert isinstance(report, Report)
    assert len(report.figures) == 5 and all(f.value > 0 and f.baseline > 0 for f in report.figures)
    assert [g.label for g in report.goals] == [
        "roster p95 within 3x the bare view",
        "import at least 10x faster than the default resource",
        "import within 3x of reading the file",
    ]
    assert any(line.strip().startswith(("PASS", "FAIL")) for line in lines)
    assert Member.objects.count() == TINY.members  # the imports were rolled back
