"""Server-side SVG charts: geometry computed here, drawn by ``templates/reports/_bars.svg.html``.

Horizontal bars only: one row per item, its label on the left, the bar, the value's text.
No JavaScript and no external library; the page's CSS colours the bars.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

ROW = 24
LABEL_WIDTH = 150
BAR_WIDTH = 300
TEXT_WIDTH = 90
# What fits left of a bar, in half-widths: a Chinese character counts two, a Latin letter one, so that
# a label keeps about twelve characters in Chinese and twenty-odd letters in English.
LABEL_UNITS = 24


def _units(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def fit_label(text) -> str:
    """``text`` cut with an ellipsis to what fits in ``LABEL_UNITS`` half-widths (in the reader's language)."""
    text = str(text)
    if sum(_units(c) for c in text) <= LABEL_UNITS:
        return text
    kept, used = [], 1  # the ellipsis
    for char in text:
        used += _units(char)
        if used > LABEL_UNITS:
            break
        kept.append(char)
    return "".join(kept) + "…"


@dataclass
class Bar:
    label: str
    text: str
    y: str
    width: str
    value_x: str
    href: str = ""
    css: str = ""

    @property
    def short_label(self) -> str:
        return fit_label(self.label)


@dataclass
class BarChart:
    title: str
    bars: list[Bar] = field(default_factory=list)
    label_width: int = LABEL_WIDTH
    label_x: int = LABEL_WIDTH - 6
    width: int = LABEL_WIDTH + BAR_WIDTH + TEXT_WIDTH
    height: int = 0

    @property
    def empty(self) -> bool:
        return not self.bars


def bar_chart(title: str, items, *, maximum=None, unit: str = "") -> BarChart:
    """``items``: (label, value or None, text or "", href or "") tuples; None draws no bar and shows "—"."""
    values = [Decimal(str(v)) for _, v, *_ in items if v is not None]
    top = Decimal(str(maximum)) if maximum is not None else max(values, default=Decimal(0))
    chart = BarChart(title)
    for i, (label, value, text, href) in enumerate(items):
        length = Decimal(0) if value is None or not top else Decimal(str(value)) / top * BAR_WIDTH
        length = min(length, Decimal(BAR_WIDTH))
        shown = text or ("—" if value is None else f"{value}{unit}")
        chart.bars.append(
            Bar(
                label=label,
                text=shown,
                y=str(i * ROW),
                width=f"{length:.1f}",
                value_x=f"{LABEL_WIDTH + length + 4:.1f}",
                href=href,
                css="none" if value is None else "",
            )
        )
    chart.height = max(len(items), 1) * ROW
    return chart
