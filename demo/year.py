"""A year of data on a fresh seed: each generator in turn, each with a random generator of its own."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from .activities import seed_activity_year
from .checks import seed_health_checks
from .dues import seed_dues_year
from .history import seed_late_death
from .lapse import seed_lapse_notes
from .reports import seed_reports
from .rules import seed_meeting_rules
from .seeding import SeedResult
from .service import seed_service_year

# In this order: the activities' year reads nothing of the dues, but a fixed order keeps a seed's data fixed;
# the death recorded late reads both (it corrects the meetings and the dues since); the art. 9 warning's
# notes read all three; the meeting rules' demo (outcomes, an extension, an exemption) reads the activities.
GENERATORS = {
    "dues": seed_dues_year,
    "activities": seed_activity_year,
    "late_death": seed_late_death,
    "lapse": seed_lapse_notes,
    "meetings": seed_meeting_rules,
    # 报到 and a year of residents' requests (issue 16): before the health checks, which count their hours.
    "service": seed_service_year,
    # Then what the beat would have computed from all of it: the health checks, then the reports (which count them).
    "health_checks": seed_health_checks,
    "reports": seed_reports,
}


def seed_year(*, result: SeedResult, seed: int = 1, now: datetime.datetime | None = None) -> list[str]:
    """Add a year of dues, then of activities, attendance and leave, to ``result``; returns their summaries."""
    now = now or timezone.now()
    return [
        generate(result=result, rng=random.Random(f"{seed}:{name}"), now=now) for name, generate in GENERATORS.items()
    ]
