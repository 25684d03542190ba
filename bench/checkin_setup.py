"""The check-in benchmark's setup (``bench.checkin``, steps 1 and 2): the database state, Redis as
production has it, and gunicorn.

The state: one branch with members who each have an account, a session written straight through
Django's session engine and a CSRF cookie, a 主题党日 whose check-in is open, and the bare view's
table. The server: gunicorn on a free local port with ``bench.checkin_settings``, sessions and the
rate limiter's counters in Redis when one is configured or answers locally.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import runpy
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_REDIS_URL = "redis://127.0.0.1:6379/13"  # a database of its own on the local Redis, if it answers
ID_REGION = "110101"  # ID numbers of the benchmark's members: Beijing, unlike every seed's Fujian ones


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


def forget_cached_sessions(keys: list[str]) -> None:
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
