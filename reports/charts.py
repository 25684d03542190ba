"""Server-side SVG charts: geometry computed here, drawn by ``templates/reports/_bars.svg.html``.

Horizontal bars only: one row per item, its label on the left, the bar, the value's text.
No JavaScript and no external library; the page's CSS colours the bars.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

ROW = 24
LABEL_WIDTH = 150
BAR_WIDTH = 300
TEXT_WIDTH = 90


@dataclass
class Bar:
    label: str
    text: str
    y: str
    width: str
    value_x: str
    href: str = ""
    css: str = ""


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
