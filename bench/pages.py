"""6. Every page of the menu at scale (issue 15): each against the bare 50-row view, in one run.

For ``orgdept`` (the whole tree) and ``secretary`` (one branch), the pages the menu leads to and
the pages one click from them: the first link of each distinct URL name found on a menu page
(a member's page, an activity, a branch...). Each page is requested ``requests`` times,
alternating with the bare view (``bench.bare``) so that both see the same machine load; the
figures are the median and p95 of each, the page's queries and its size, and the first request's time
apart (over a large subtree it computes the figures the page then keeps a few minutes:
``branches.summaries``). Goals: every page's median within 10x of the bare view's median, and under
200 KB.

It needs a year of data for the pages to show something: ``measure_pages`` seeds it on the
benchmark's plan with ``demo.year.seed_year`` first (timed, reported) unless the database
already holds activities.
Pages that answer with a file, a redirect or an error are listed with their status, not timed.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve, reverse

from .measure import WARM_UP, BenchError, Goal, Report, ms, p95

PERSONAS = ("orgdept", "secretary")
GOAL_RATIO = 10
GOAL_BYTES = 200 * 1024
# Never followed: they end the session, or write when requested, or are the benchmark's own.
SKIPPED_NAMES = {"logout", "bench_bare", "set_language"}
MAX_PAGES = 60  # per persona, a bound on the crawl


class _Links(HTMLParser):
    """The ``href`` of every ``<a>``, and separately those inside ``<nav>``."""

    def __init__(self):
        super().__init__()
        self.nav_depth = 0
        self.nav: list[str] = []
        self.all: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "nav":
            self.nav_depth += 1
        elif tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.all.append(href)
                if self.nav_depth:
                    self.nav.append(href)

    def handle_endtag(self, tag):
        if tag == "nav" and self.nav_depth:
            self.nav_depth -= 1


def _links(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def _local(href: str) -> str | None:
    """The path (with its query) of a link to this site that a GET may follow, else None."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    if match.url_name in SKIPPED_NAMES or match.view_name.startswith("admin:"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _name(path: str) -> str:
    return resolve(urlsplit(path).path).view_name


def crawl(client: Client, start: str = "/") -> list[str]:
    """The menu's pages, then the first link of each URL name not seen yet on each of them."""
    home = client.get(start, follow=True)  # the home page may send each role elsewhere
    if home.status_code != 200:
        raise BenchError(f"GET {start} answered {home.status_code}")
    landing = home.request["PATH_INFO"]
    menu = [p for p in dict.fromkeys(_local(h) for h in _links(home.content.decode()).nav) if p]
    pages = {_name(landing): landing}
    landed = []
    for path in menu:
        response = client.get(path, follow=True)  # a menu entry may redirect (the activities' index)
        path = (
            _local(
                response.request["PATH_INFO"]
                + (f"?{response.request['QUERY_STRING']}" if response.request.get("QUERY_STRING") else "")
            )
            or path
        )
        pages.setdefault(_name(path), path)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            landed.append(response)
    for response in landed:
        for href in _links(response.content.decode()).all:
            found = _local(href)
            if found and _name(found) not in pages and len(pages) < MAX_PAGES:
                pages[_name(found)] = found
    return list(pages.values())


@dataclass
class PageFigure:
    persona: str
    path: str
    name: str
    median: float
    p95: float
    bare_median: float
    queries: int
    size: int
    first: float = 0.0  # the first request: it computes what a large subtree's pages then keep (branches.summaries)

    @property
    def ratio(self) -> float:
        return self.median / self.bare_median

    @property
    def passed(self) -> bool:
        return self.ratio <= GOAL_RATIO and self.size < GOAL_BYTES


def _timed_get(client: Client, path: str):
    start = time.perf_counter()
    response = client.get(path)
    return time.perf_counter() - start, response


def measure_page(client: Client, persona: str, path: str, bare: str, requests: int) -> PageFigure | int:
    """One page against the bare view, requests alternating; the status code of a page that is not HTML."""
    cold, first = _timed_get(client, path)
    if first.status_code != 200 or not first["Content-Type"].startswith("text/html"):
        return first.status_code
    for _ in range(WARM_UP):
        _timed_get(client, path)
        _timed_get(client, bare)
    page_times, bare_times = [], []
    for _ in range(requests):
        elapsed, response = _timed_get(client, path)
        if response.status_code != 200:
            raise BenchError(f"{persona}: GET {path} answered {response.status_code}")
        page_times.append(elapsed)
        bare_times.append(_timed_get(client, bare)[0])
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    return PageFigure(
        persona, path, _name(path), statistics.median(page_times), p95(page_times),
        statistics.median(bare_times), len(captured), len(response.content), cold,
    )  # fmt: skip


def seed_year_once(plan, out: Callable) -> None:
    """A year of dues, activities, attendance and leave on the seeded ``plan``, unless there is one
    (``plan`` None: a database seeded beforehand, which must hold its year)."""
    from activities.models import Activity
    from branches.models import Branch
    from demo.seeding import SeedResult
    from demo.year import seed_year

    if Activity.objects.exists():
        return
    if plan is None:
        raise BenchError("the database holds no activities: seed it first (manage.py seed_demo --scale city)")
    start = time.perf_counter()
    seed_year(result=SeedResult(plan=plan, root=Branch.objects.get(pk=plan.root.pk), logins=[]))
    out(f"   a year of data seeded in {time.perf_counter() - start:.1f} s")


def measure_pages(*, plan, requests: int, report: Report, out: Callable, personas=PERSONAS) -> list[PageFigure]:
    """Every page each persona reaches from the menu, against the bare view; goals in ``report``."""
    seed_year_once(plan, out)
    User = get_user_model()
    figures: list[PageFigure] = []
    skipped: list[str] = []
    with override_settings(ROOT_URLCONF="bench.urls"):
        bare = reverse("bench_bare")
        for persona in personas:
            client = Client()
            client.force_login(User.objects.get(username=persona))
            for path in crawl(client):
                figure = measure_page(client, persona, path, bare, requests)
                if isinstance(figure, int):
                    skipped.append(f"{persona} {path} ({figure})")
                    continue
                figures.append(figure)
                out(
                    f"   {persona:<10} {figure.name:<32} median {ms(figure.median):>9} p95 {ms(figure.p95):>9}"
                    f"  bare {ms(figure.bare_median):>8}  {figure.ratio:6.1f}x  {figure.queries:3} queries"
                    f"  {figure.size / 1024:7.1f} KB  first {ms(figure.first):>9}  {'' if figure.passed else 'OVER'}"
                )
    if skipped:
        out(f"   not timed (a file, a redirect or an error): {', '.join(skipped)}")
    slow = [f for f in figures if f.ratio > GOAL_RATIO]
    large = [f for f in figures if f.size >= GOAL_BYTES]
    report.goals.append(
        Goal(
            f"every page within {GOAL_RATIO}x of the bare view's median",
            not slow,
            f"{len(figures)} pages; "
            + (", ".join(f"{f.persona} {f.name} {f.ratio:.1f}x" for f in slow) or "all within"),
        )
    )
    report.goals.append(
        Goal(
            "every page under 200 KB",
            not large,
            ", ".join(f"{f.persona} {f.name} {f.size / 1024:.0f} KB" for f in large) or "all under",
        )
    )
    return figures
