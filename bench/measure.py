"""The measurements of ``make bench``: every figure next to a baseline measured in the same run.

1. Seeding a scale (``seed_build``) against bulk-inserting as many rows with constant values.
2. ``orgdept``'s roster page against a bare Django view listing 50 members (median, p95,
   queries), requests interleaved so that both see the same machine load.
3. ``import_members`` of a file of all-new members against django-import-export's default
   row-by-row import of the same file and against merely reading the file with openpyxl.

Writes that are only measured (the baseline insert, the imports) run inside a transaction
that is rolled back, so every measurement starts from the same seeded database.
"""

from __future__ import annotations

import datetime
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches.models import Branch
from demo.plan import Plan, Scale, seed_newcomers
from demo.seeding import seed_build
from members.models import Member, MemberEvent, Position

from .importfile import read_every_cell, write_import_file

# ID-number regions of the import file (Xiamen), unlike the seeded members' (Fuzhou): all rows are new.
IMPORT_REGIONS = ["350203", "350205", "350206", "350211", "350212", "350213"]
WARM_UP = 3


@dataclass
class Figure:
    label: str
    value: float  # seconds
    baseline_label: str
    baseline: float
    detail: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else math.inf


@dataclass
class Goal:
    label: str
    passed: bool
    detail: str


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(goal.passed for goal in self.goals)


class BenchError(RuntimeError):
    """A step that did not do what it measures (a refused import, an error page)."""


