"""Every page a demo persona reaches, on a phone (390x844): issue 15, "Phones".

Each persona (``orgdept``, ``secretary``, ``secretary2``, ``member``, ``gridhead``: the 网格长 of the demo's
community, issue 16) logs in and follows the links of
the pages it sees, same site and GET only, from its first page on: not the log-out, the language
switch, the admin nor file downloads. The crawl is bounded: the first ``VISITS_PER_NAME`` links of each
URL name are opened in the browser, and the first ``CHECKS_PER_NAME`` links of each URL name are
asked for their status. On each page opened:

- the page is no wider than the screen (``document.documentElement.scrollWidth <= innerWidth``);
- no box on it scrolls sideways (a table in ``.table-scroll`` is still a sideways scroll: tables
  stack into cards, ``table.stack`` in static/css/site.css), and no table is squeezed into the
  screen (a cell of three characters or more narrower than two: one character a line);
- it answers without a 5xx;
and no link on any page opened answers 403 (the menu and the pages offer only what the user may
open) or 5xx.

The failure lists every offending page with its URL name.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.urls import Resolver404, resolve

from .conftest import log_in, phone_context

PERSONAS = ["orgdept", "secretary", "secretary2", "member", "gridhead"]
VISITS_PER_NAME = 2  # pages opened in the browser per URL name (a planned and a held meeting...)
CHECKS_PER_NAME = 4  # links asked for their status per URL name
MAX_PAGES = 250  # a guard against a crawl that never ends
SKIPPED_PREFIXES = ("/admin/", "/static/", "/media/", "/i18n/", "/accounts/logout/")

LINKS = """() => Array.from(document.querySelectorAll('a[href]'))
  .filter(a => !a.hasAttribute('download'))
  .map(a => a.href)"""

# Boxes wider than they show: scrolled sideways (overflow-x auto or scroll), or the page itself.
OVERFLOW = """() => {
  const found = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth) found.push(`the page is ${doc.scrollWidth}px wide`);
  for (const e of document.querySelectorAll('body *')) {
    const style = getComputedStyle(e);
    if (!['auto', 'scroll'].includes(style.overflowX) || style.display === 'none') continue;
    if (e.scrollWidth > e.clientWidth + 1) {
      const name = e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).trim().replace(/\\s+/g, '.') : '');
      const inner = e.querySelector('table, pre, svg, img');
      const what = inner ? inner.tagName.toLowerCase() + (inner.className ? '.' + inner.className : '') : '';
      found.push(`${name} scrolls sideways (${e.scrollWidth}px in ${e.clientWidth}px) ${what}`.trim());
    }
  }
  // A table squeezed into the screen: a cell of a few words shown one character a line.
  for (const cell of document.querySelectorAll('table td, table th')) {
    const style = getComputedStyle(cell);
    if (style.display !== 'table-cell' || !cell.offsetParent) continue;
    const head = cell.closest('thead');  // a stacked table's headers: hidden, each cell says its own
    if (head && head.getBoundingClientRect().width <= 1) continue;
    const text = cell.innerText.trim();
    const inner = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (text.length >= 3 && inner < 2.2 * parseFloat(style.fontSize)) {
      found.push(`a table squeezed to ${Math.round(inner)}px a column ("${text.slice(0, 12)}")`);
      break;
    }
  }
  return found;
}"""


def _url_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def _crawlable(url: str, origin: str) -> str | None:
    """``url`` without its fragment when the crawl may follow it, else None."""
    url = urldefrag(url).url
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != origin or parts.path.startswith(SKIPPED_PREFIXES):
        return None
    return url


def crawl(page, origin: str) -> tuple[list[str], list[str]]:
    """Follow the links from the page shown; (the problems found, the URL names opened)."""
    problems: list[str] = []
    opened: list[str] = []
    visits: Counter[str] = Counter()
    checks: Counter[str] = Counter()
    seen: set[str] = set()
    queue = [page.url]
    seen.add(page.url)
    request = page.context.request
    while queue and len(opened) < MAX_PAGES:
        url = queue.pop(0)
        path = urlsplit(url).path
        name = _url_name(path) or path
        response = page.goto(url)
        status = response.status if response else 0
        if status >= 500:
            problems.append(f"{name} {path}: answers {status}")
            continue
        if status != 200 or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        opened.append(name)
        page.wait_for_load_state()
        problems += [f"{name} {path}: {what}" for what in page.evaluate(OVERFLOW)]
        links = list(page.evaluate(LINKS))
        while links:
            target = _crawlable(links.pop(0), origin)
            if target is None or target in seen:
                continue
            seen.add(target)
            link_path = urlsplit(target).path
            link_name = _url_name(link_path) or link_path
            if checks[link_name] >= CHECKS_PER_NAME:
                continue
            checks[link_name] += 1
            answer = request.get(target, max_redirects=0)
            if answer.status == 403 or answer.status >= 500:
                problems.append(f"{link_name} {link_path}: linked from {name} {path}, answers {answer.status}")
            elif 300 <= answer.status < 400 and answer.headers.get("location"):
                links.insert(0, urljoin(target, answer.headers["location"]))  # a redirect: where it leads
            elif answer.status == 200 and "text/html" in answer.headers.get("content-type", ""):
                if visits[link_name] < VISITS_PER_NAME:
                    visits[link_name] += 1
                    queue.append(target)
    return problems, opened


@pytest.mark.parametrize("username", PERSONAS)
def test_every_page_a_persona_reaches_fits_a_phone_and_no_link_is_refused(browser, site, username):
    context = phone_context(browser, site)
    try:
        page = context.new_page()
        log_in(page, username)
        problems, opened = crawl(page, site.url)
    finally:
        context.close()
    print(f"\n[crawl] {username}: {len(opened)} pages opened: {' '.join(sorted(set(opened)))}")
    assert len(opened) >= 3, f"{username} reached only {opened}"
    assert not problems, f"{username}, {len(problems)} problems at 390x844:\n" + "\n".join(problems)
