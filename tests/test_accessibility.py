"""Accessibility of the main pages: every field has a label, nothing is clickable only by mouse,
text colours reach WCAG AA contrast, member pages are sized for a thumb on a 390px screen."""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from activities import services, tokens
from activities.models import Activity

CSS = Path(settings.BASE_DIR) / "static" / "css"
TEMPLATES = Path(settings.BASE_DIR) / "templates"


class _Fields(HTMLParser):
    """Collects form fields, the ids that labels point at, and fields wrapped in a label."""

    def __init__(self):
        super().__init__()
        self.fields: list[dict] = []
        self.label_for: set[str] = set()
        self.label_depth = 0
        self.clickable_non_controls: list[str] = []
        self.viewport = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label":
            self.label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in ("input", "select", "textarea"):
            if tag == "input" and a.get("type") in ("hidden", "submit", "button", "reset", "image"):
                return
            self.fields.append({"tag": tag, "attrs": a, "wrapped": self.label_depth > 0})
        elif tag == "meta" and a.get("name") == "viewport":
            self.viewport = "width=device-width" in (a.get("content") or "")
        if "onclick" in a and tag not in ("a", "button", "input", "select", "summary"):
            self.clickable_non_controls.append(tag)

    def handle_endtag(self, tag):
        if tag == "label" and self.label_depth:
            self.label_depth -= 1


def _unlabelled(html: str) -> list[str]:
    parser = _Fields()
    parser.feed(html)
    missing = []
    for field in parser.fields:
        a = field["attrs"]
        if field["wrapped"] or a.get("aria-label") or a.get("aria-labelledby") or a.get("title"):
            continue
        if a.get("id") and a["id"] in parser.label_for:
            continue
        missing.append(f"<{field['tag']} name={a.get('name')!r} id={a.get('id')!r}>")
    return missing


@pytest.fixture
def open_activity(tree, secretary_a):
    """A 支部党员大会 of branch A that started five minutes ago (check-in is open)."""
    start = timezone.now() - datetime.timedelta(minutes=5)
    return services.activity_create(
        branch=tree.branch_a,
        kind=Activity.Kind.BRANCH_ASSEMBLY,
        title="支部党员大会",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        by=secretary_a,
    )


@pytest.fixture
def pages(tree, member_a, orgdept, open_activity):
    """(persona, url) of the main pages."""
    activity = open_activity
    token = tokens.current_token(activity)
    staff = [
        reverse("branches:tree"),
        reverse("branches:detail", args=[tree.branch_a.code]),
        reverse("branches:create_child", args=[tree.branch_a.code]),
        reverse("members:list"),
        reverse("members:create"),
        reverse("members:detail", args=[member_a.pk]),
        reverse("members:edit", args=[member_a.pk]),
        reverse("members:transfer", args=[member_a.pk]),
        reverse("members:leave", args=[member_a.pk]),
        reverse("members:import"),
        reverse("members:dues_branch", args=[tree.branch_a.code]),
        reverse("members:dues_import"),
        reverse("members:position_appoint", args=[tree.branch_a.code]),
        reverse("members:commendation_create", args=[member_a.pk]),
        reverse("members:sanction_create", args=[member_a.pk]),
        reverse("activities:workbench"),
        reverse("activities:list"),
        reverse("activities:compliance"),
        reverse("activities:create"),
        reverse("activities:detail", args=[activity.pk]),
        reverse("activities:edit", args=[activity.pk]),
        reverse("activities:cancel", args=[activity.pk]),
        reverse("health:index"),
        reverse("health:branch", args=[tree.branch_a.code]),
        reverse("health:rubric_edit", args=[tree.branch_a.code]),
        reverse("reports:dashboard", args=[tree.town.code]),
    ]
    mine = [
        reverse("members:me"),
        reverse("activities:mine"),
        reverse("activities:checkin", args=[token]),
        reverse("health:me"),
    ]
    return {"orgdept": staff, "member_a": mine}


@pytest.mark.django_db
def test_every_field_on_the_main_pages_has_a_label(client, login_as, pages):
    for page in [reverse("login"), reverse("members:activate")]:
        response = client.get(page)
        assert response.status_code == 200, page
        assert _unlabelled(response.text) == [], page
    checked = 0
    for persona, urls in pages.items():
        c = login_as(persona)
        for url in urls:
            response = c.get(url)
            assert response.status_code == 200, url
            assert _unlabelled(response.text) == [], url
            checked += 1
    assert checked == sum(len(urls) for urls in pages.values())