def timed(func: Callable, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    value = func(*args, **kwargs)
    return time.perf_counter() - start, value


def timed_and_rolled_back(func: Callable, *args, **kwargs) -> tuple[float, object]:
    """Time ``func`` inside a transaction that is then rolled back."""
    with transaction.atomic():
        elapsed, value = timed(func, *args, **kwargs)
        transaction.set_rollback(True)
    return elapsed, value


def p95(values: list[float]) -> float:
    """The nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# 1. Seeding -----------------------------------------------------------------------------------


def _rows_written(plan: Plan) -> dict[str, int]:
    left = sum(1 for m in plan.members if not m.is_active)
    return {
        "branches": len(plan.branches),
        "members": len(plan.members),
        "positions": len(plan.positions),
        "events": len(plan.members) + len(plan.positions) + left,
    }


def raw_insert(counts: dict[str, int], batch_size: int = 2000) -> None:
    """``bulk_create`` as many rows as the seed writes, each table, with constant values."""
    day = datetime.date(1980, 1, 1)
    branches = Branch.objects.bulk_create(
        [
            Branch(
                path=Branch._get_path(None, 1, i + 1),
                depth=1,
                numchild=0,
                name="党组织",
                kind="committee",
                code=f"RAW{i}",
            )
            for i in range(counts["branches"])
        ],
        batch_size=batch_size,
    )
    branch_id = branches[0].pk or Branch.objects.get(code="RAW0").pk
    members = Member.objects.bulk_create(
        [
            Member(name="党员", sex="M", birth_date=day, id_number_encrypted="x", id_number_digest=f"{i:064x}",
                   branch_id=branch_id, joined_on=day, confirmed_on=day)
            for i in range(counts["members"])
        ],
        batch_size=batch_size,
    )  # fmt: skip
    member_ids = [m.pk for m in members] if members[0].pk else list(Member.objects.values_list("pk", flat=True))
    Position.objects.bulk_create(
        [
            Position(member_id=member_ids[i % len(member_ids)], branch_id=branch_id, title="committee", started_on=day)
            for i in range(counts["positions"])
        ],
        batch_size=batch_size,
    )
    MemberEvent.objects.bulk_create(
        [
            MemberEvent(member_id=member_ids[i % len(member_ids)], kind="created", occurred_on=day, detail="x")
            for i in range(counts["events"])
        ],
        batch_size=batch_size,
    )


def measure_seeding(scale: Scale, seed: int, report: Report, out: Callable) -> Plan:
    """Seed ``scale`` (kept for the next steps), after timing the raw insert of as many rows."""
    from demo.plan import seed_plan

    counts = _rows_written(seed_plan(scale=scale, seed=seed))
    rows = sum(counts.values())
    baseline, _ = timed_and_rolled_back(raw_insert, counts)
    elapsed, result = timed(seed_build, scale=scale, seed=seed)
    plan = result.plan
    figure = Figure(
        f"seed_demo --scale {scale.name}",
        elapsed,
        "bulk_create of as many rows with constant values (rolled back)",
        baseline,
        f"{len(plan.branches):,} organizations, {len(plan.members):,} members, {rows:,} rows in all: "
        f"{rows / elapsed:,.0f} rows/s (baseline {rows / baseline:,.0f} rows/s)",
    )
    _record(report, figure, out)
    return plan


# 2. The roster page ------------------------------------------------------------------------------


def _get(client: Client, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise BenchError(f"GET {url} answered {response.status_code}")
    return elapsed


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured)


def measure_roster(requests: int, report: Report, out: Callable) -> None:
    """``orgdept``'s roster over the whole tree against the bare view, interleaved request by request."""
    client = Client()
    client.force_login(get_user_model().objects.get(username="orgdept"))
    with override_settings(ROOT_URLCONF="bench.urls"):
        urls = {"roster": reverse("members:list"), "bare": reverse("bench_bare")}
        for url in urls.values():
            for _ in range(WARM_UP):
                _get(client, url)
        times: dict[str, list[float]] = {name: [] for name in urls}
        for _ in range(requests):
            for name, url in urls.items():
                times[name].append(_get(client, url))
        queries = {name: _queries(client, url) for name, url in urls.items()}
    active = Member.objects.filter(is_active=True).count()
    roster, bare = times["roster"], times["bare"]
    detail = f"{requests} requests each, interleaved; {active:,} active members in orgdept's subtree"
    _record(
        report,
        Figure("roster page, median", statistics.median(roster), "bare view, median", statistics.median(bare), detail),
        out,
    )
    _record(report, Figure("roster page, p95", p95(roster), "bare view, p95", p95(bare)), out)
    out(f"   queries per request: roster {queries['roster']}, bare view {queries['bare']}")
    report.notes.append(f"roster queries: {queries['roster']}, bare view queries: {queries['bare']}")
    ratio = p95(roster) / p95(bare)
    report.goals.append(Goal("roster p95 within 3x the bare view", ratio <= 3, f"{ratio:.2f}x"))  # issue 13


# 3. Importing -----------------------------------------------------------------------------------


def _check_import(result, expected: int, what: str) -> None:
    if not result.ok or result.new != expected:
        first = "; ".join(str(e) for e in result.errors[:5])
        raise BenchError(f"{what}: {result.new} new of {expected}, {len(result.errors)} errors: {first}")


def measure_import(plan: Plan, seed: int, sample: int, workdir: Path, report: Report, out: Callable) -> None:
    """Import a file of all-new members (the seeded tree's codes, other people) three ways."""
    from bench.import_baseline import import_with_default_resource
    from members.roster_io.importing import import_members

    orgdept = get_user_model().objects.get(username="orgdept")
    newcomers = seed_newcomers(plan=plan, seed=seed + 1, regions=IMPORT_REGIONS)
    rows = len(newcomers)
    write_time, path = timed(write_import_file, workdir / f"bench-import-{rows}.xlsx", newcomers)
    out(f"   wrote {path.name}: {rows:,} rows x 13 columns, {path.stat().st_size / 1e6:.1f} MB in {write_time:.1f} s")
    # The file is read just before and just after the import; their mean is the baseline, so a
    # burst of other work on the machine weighs on both sides alike.
    read_before, read_rows = timed(read_every_cell, path)
    if read_rows != rows:
        raise BenchError(f"read {read_rows} rows of {rows}")
    import_time, result = timed_and_rolled_back(import_members, path, user=orgdept, dry_run=False)
    _check_import(result, rows, "import_members")
    read_after, _ = timed(read_every_cell, path)
    read_time = (read_before + read_after) / 2
    n = min(sample, rows)
    sample_path = path if n == rows else write_import_file(workdir / f"bench-import-{n}.xlsx", newcomers[:n])
    default_time, default_result = timed_and_rolled_back(import_with_default_resource, sample_path, user=orgdept)
    _check_import(default_result, n, "import_with_default_resource")
    default_full = default_time * rows / n
    note = "" if n == rows else f"; measured on the first {n:,} rows ({default_time:.1f} s) and extrapolated linearly"
    detail = f"{rows:,} new members, {rows / import_time:,.0f} rows/s"
    _record(
        report,
        Figure("import_members", import_time, f"django-import-export default resource{note}", default_full, detail),
        out,
    )
    reading = "reading the file (openpyxl read-only, every cell; mean of before and after)"
    read_detail = f"reads took {read_before:.2f} s and {read_after:.2f} s"
    _record(report, Figure("import_members", import_time, reading, read_time, read_detail), out)
    if n != rows:
        report.notes.append(f"default resource measured on {n:,} rows and extrapolated linearly to {rows:,}")
    speedup = default_full / import_time
    report.goals.append(
        Goal("import at least 10x faster than the default resource", speedup >= 10, f"{speedup:.1f}x faster")
    )
    ratio = import_time / read_time
    report.goals.append(Goal("import within 3x of reading the file", ratio <= 3, f"{ratio:.2f}x"))


# Reporting ------------------------------------------------------------------------------------------


def _seconds(value: float) -> str:
    return ms(value) if value < 1 else f"{value:.2f} s"


def _record(report: Report, figure: Figure, out: Callable) -> None:
    report.figures.append(figure)
    faster = f" ({1 / figure.ratio:.1f}x faster)" if figure.ratio < 1 else ""
    out(
        f"   {figure.label}: {_seconds(figure.value)}   vs {figure.baseline_label}: {_seconds(figure.baseline)}"
        f"   ratio {figure.ratio:.2f}x{faster}"
    )
    if figure.detail:
        out(f"      {figure.detail}")


def run_benchmarks(
    *,
    scale: Scale,
    seed: int,
    requests: int,
    sample: int,
    workdir: Path,
    out: Callable = print,
    page_requests: int = 0,
    pages_only: bool = False,
) -> Report:
    """Seed ``scale`` into the (empty) configured database and take every measurement (``pages_only``:
    the seeding and the page sweep alone)."""
    report = Report()
    out(f"1. Seeding '{scale.name}'")
    plan = measure_seeding(scale, seed, report, out)
    if not pages_only:
        out(f"2. Roster page of orgdept ({scale.members:,} members) against a bare view of 50 rows")
        measure_roster(requests, report, out)
        out(f"3. Importing {scale.members:,} new members from .xlsx")
        measure_import(plan, seed, sample, workdir, report, out)
    if page_requests:
        from .pages import measure_pages

        out(f"6. Every page of the menu of orgdept and secretary, {page_requests} requests each, against the bare view")
        measure_pages(plan=plan, requests=page_requests, report=report, out=out)
    out("Goals:")
    for goal in report.goals:
        out(f"   {'PASS' if goal.passed else 'FAIL'}  {goal.label}: {goal.detail}")
    return report
