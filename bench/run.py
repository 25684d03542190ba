"""``make bench``: the benchmarks at city scale, against whatever database is configured.

    .venv/bin/python bench/run.py [--scale city|demo] [--requests N] [--sample N] [--seed N] [--pages N] [--pages-only]
    .venv/bin/python bench/run.py --pages N --as-is

It never touches the configured database's data: like the test runner, it creates a fresh
test database next to it (``test_<name>`` on PostgreSQL, in memory on SQLite), migrates it,
seeds it, measures, and drops it. Exits 1 if a goal fails, 2 if a step breaks.
``--as-is`` is the exception: the page sweep alone on the configured database as it is, seeded
beforehand with ``manage.py seed_demo --scale city`` (a sweep again after a change, without the
twenty minutes of seeding); it writes only the sweep's sessions.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="city", help="seeded scale (default: city)")
    parser.add_argument("--requests", type=int, default=40, help="requests per page (default: 40)")
    parser.add_argument("--sample", type=int, default=1000, help="rows for the default-resource import (default: 1000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--pages", type=int, default=20, help="requests per page of the page sweep; 0 skips it (default: 20)"
    )
    parser.add_argument(
        "--pages-only", action="store_true", help="seed, then the page sweep alone (no roster, import nor check-in)"
    )
    parser.add_argument(
        "--as-is",
        action="store_true",
        help="the page sweep alone on the configured database as it is (seeded with seed_demo): nothing seeded or dropped",
    )
    return parser.parse_args(argv)


def _describe_database(connection) -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        return f"PostgreSQL {version}, database {connection.settings_dict['NAME']}"
    return f"{connection.vendor} {connection.Database.sqlite_version if connection.vendor == 'sqlite' else ''}".strip()


def main(argv=None) -> int:
    args = _parse(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partysite.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases, teardown_test_environment

    from bench.measure import BenchError, run_benchmarks
    from demo.plan import SCALES

    if args.scale not in SCALES:
        print(f"unknown scale {args.scale!r}; choose one of {', '.join(SCALES)}", file=sys.stderr)
        return 2
    setup_test_environment(debug=False)
    if args.as_is:
        try:
            return _sweep_as_is(args.pages or 20)
        finally:
            teardown_test_environment()
    old_config = setup_databases(verbosity=0, interactive=False, aliases={"default"}, serialized_aliases=set())
    try:
        print(
            f"partysite benchmarks, {datetime.date.today():%Y-%m-%d}: {_describe_database(connection)} "
            f"(a test database; the configured one is not touched), Python {platform.python_version()}, "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
        )
        with tempfile.TemporaryDirectory(prefix="partysite-bench-") as workdir:
            report = run_benchmarks(
                scale=SCALES[args.scale],
                seed=args.seed,
                requests=args.requests,
                sample=args.sample,
                workdir=Path(workdir),
                page_requests=args.pages,
                pages_only=args.pages_only,
            )
        if not args.pages_only:
            from bench.checkin import measure_checkin

            measure_checkin(report=report)  # 4. check-in throughput under gunicorn against a bare insert (issue 3)
        print(f"load average at the end: {os.getloadavg()[0]:.1f} (figures are noisy when other work shares the CPUs)")
    except BenchError as exc:
        print(f"BENCH ERROR: {exc}", file=sys.stderr)
        return 2
    finally:
        connection.close()
        teardown_databases(old_config, verbosity=0)
        teardown_test_environment()
    return 0 if report.passed else 1


def _check_migrated(connection) -> None:
    """A database seeded before the latest migrations fails mid-sweep on a missing table: say so first."""
    from django.db.migrations.executor import MigrationExecutor

    from bench.measure import BenchError

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in pending)
        raise BenchError(f"the database lacks migrations ({names}): run manage.py migrate first")


def _sweep_as_is(requests: int) -> int:
    """``--as-is``: the page sweep on the configured database, its data as they are."""
    from django.db import connection

    from bench.measure import BenchError, Report
    from bench.pages import measure_pages

    print(
        f"partysite page sweep, {datetime.date.today():%Y-%m-%d}: {_describe_database(connection)} as it is, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    report = Report()
    try:
        _check_migrated(connection)
        print(f"6. Every page of the menu of orgdept and secretary, {requests} requests each, against the bare view")
        measure_pages(plan=None, requests=requests, report=report, out=print)
    except BenchError as exc:
        print(f"BENCH ERROR: {exc}", file=sys.stderr)
        return 2
    print("Goals:")
    for goal in report.goals:
        print(f"   {'PASS' if goal.passed else 'FAIL'}  {goal.label}: {goal.detail}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
