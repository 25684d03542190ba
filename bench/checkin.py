"""Check-in throughput (issue 13): ``POST /api/v1/check-ins`` under gunicorn, against a bare insert.

    .venv/bin/python bench/checkin.py [--members 1500] [--clients 32] [--workers N] [--threads M]

Alone, it creates its own database ``<configured name>_bench_checkin`` on the configured
PostgreSQL server and drops it afterwards; ``make bench`` runs the same measurement in its own
test database after the other benchmarks (``measure_checkin``). It needs PostgreSQL: gunicorn's
workers must reach the database the benchmark fills.

1. One branch with ``members`` members, each with an account, and a 主题党日 whose check-in is
   open. Each member's session is written straight through Django's session engine (no login
   requests), with a CSRF cookie of its own.
2. gunicorn on a free local port, with the workers and threads of the site's own
   ``gunicorn.conf.py`` (2 per CPU x 2 threads) unless given, and ``bench.checkin_settings``: the site's
   settings and URLs plus ``bench.checkin_bare``, a view that inserts one row into a small table
   (one query; the check-in is the site's plain ORM path: the session, its user, the activity, the
   member, the locked row, the insert and its audit entry in a transaction; no session query with
   sessions in Redis). Sessions and the rate limiter's counters are in Redis, as in
   production: the configured ``REDIS_URL``, or else, when Redis answers on 127.0.0.1:6379,
   its database 13, for this step only (``production_sessions``; ``make bench``'s other steps
   keep the configured sessions); the report names the session engine.
3. Client threads with keep-alive connections. The members are split into rounds; each round
   is a phase of bare inserts, then a phase of as many check-ins (interleaved, so that both see
   the same machine load). In a check-in phase each member taps once, with the current rotating
   token: every request is a first check-in that writes (repeats, which write nothing, would
   flatter the figure).
4. Requests per second of both and their ratio (goal: check-ins at least a quarter of the bare view's),
   and the checks that must be zero: duplicates (a member with more than one attendance row or
   more than one 201) and lost check-ins (a member answered 201/200 without a row, or without
   any row at all), and bare inserts answered 201 but not in the table.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import http.client
import json
import os
import queue
import runpy
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKIN_PATH = "/api/v1/check-ins"
BENCH_REDIS_URL = "redis://127.0.0.1:6379/13"  # a database of its own on the local Redis, if it answers
GOAL_RATIO = 0.25  # issue 13: at least a quarter of the bare one-insert view
ID_REGION = "110101"  # ID numbers of the benchmark's members: Beijing, unlike every seed's Fujian ones


@dataclass
class Phase:
    label: str
    requests: int = 0
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def add(self, other: Phase) -> None:
        self.requests += other.requests
        self.seconds += other.seconds
        self.statuses.update(other.statuses)
        self.latencies += other.latencies
        self.errors += other.errors


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


# --- the database state --------------------------------------------------------------------------


@dataclass
class Fixture:
    activity: object
    member_ids: list[int]
    cookies: list[str]  # per member: the Cookie header
    csrf: list[str]  # per member: the X-CSRFToken header
    session_keys: list[str] = field(default_factory=list)


def _members(branch, users) -> list[int]:
    from members import crypto
    from members.idnumbers import make_id_number
    from members.models import Member

    rows = []
    for i, user in enumerate(users):
        birth = datetime.date(1970, 1, 1) + datetime.timedelta(days=i // 400)
        number = make_id_number(ID_REGION, birth, i % 400, "M")
        rows.append(
            Member(
                name=f"压测党员{i:05d}", sex=Member.Sex.MALE, birth_date=birth, branch=branch,
                id_number_encrypted=crypto.encrypt(number), id_number_digest=crypto.digest(number), joined_on=datetime.date(2000, 1, 1),
                confirmed_on=datetime.date(2001, 1, 1), user=user,
            )
        )  # fmt: skip
    Member.objects.bulk_create(rows, batch_size=1000)
    return list(Member.objects.filter(branch=branch).order_by("pk").values_list("pk", flat=True))


def _sessions(users) -> tuple[list[str], type]:
    """A logged-in session per user, written through the session engine's model in one bulk insert."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    model = store_class.get_model_class()  # the database engines (db, cached_db); the benchmark needs one anyway
    backend = "django.contrib.auth.backends.ModelBackend"
    expires = timezone.now() + datetime.timedelta(hours=2)
    keys, rows = [], []
    for user in users:
        data = {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: backend, HASH_SESSION_KEY: user.get_session_auth_hash()}
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        keys.append(key)
        rows.append(model(session_key=key, session_data=store_class().encode(data), expire_date=expires))
    model.objects.bulk_create(rows, batch_size=1000)
    cache = _session_cache(store_class)
    if cache is not None:  # cached_db: also in its cache, under the engine's own keys, as a log-in leaves it
        age = int((expires - timezone.now()).total_seconds())
        for start in range(0, len(rows), 1000):
            cache.set_many(
                {store_class(session_key=row.session_key).cache_key: store_class().decode(row.session_data)
                 for row in rows[start : start + 1000]},
                age,
            )  # fmt: skip
    return keys, model