@pytest.mark.django_db
def test_member_pages_have_the_viewport_and_no_mouse_only_controls(login_as, pages):
    c = login_as("member_a")
    for url in pages["member_a"]:
        parser = _Fields()
        parser.feed(c.get(url).text)
        assert parser.viewport, url
        assert parser.clickable_non_controls == [], url


@pytest.mark.django_db
def test_first_link_of_a_page_skips_to_the_content(client):
    html = client.get(reverse("login")).text
    body = html.split("<body>", 1)[1]
    assert body.lstrip().startswith('<a class="skip-link" href="#main">') and 'id="main"' in body


def test_no_template_has_onclick_on_a_non_control():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        for match in re.finditer(r"<(\w+)[^>]*\sonclick=", path.read_text(encoding="utf-8")):
            if match.group(1) not in ("a", "button", "input", "select", "summary"):
                offenders.append(f"{path.name}: <{match.group(1)}>")
    assert offenders == []


def test_unlabelled_finder_flags_a_bare_input_and_accepts_labelled_ones():
    html = (
        '<label for="a">A</label><input id="a" name="a">'
        '<label>B <input name="b"></label>'
        '<input name="c" aria-label="C">'
        '<input name="d"><input type="hidden" name="e"><select name="f"></select>'
    )
    assert _unlabelled(html) == ["<input name='d' id=None>", "<select name='f' id=None>"]


# --- contrast -------------------------------------------------------------------------------


def _luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    a, b = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def test_contrast_formula_matches_known_values():
    assert round(contrast("#000", "#fff"), 1) == 21.0
    assert round(contrast("#777", "#fff"), 2) == 4.48


def _variables() -> dict[str, str]:
    site = (CSS / "site.css").read_text(encoding="utf-8")
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})", site))


def _text_colours() -> list[tuple[str, str, str]]:
    """(file, selector, colour) for every `color:` declaration in static/css."""
    variables = _variables()
    found = []
    for path in sorted(CSS.glob("*.css")):
        text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
        for selector, body in re.findall(r"([^{}]+)\{([^}]*)\}", text):
            for value in re.findall(r"(?<![-\w])color:\s*([^;]+)", body):
                value = value.strip()
                var = re.fullmatch(r"var\(--([\w-]+)\)", value)
                if var:
                    value = variables.get(var.group(1), "")
                if re.fullmatch(r"#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}", value):
                    found.append((path.name, selector.strip(), value))
    return found


def test_text_colours_reach_wcag_aa_on_white_and_on_the_light_grey():
    colours = _text_colours()
    assert len(colours) > 10
    light_backgrounds = ("#ffffff", "#f6f8fa")
    weak = [
        (f, sel, colour, round(contrast(colour, bg), 2))
        for f, sel, colour in colours
        for bg in light_backgrounds
        if _luminance(colour) < 0.5 and contrast(colour, bg) < 4.5
    ]
    assert weak == []


def test_white_text_on_the_red_bar_reaches_wcag_aa():
    assert contrast("#ffffff", _variables()["red"]) >= 4.5


# --- phone ----------------------------------------------------------------------------------


def test_site_css_gives_thumb_sized_targets_and_lets_the_nav_wrap():
    site = (CSS / "site.css").read_text(encoding="utf-8")
    button = re.search(r"\nbutton, \.button \{([^}]*)\}", site).group(1)
    assert "min-height: 2.75rem" in button  # 44px
    assert re.search(r"\.mainnav \{[^}]*flex-wrap: wrap", site)
    assert re.search(r"\.table-scroll \{[^}]*overflow-x: auto", site)


@pytest.mark.django_db
def test_tables_on_member_pages_scroll_inside_a_box_not_the_page(login_as, pages):
    c = login_as("member_a")
    for url in pages["member_a"]:
        html = c.get(url).text
        assert html.count("<table") == html.count('<div class="table-scroll"><table'), url


@pytest.mark.django_db
def test_checkin_page_is_small(login_as, member_a, open_activity):
    url = reverse("activities:checkin", args=[tokens.current_token(open_activity)])
    response = login_as("member_a").get(url)
    css = sum((CSS / name).stat().st_size for name in ("site.css", "activities.css"))
    assert response.status_code == 200
    assert len(response.content) + css < 20_000
