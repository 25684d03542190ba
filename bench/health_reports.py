"""The health-check and report benchmark: a year of data, each computation against a bare SQL aggregate.

    .venv/bin/python bench/health_reports.py [--scales quarter,city,city4] [--year 2025] [--repeat 5] [--first 3] [--again 3]

For each scale (``quarter``: a quarter of a city; ``city``: 2,149 organizations and 48,909
members; ``city4``: four times that) it creates a fresh test database next to the configured
one (``test_<name>``; in memory on SQLite), seeds the tree (``demo.seeding.seed_build``),
writes a year of activities, attendance, dues and records (``bench.year_data``), then times
in the same run, for the year:

1. ``health_checks_compute`` of every member (the first computation, which writes every
   check, and a recomputation, which finds nothing changed), against one bare SQL ``GROUP BY``
   member over the same attendance and dues rows, executed in the database without fetching
   its rows to Python (only their count comes back);
2. ``reports_compute`` of the whole tree (the first computation and a recomputation, each
   an upsert of every organization's snapshot), against a bare SQL aggregate over the same
   attendance and dues rows grouped by branch.

Every figure is the median of several runs: the bare aggregates ``--repeat`` times, the first
computations ``--first`` times (before each, the checks and their events, or the reports, are
truncated: the tables are as the first computation found them), the recomputations ``--again``
times. A single run of a few seconds swings by a fifth on a shared machine.

Goals: the health checks' first computation within 6x its bare ``GROUP BY`` (issue 13: plain
ORM reads, the rubric in Python, one bulk upsert), the reports' within 3x theirs (issue 4);
from one scale to the next (a quarter, the whole, four times the size) each time grows at most
1.25 times as much as the number of members (linear). Exits 1 if a goal fails, 2 if a step breaks.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIOS = {"health": 6.0, "reports": 3.0}  # by the label's first word
LINEAR_SLACK = 1.25

# The same rows the health checks read (held activities' attendance in the period, the period's
# dues), grouped by member in one statement; only the number of groups leaves the database.
BARE_HEALTH = """
SELECT COUNT(*) FROM (
    SELECT member_id,
           COUNT(*) FILTER (WHERE expected AND status = 'present'),
           COUNT(*) FILTER (WHERE expected AND status = 'leave'),
           COUNT(*) FILTER (WHERE expected),
           SUM(hours) FILTER (WHERE status = 'present'),
           COUNT(*) FILTER (WHERE due > 0),
           COUNT(*) FILTER (WHERE due > 0 AND paid >= due)
    FROM (
        SELECT at.member_id, at.expected, at.status, at.hours, NULL AS due, NULL AS paid
        FROM activities_attendance at JOIN activities_activity ac ON ac.id = at.activity_id
        WHERE ac.status = 'held' AND ac.starts_at >= %(start)s AND ac.starts_at < %(end)s
        UNION ALL
        SELECT member_id, NULL, NULL, NULL, due, paid
        FROM members_duespayment WHERE month >= %(first)s AND month <= %(last)s
    ) AS facts
    GROUP BY member_id
) AS per_member"""
BARE_BY_BRANCH = [
    """SELECT m.branch_id, ac.kind,
              COUNT(*) FILTER (WHERE at.expected),
              COUNT(*) FILTER (WHERE at.expected AND at.status = 'present'),
              COUNT(*) FILTER (WHERE at.expected AND at.status = 'leave'),
              SUM(at.hours) FILTER (WHERE at.status = 'present')
       FROM activities_attendance at JOIN activities_activity ac ON ac.id = at.activity_id
            JOIN members_member m ON m.id = at.member_id
       WHERE ac.status = 'held' AND ac.starts_at >= %(start)s AND ac.starts_at < %(end)s
       GROUP BY m.branch_id, ac.kind""",
    """SELECT branch_id, SUM(due), SUM(paid), COUNT(*), COUNT(*) FILTER (WHERE paid < due)
       FROM members_duespayment WHERE month >= %(first)s AND month <= %(last)s
       GROUP BY branch_id""",
]


@dataclass
class Timing:
    label: str
    seconds: float
    baseline: float
    detail: str = ""

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline if self.baseline else float("inf")


@dataclass
class ScaleRun:
    scale: str
    members: int
    organizations: int
    rows: dict[str, int] = field(default_factory=dict)
    timings: dict[str, Timing] = field(default_factory=dict)


def scaled(scale, factor: float, name: str):
    numbers = {f.name: round(getattr(scale, f.name) * factor) for f in dataclasses.fields(scale) if f.name != "name"}
    return dataclasses.replace(scale, name=name, **numbers)


def median_time(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def once(func) -> tuple[float, object]:
    start = time.perf_counter()
    value = func()
    return time.perf_counter() - start, value


def bare_in_database(sql: str, params: dict) -> int:
    """Run one bare aggregate that returns a single count (its rows stay in the database)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def bare(queries: list[str], params: dict) -> int:
    """Run the bare aggregates and fetch every row; returns how many rows came back."""
    from django.db import connection

    rows = 0
    with connection.cursor() as cursor:
        for sql in queries:
            cursor.execute(sql, params)
            rows += len(cursor.fetchall())
    return rows


