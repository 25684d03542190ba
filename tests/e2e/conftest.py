"""Browser journeys: the site served on 127.0.0.1 by ``runserver`` and Debian's Chromium driven by Playwright.

Once per session: a fresh database (SQLite in ``var/e2e/``, emptied at the start of each run, where the
server's log stays too; with a PostgreSQL ``DATABASE_URL``, a database of its own named
``<that name>_site`` on the same server, dropped at the end), migrated, seeded with
``seed_demo --scale demo`` and prepared by ``site_data.prepare``; then ``runserver`` on a free
port. Each test gets a new browser context (its own cookies). Screenshots go to ``var/screenshots/``.

Run with ``make test-e2e``; ``make test`` does not collect this folder (see pyproject's norecursedirs).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api", reason="make test-e2e installs playwright")

BASE_DIR = Path(__file__).resolve().parents[2]
SCREENSHOTS = BASE_DIR / "var" / "screenshots"
WORK_DIR = BASE_DIR / "var" / "e2e"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "partysite-demo"
SETTINGS = "partysite.test_settings"
TIMEOUT_MS = 20_000


@dataclass
class Site:
    url: str
    env: dict
    data: dict

    def manage(self, *args: str, timeout: int = 300) -> str:
        """Run ``manage.py`` against the served site's database; its standard output."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _postgres() -> tuple[str, str] | None:
    """(server URL, database name) for the site when ``DATABASE_URL`` names a PostgreSQL database."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    base, _, name = url.rpartition("/")
    return base, f"{name.split('?')[0]}_site"


def _recreate(base: str, name: str, *, create: bool = True) -> None:
    import psycopg

    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


def _wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"runserver exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/accounts/login/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"runserver did not answer within 60 s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def site():
    folder = WORK_DIR
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    postgres = _postgres()
    if postgres:
        _recreate(*postgres)
    database_url = f"{postgres[0]}/{postgres[1]}" if postgres else f"sqlite:///{folder / 'site.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}  # tasks run inline
    env.update(DJANGO_SETTINGS_MODULE=SETTINGS, DATABASE_URL=database_url, PYTHONUNBUFFERED="1")
    site = Site(url="", env=env, data={})
    started = time.perf_counter()
    site.manage("migrate", "--noinput")
    site.manage("seed_demo", "--scale", "demo")
    out = site.manage("shell", "-c", "from tests.e2e.site_data import prepare; prepare()")
    site.data = json.loads(next(line for line in out.splitlines() if line.startswith("E2E-DATA "))[9:])
    port = _free_port()
    site.url = f"http://127.0.0.1:{port}"
    log = folder / "server.log"
    with open(log, "w") as handle:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=BASE_DIR,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(site.url, server, log)
        print(f"\n[e2e] site ready at {site.url} in {time.perf_counter() - started:.1f} s (log: {log})")
        yield site
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        if postgres:
            _recreate(*postgres, create=False)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk")
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _context(browser, site: Site, **options):
    context = browser.new_context(base_url=site.url, locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def desktop(browser, site):
    """A page in a desktop-sized window."""
    context = _context(browser, site, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def phone_context(browser, site, **options):
    """A browser context with a phone-sized screen (390x844, touch); ``storage_state`` to reopen one."""
    return _context(browser, site, **PHONE, **options)


@pytest.fixture
def phone(browser, site):
    """A page on a phone-sized screen (390x844, touch)."""
    context = phone_context(browser, site)
    yield context.new_page()
    context.close()


def log_in(page, username: str, *, password: str = PASSWORD, remember: bool = False) -> None:
    """Fill the login form the page shows (or go to it) and send it; ``remember``: tick
    "在这台手机上保持登录"."""
    if "/accounts/login/" not in page.url:
        page.goto("/accounts/login/")
    page.get_by_label("手机号码、身份证号或用户名").fill(username)
    page.get_by_label("密码").fill(password)
    if remember:
        page.get_by_label("在这台手机上保持登录").check()
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"login of {username} refused"


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save the page as ``var/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