def _session_cache(store_class):
    """The cache of a cached_db engine (``core.sessions`` included), None for the others."""
    from django.conf import settings
    from django.contrib.sessions.backends.cached_db import SessionStore as CachedDB
    from django.core.cache import caches

    return caches[settings.SESSION_CACHE_ALIAS] if issubclass(store_class, CachedDB) else None


def _forget_cached_sessions(keys: list[str]) -> None:
    from importlib import import_module

    from django.conf import settings

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    cache = _session_cache(store_class)
    if cache is not None:
        cache.delete_many([store_class(session_key=key).cache_key for key in keys])


def session_engine_description() -> str:
    from django.conf import settings

    engine = settings.SESSION_ENGINE
    if engine in ("core.sessions", "django.contrib.sessions.backends.cached_db"):
        return f"sessions {engine} (read from Redis {settings.REDIS_URL}, kept in the database)"
    return f"sessions {engine}"


def bench_redis_url() -> str:
    """Redis as production has it: the configured ``REDIS_URL``, else the local Redis's database 13
    if it answers, else none (sessions and counters then stay as configured)."""
    from django.conf import settings

    if settings.REDIS_URL:
        return settings.REDIS_URL
    return BENCH_REDIS_URL if redis_answers(BENCH_REDIS_URL) else ""


@contextlib.contextmanager
def production_sessions(redis_url: str):
    """In this process, while measuring: sessions read from Redis at ``redis_url`` and the cache there,
    as settings.py makes them when ``REDIS_URL`` is set (gunicorn's workers get ``REDIS_URL`` itself)."""
    from django.test import override_settings

    from partysite.settings import REDIS_SESSION_ENGINE, redis_caches

    if not redis_url:
        yield
        return
    with override_settings(REDIS_URL=redis_url, CACHES=redis_caches(redis_url), SESSION_ENGINE=REDIS_SESSION_ENGINE):
        yield


def redis_answers(url: str) -> bool:
    """Whether a Redis server answers PING at ``url``'s host and port."""
    parts = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def build_fixture(members: int) -> Fixture:
    """The branch, members with accounts and sessions, the open activity and the bare table (committed)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from activities.models import Activity
    from bench.checkin_bare import BARE_TABLE, CREATE_TABLE
    from branches.models import Branch
    from branches.services import branch_create
    from members.models import Member

    root = branch_create(parent=None, name="签到压测党委", kind=Branch.Kind.COMMITTEE, code="BENCH-CHECKIN")
    branch = branch_create(parent=root, name="签到压测党支部", kind=Branch.Kind.BRANCH, code="BENCH-CHECKIN-1")
    User = get_user_model()
    password = make_password(None)  # unusable: nobody logs in with a password here
    User.objects.bulk_create([User(username=f"bench-checkin-{i:05d}", password=password) for i in range(members)])
    users = list(User.objects.filter(username__startswith="bench-checkin-").order_by("username"))
    member_ids = _members(branch, users)
    keys, session_model = _sessions(users)
    now = timezone.now()
    activity = Activity.objects.create(
        branch=branch, kind=Activity.Kind.THEME_DAY, title="签到压测主题党日",
        starts_at=now - datetime.timedelta(minutes=5), ends_at=now + datetime.timedelta(hours=3),
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BARE_TABLE}")
        cursor.execute(CREATE_TABLE)
        for model in (User, Member, Activity, session_model):  # fresh rows: give the planner statistics
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    csrf = [get_random_string(32) for _ in keys]
    cookies = [
        f"{settings.SESSION_COOKIE_NAME}={k}; {settings.CSRF_COOKIE_NAME}={c}" for k, c in zip(keys, csrf, strict=True)
    ]
    return Fixture(activity, member_ids, cookies, csrf, keys)


def drop_fixture() -> None:
    from django.db import connection

    from bench.checkin_bare import BARE_TABLE

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BARE_TABLE}")


# --- gunicorn -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    def quote(text: str) -> str:
        return urllib.parse.quote(str(text), safe="")

    user = quote(settings_dict.get("USER") or "")
    password = f":{quote(settings_dict['PASSWORD'])}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{quote(settings_dict['NAME'])}"


def production_server() -> tuple[int, int]:
    """Workers and threads of the site's ``gunicorn.conf.py``, as production would run (this environment's)."""
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    return config["workers"], config["threads"]


class Gunicorn:
    """gunicorn serving the site against the benchmark's database; stopped on exit, whatever happens."""

    def __init__(self, *, db_url: str, workers: int, threads: int, redis_url: str = ""):
        self.port = _free_port()
        self.command = [
            sys.executable, "-m", "gunicorn", "partysite.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
            "--keep-alive", "30", "--backlog", "2048", "--log-level", "warning",
        ]  # fmt: skip
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.checkin_settings", "DATABASE_URL": db_url}
        if redis_url:
            self.env["REDIS_URL"] = redis_url
        self.process: subprocess.Popen | None = None
        self.description = f"gunicorn, {workers} gthread workers x {threads} threads"

    def __enter__(self) -> Gunicorn:
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start listening within 60 s")

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # the master stops its workers
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the group gunicorn was started in, nothing else
            self.process.wait(timeout=10)


