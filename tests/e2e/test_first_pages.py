"""Each demo persona's first page after logging in, at 1366x900 and on a phone (390x844): what the
README's "What it looks like" shows.

Every run writes ``var/screenshots/first-<persona>-desktop.png`` and ``-phone.png`` (the visible
screen, not the whole page: small files); with ``DOCS_SCREENSHOTS=1`` it copies them to
``docs/screenshots/`` as well, to refresh the README's pictures.
"""

from __future__ import annotations

import os
import shutil

import pytest

from .conftest import BASE_DIR, _context, log_in, screenshot

DOCS = BASE_DIR / "docs" / "screenshots"
SCREENS = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


@pytest.mark.parametrize("username", ["orgdept", "secretary", "member"])
@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_personas_first_page_fits_the_screen(browser, site, username, screen):
    context = _context(browser, site, device_scale_factor=1, **SCREENS[screen])
    try:
        page = context.new_page()
        log_in(page, username)
        assert page.url.rstrip("/") == site.url, f"{username} landed on {page.url}, not the first page"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= SCREENS[screen]["viewport"]["width"], f"{username}'s first page is {width}px wide"
        path = screenshot(page, f"first-{username}-{screen}", full_page=False)
    finally:
        context.close()
    if os.environ.get("DOCS_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / path.name)
