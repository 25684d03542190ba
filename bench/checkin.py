"""Check-in throughput (issue 13): ``POST /api/v1/check-ins`` under gunicorn, against a bare insert.

    .venv/bin/python bench/checkin.py [--members 1500] [--clients 32] [--workers N] [--threads M]

Alone, it creates its own database ``<configured name>_bench_checkin`` on the configured
PostgreSQL server and drops it afterwards; ``make bench`` runs the same measurement in its own
test database after the other benchmarks (``measure_checkin``). It needs PostgreSQL: gunicorn's
workers must reach the database the benchmark fills.

1. One branch with ``members`` members, each with an account, and a 主题党日 whose check-in is
   open. Each member's session is written straight through Django's session engine (no login
   requests), with a CSRF cookie of its own (``bench.checkin_setup``).
2. gunicorn on a free local port, with the workers and threads of the site's own
   ``gunicorn.conf.py`` (2 per CPU x 2 threads) unless given, and ``bench.checkin_settings``: the site's
   settings and URLs plus ``bench.checkin_bare``, a view that inserts one row into a small table
   (one query; the check-in is the site's plain ORM path: the session, its user, the activity, the
   member, the locked row, the insert and its audit entry in a transaction; no session query with
   sessions in Redis). Sessions and the rate limiter's counters are in Redis, as in
   production: the configured ``REDIS_URL``, or else, when Redis answers on 127.0.0.1:6379,
   its database 13, for this step only (``bench.checkin_setup.production_sessions``; ``make bench``'s
   other steps keep the configured sessions); the report names the session engine.
3. Client threads with keep-alive connections. The members are split into rounds; each round
   is a phase of bare inserts, then a phase of as many check-ins (interleaved, so that both see
   the same machine load). In a check-in phase each member taps once, with the current rotating
   token: every request is a first check-in that writes (repeats, which write nothing, would
   flatter the figure) (``bench.checkin_load``).
4. Requests per second of both and their ratio (goal: check-ins at least a quarter of the bare view's),
   and the checks that must be zero: duplicates (a member with more than one attendance row or
   more than one 201) and lost check-ins (a member answered 201/200 without a row, or without
   any row at all), and bare inserts answered 201 but not in the table (this module).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.checkin_load import Job, Phase
    from bench.checkin_setup import Fixture

# Run as a script, this file sees bench/ on the path, not the project: its siblings (bench.checkin_load,
# bench.checkin_setup) and Django are imported inside the functions, once main() has set the path up.
ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIO = 0.25  # issue 13: at least a quarter of the bare one-insert view


@dataclass
class CheckinResult:
    checkin: Phase
    bare: Phase
    members: int
    duplicates: int
    lost: int
    bare_missing: int
    server: str

    @property
    def ratio(self) -> float:
        return self.checkin.per_second / self.bare.per_second if self.bare.per_second else 0.0

    @property
    def passed(self) -> bool:
        return self.ratio >= GOAL_RATIO and self.duplicates == 0 and self.lost == 0 and self.bare_missing == 0


def _verify(fixture: Fixture, answers: list[tuple[Job, tuple]], bare_created: int) -> tuple[int, int, int]:
    """(duplicates, lost check-ins, bare inserts answered 201 but missing) from the database."""
    from django.db import connection
    from django.db.models import Count

    from activities.models import Attendance
    from bench.checkin_bare import BARE_TABLE
    from bench.checkin_load import CHECKIN_PATH

    rows = Counter(
        dict(
            Attendance.objects.filter(activity=fixture.activity)
            .values_list("member_id")
            .annotate(n=Count("pk"))
            .values_list("member_id", "n")
        )
    )
    created, answered = Counter(), set()
    for job, (status, _) in answers:
        if job.path != CHECKIN_PATH:
            continue
        member_id = fixture.member_ids[job.member]
        if status == 201:
            created[member_id] += 1
        if status in (200, 201):
            answered.add(member_id)
    duplicates = sum(1 for n in rows.values() if n > 1) + sum(1 for n in created.values() if n > 1)
    lost = sum(1 for m in answered if rows[m] == 0) + sum(1 for m in fixture.member_ids if rows[m] == 0)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {BARE_TABLE}")
        (bare_rows,) = cursor.fetchone()
    return duplicates, lost, max(0, bare_created - bare_rows)


def measure(
    *, members: int, clients: int, workers: int, threads: int, rounds: int = 4, redis_url: str = ""
) -> CheckinResult:
    """Build the state, start gunicorn, run the interleaved phases, check the rows; gunicorn always stops."""
    from django.db import connection

    from bench.checkin_load import Phase, bare_jobs, checkin_jobs, run_phase
    from bench.checkin_setup import (
        Gunicorn,
        build_fixture,
        database_url,
        drop_fixture,
        forget_cached_sessions,
        session_engine_description,
    )

    warm = min(50, max(1, members // 10))
    fixture = build_fixture(members + warm)
    measured = members  # the last ``warm`` members only warm the server up
    checkin, bare = Phase("check-in"), Phase("bare insert")
    all_answers: list = []
    bare_created = 0
    try:
        db_url = database_url(connection.settings_dict)
        with Gunicorn(db_url=db_url, workers=workers, threads=threads, redis_url=redis_url) as server:
            for label, jobs in (
                ("warm-up bare", bare_jobs(warm, members + warm, 10**6)),
                ("warm-up check-in", checkin_jobs(range(measured, measured + warm))),
            ):
                phase, answers = run_phase(label, jobs, port=server.port, fixture=fixture, clients=clients)
                all_answers += list(zip(jobs, answers, strict=True))
                bare_created += phase.statuses[201] if label.endswith("bare") else 0
            size = -(-measured // rounds)
            for r in range(rounds):
                group = range(r * size, min(measured, (r + 1) * size))
                jobs = checkin_jobs(group)
                inserts = bare_jobs(len(jobs), measured, r * size)
                phase, _ = run_phase("bare", inserts, port=server.port, fixture=fixture, clients=clients)
                bare.add(phase)
                bare_created += phase.statuses[201]
                phase, answers = run_phase("check-in", jobs, port=server.port, fixture=fixture, clients=clients)
                checkin.add(phase)
                all_answers += list(zip(jobs, answers, strict=True))
            description = server.description
    finally:
        connection.close()
    duplicates, lost, bare_missing = _verify(fixture, all_answers, bare_created)
    drop_fixture()
    forget_cached_sessions(fixture.session_keys)
    server = f"{description}, {clients} clients, {session_engine_description()}"
    return CheckinResult(checkin, bare, measured, duplicates, lost, bare_missing, server)


def _ms(values: list[float], q: float) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.0f} ms"


def describe(result: CheckinResult) -> list[str]:
    c, b = result.checkin, result.bare
    codes = ", ".join(f"{code}: {n:,}" for code, n in sorted(c.statuses.items()))
    lines = [
        f"   {result.server}; {result.members:,} members, each tapping once (every check-in a first one that writes)",
        f"   check-ins: {c.requests:,} requests in {c.seconds:.1f} s = {c.per_second:,.0f} req/s "
        f"(answers {codes}), median {_ms(c.latencies, 0.5)}, p95 {_ms(c.latencies, 0.95)}",
        f"   bare insert: {b.requests:,} requests in {b.seconds:.1f} s = {b.per_second:,.0f} req/s, "
        f"median {_ms(b.latencies, 0.5)}, p95 {_ms(b.latencies, 0.95)}",
        f"   ratio {result.ratio:.2f} of the bare view (goal at least {GOAL_RATIO}); duplicates {result.duplicates}, "
        f"lost check-ins {result.lost}, bare inserts missing {result.bare_missing}",
    ]
    errors = c.errors + b.errors
    if errors:
        lines.append(f"   {len(errors)} answers other than 200/201, first: {errors[0]}")
    return lines


def measure_checkin(*, report=None, out=print, members: int = 1500, clients: int = 32,
                    workers: int | None = None, threads: int | None = None) -> CheckinResult | None:  # fmt: skip
    """``make bench``'s step: measure in the current (test) database, add the goals to ``report``."""
    from django.db import connection

    from bench.checkin_setup import bench_redis_url, production_server, production_sessions
    from bench.measure import Goal

    out("4. Check-in throughput: POST /api/v1/check-ins against a bare view doing one insert")
    if connection.vendor != "postgresql":
        out("   skipped: the check-in benchmark needs PostgreSQL (DATABASE_URL=postgres://...)")
        return None
    default_workers, default_threads = production_server()
    workers, threads = workers or default_workers, threads or default_threads
    redis_url = bench_redis_url()
    with production_sessions(redis_url):
        result = measure(members=members, clients=clients, workers=workers, threads=threads, redis_url=redis_url)
    for line in describe(result):
        out(line)
    goals = [
        Goal(
            "check-in throughput (one tap per member) at least a quarter of the bare view's",
            result.ratio >= GOAL_RATIO,
            f"{result.ratio:.2f}",
        ),
        Goal(
            "no duplicate and no lost check-in",
            result.duplicates == 0 and result.lost == 0,
            f"{result.duplicates} duplicates, {result.lost} lost",
        ),
    ]
    for goal in goals:
        out(f"   {'PASS' if goal.passed else 'FAIL'}  {goal.label}: {goal.detail}")
    if report is not None:
        report.goals += goals
    return result


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1500)
    parser.add_argument("--clients", type=int, default=32, help="concurrent client connections (default 32)")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, default=0, help="threads per worker (default: gunicorn.conf.py's)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = _parse(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partysite.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    if connection.vendor != "postgresql":
        print("the check-in benchmark needs PostgreSQL (set DATABASE_URL=postgres://...); skipped")
        return 0
    name = settings.DATABASES["default"]["NAME"]
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"{name}_bench_checkin"
    old_config = setup_databases(verbosity=0, interactive=False, aliases={"default"}, serialized_aliases=set())
    try:
        print(
            f"check-in benchmark in database {connection.settings_dict['NAME']}, load average {os.getloadavg()[0]:.1f}"
        )
        result = measure_checkin(members=args.members, clients=args.clients, workers=args.workers, threads=args.threads)
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        connection.close()
        teardown_databases(old_config, verbosity=0)
    return 0 if result and result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