# --- the clients ----------------------------------------------------------------------------------


@dataclass
class Job:
    path: str
    member: int  # index into the fixture
    nonce: str


def _token(activity) -> str:
    from activities.tokens import current_token

    return current_token(activity)


def run_phase(label: str, jobs: list[Job], *, port: int, fixture: Fixture, clients: int) -> tuple[Phase, list]:
    """Send ``jobs`` from ``clients`` threads with keep-alive connections; returns the phase and the answers."""
    phase = Phase(label, requests=len(jobs))
    answers: list = [None] * len(jobs)
    work: queue.Queue = queue.Queue()
    for i, job in enumerate(jobs):
        work.put((i, job))
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        latencies, statuses, errors = [], Counter(), []
        while True:
            try:
                i, job = work.get_nowait()
            except queue.Empty:
                break
            body = json.dumps({"token": _token(fixture.activity), "nonce": job.nonce}).encode()
            headers = {
                "Content-Type": "application/json",
                "Cookie": fixture.cookies[job.member],
                "X-CSRFToken": fixture.csrf[job.member],
            }
            start = time.perf_counter()
            for attempt in (1, 2):  # one reconnect if the server closed the kept-alive connection
                try:
                    conn.request("POST", job.path, body=body, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                    break
                except (http.client.HTTPException, OSError) as exc:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    if attempt == 2:
                        response, data = None, str(exc).encode()
            latencies.append(time.perf_counter() - start)
            status = response.status if response is not None else 0
            statuses[status] += 1
            answers[i] = (status, data)
            if status not in (200, 201):
                errors.append(f"{status} {data[:120]!r}")
        conn.close()
        with lock:
            phase.latencies.extend(latencies)
            phase.statuses.update(statuses)
            phase.errors.extend(errors)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    phase.seconds = time.perf_counter() - start
    return phase, answers


def _checkin_jobs(members: range) -> list[Job]:
    """One tap per member: every request a first check-in that writes."""
    return [Job(CHECKIN_PATH, m, f"m{m}") for m in members]


def _bare_jobs(count: int, members: int, offset: int) -> list[Job]:
    from bench.checkin_bare import BARE_PATH

    return [Job(BARE_PATH, (offset + i) % members, f"b{offset + i}") for i in range(count)]


# --- the measurement --------------------------------------------------------------------------------


def _verify(fixture: Fixture, answers: list[tuple[Job, tuple]], bare_created: int) -> tuple[int, int, int]:
    """(duplicates, lost check-ins, bare inserts answered 201 but missing) from the database."""
    from django.db import connection
    from django.db.models import Count

    from activities.models import Attendance
    from bench.checkin_bare import BARE_TABLE

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
                ("warm-up bare", _bare_jobs(warm, members + warm, 10**6)),
                ("warm-up check-in", _checkin_jobs(range(measured, measured + warm))),
            ):
                phase, answers = run_phase(label, jobs, port=server.port, fixture=fixture, clients=clients)
                all_answers += list(zip(jobs, answers, strict=True))
                bare_created += phase.statuses[201] if label.endswith("bare") else 0
            size = -(-measured // rounds)
            for r in range(rounds):
                group = range(r * size, min(measured, (r + 1) * size))
                jobs = _checkin_jobs(group)
                bare_jobs = _bare_jobs(len(jobs), measured, r * size)
                phase, _ = run_phase("bare", bare_jobs, port=server.port, fixture=fixture, clients=clients)
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
    _forget_cached_sessions(fixture.session_keys)
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