def period_params(code: str) -> dict:
    from bench.year_data import adapt
    from core.periods import Period

    p = Period.parse(code)
    start, end = p.bounds()
    start, end, first, last = adapt([start, end, p.start, p.last_day])
    return {"start": start, "end": end, "first": first, "last": last}


def truncate(*models) -> None:
    """Empty the tables of ``models`` (the state before a first computation; no dead rows left behind)."""
    from django.db import connection

    tables = [connection.ops.quote_name(m._meta.db_table) for m in models]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if connection.in_atomic_block:  # (the tests): TRUNCATE refuses while deferred checks are pending
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
            if connection.in_atomic_block:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:  # SQLite has no TRUNCATE
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


def median_first(func, runs: int, reset) -> tuple[float, object]:
    """The median time of ``runs`` first computations, ``reset`` before each but the first; the last result."""
    times, result = [], None
    for i in range(runs):
        if i:
            reset()
        seconds, result = once(func)
        times.append(seconds)
    return statistics.median(times), result


def measure_period(code: str, repeat: int, run: ScaleRun, out, again_runs: int = 3, first_runs: int = 3) -> None:
    """Health checks and reports of ``code`` for every tree, each against its bare aggregate."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from health.models import HealthCheck, HealthCheckEvent
    from health.services import health_checks_compute
    from reports.models import Report
    from reports.services import reports_compute

    params = period_params(code)
    bare_in_database(BARE_HEALTH, params)  # warm the cache for both sides
    health_bare = median_time(lambda: bare_in_database(BARE_HEALTH, params), repeat)
    reset = lambda: truncate(HealthCheckEvent, HealthCheck)  # noqa: E731
    first, result = median_first(lambda: health_checks_compute(period=code), first_runs, reset)
    again = median_time(lambda: health_checks_compute(period=code), again_runs)
    checks = result.created + result.updated
    record(run, f"health {code}", first, health_bare, f"{checks:,} checks written", out)
    record(run, f"health {code} again", again, health_bare, "recomputation: nothing changed, nothing written", out)

    bare(BARE_BY_BRANCH, params)
    reports_bare = median_time(lambda: bare(BARE_BY_BRANCH, params), repeat)
    with CaptureQueriesContext(connection) as captured:
        once(lambda: reports_compute(period=code))
    queries = len(captured)
    truncate(Report)  # that run only counted the queries: the timed ones start from no report
    first, result = median_first(lambda: reports_compute(period=code), first_runs, lambda: truncate(Report))
    again = median_time(lambda: reports_compute(period=code), again_runs)
    detail = f"{result.total:,} snapshots, {queries} queries"
    record(run, f"reports {code}", first, reports_bare, detail, out)
    record(run, f"reports {code} again", again, reports_bare, "recomputation: the same upsert", out)


def record(run: ScaleRun, label: str, seconds: float, baseline: float, detail: str, out) -> None:
    timing = Timing(label, seconds, baseline, detail)
    run.timings[label] = timing
    out(f"   {label}: {seconds:.2f} s   vs bare SQL {baseline:.2f} s   ratio {timing.ratio:.2f}x   ({detail})")


def measure_scale(scale, year: int, repeat: int, seed: int, out, again_runs: int = 3, first_runs: int = 3) -> ScaleRun:
    from bench.year_data import year_generate
    from demo.seeding import seed_build

    elapsed, seeded = once(lambda: seed_build(scale=scale, seed=seed))
    plan = seeded.plan
    run = ScaleRun(scale.name, len(plan.members), len(plan.branches))
    out(f"   seeded {run.organizations:,} organizations, {run.members:,} members in {elapsed:.1f} s")
    elapsed, counts = once(lambda: year_generate(year=year))
    run.rows = dataclasses.asdict(counts)
    out(
        f"   a year ({year}): {counts.activities:,} activities, {counts.attendance:,} attendance rows, "
        f"{counts.dues:,} dues rows, {counts.records:,} commendations and sanctions in {elapsed:.1f} s"
    )
    measure_period(str(year), repeat, run, out, again_runs, first_runs)
    return run


def goals(runs: list[ScaleRun]) -> list[tuple[str, bool, str]]:
    result = []
    for run in runs:
        for label, t in run.timings.items():
            if not label.endswith("again"):
                goal = GOAL_RATIOS[label.split()[0]]
                result.append((f"{run.scale}: {label} within {goal:g}x bare SQL", t.ratio <= goal, f"{t.ratio:.2f}x"))
    for small, large in zip(runs, runs[1:], strict=False):
        size = large.members / small.members
        for label, t in small.timings.items():
            growth = large.timings[label].seconds / t.seconds
            bare_growth = large.timings[label].baseline / t.baseline
            ok = growth <= size * LINEAR_SLACK
            detail = f"{growth:.2f}x for {size:.2f}x the members (bare SQL {bare_growth:.2f}x)"
            result.append((f"{small.scale} → {large.scale}: {label} linear", ok, detail))
    return result


def markdown(runs: list[ScaleRun]) -> str:
    lines = ["| scale | measurement | time | bare SQL | ratio | note |", "|---|---|---:|---:|---:|---|"]
    for run in runs:
        for t in run.timings.values():
            lines.append(
                f"| {run.scale} ({run.members:,} members) | {t.label} | {t.seconds:.2f} s | {t.baseline:.2f} s "
                f"| {t.ratio:.2f}x | {t.detail} |"
            )
    return "\n".join(lines)


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--scales",
        default="quarter,city,city4",
        help="comma-separated: demo, quarter, city, city4 (default quarter,city,city4)",
    )
    parser.add_argument("--year", type=int, default=None, help="the year of data (default: last year)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each bare aggregate (median; default 5)")
    parser.add_argument("--first", type=int, default=3, help="runs of each first computation (median; default 3)")
    parser.add_argument("--again", type=int, default=3, help="runs of each recomputation (median; default 3)")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def _scales(names: str):
    from demo.plan import SCALES

    known = {**SCALES, "quarter": scaled(SCALES["city"], 0.25, "quarter"), "city4": scaled(SCALES["city"], 4, "city4")}
    unknown = [n for n in names.split(",") if n not in known]
    if unknown:
        raise SystemExit(f"unknown scale(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    return [known[n] for n in names.split(",")]


def main(argv=None) -> int:
    args = _parse(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partysite.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases, teardown_test_environment

    scales = _scales(args.scales)
    year = args.year or datetime.date.today().year - 1
    print(
        f"partysite health-check and report benchmarks, {datetime.date.today():%Y-%m-%d}: {connection.vendor}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    setup_test_environment(debug=False)
    runs: list[ScaleRun] = []
    try:
        for scale in scales:
            print(f"Scale '{scale.name}' ({scale.members:,} members), a fresh test database")
            old = setup_databases(verbosity=0, interactive=False, aliases={"default"}, serialized_aliases=set())
            try:
                runs.append(measure_scale(scale, year, args.repeat, args.seed, print, args.again, args.first))
            finally:
                connection.close()
                teardown_databases(old, verbosity=0)
    except Exception as exc:  # a step broke: say which, exit 2
        print(f"BENCH ERROR: {type(exc).__name__}: {exc}", file=sys.stderr)
        raise
    finally:
        teardown_test_environment()
    print("Goals:")
    results = goals(runs)
    for label, ok, detail in results:
        print(f"   {'PASS' if ok else 'FAIL'}  {label}: {detail}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    print(markdown(runs))
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit:
        raise
    except Exception:
        sys.exit(2)
