"""Sections that later apps add to the branch page.

``branches`` may import no app to its right, yet the branch page shows positions and
members. Each app registers a provider: a function of ``(request, branch)`` that returns a
``Panel`` (a template and its context) or None to show nothing. The page includes every
panel in ``order``. A provider runs a constant number of queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest

from .models import Branch


@dataclass
class Panel:
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100


PanelProvider = Callable[[HttpRequest, Branch], Panel | None]

PANEL_PROVIDERS: list[PanelProvider] = []


def register(provider: PanelProvider) -> PanelProvider:
    """Add ``provider`` once; usable as a decorator."""
    if provider not in PANEL_PROVIDERS:
        PANEL_PROVIDERS.append(provider)
    return provider


def panels_for(request: HttpRequest, branch: Branch) -> list[Panel]:
    found = (provider(request, branch) for provider in PANEL_PROVIDERS)
    return sorted((panel for panel in found if panel is not None), key=lambda panel: panel.order)
