"""How the health pages name what a check stores in Chinese, in the reader's language.

A check keeps its breakdown as computed (``HealthCheck.items``: each item's ``label`` from the rubric
and the ``found`` text of ``health.rubric``), so that a result reads the same years later. The
default rubric's labels and the ``found`` phrases of ``health/rubric.py`` are translated here at
display time; a label an organization typed into its own rubric is shown as typed. The phrases
below must change with ``health.rubric``'s ``_attendance_item``, ``_dues_item`` and ``_volunteer_item``.
"""

from __future__ import annotations

import re

from django import template
from django.utils.translation import gettext, gettext_noop

from core.periods import Period

register = template.Library()

# The default rubric's item labels (health.rubric.DEFAULT_RUBRIC), for makemessages to collect.
DEFAULT_LABELS = (gettext_noop("三会一课"), gettext_noop("主题党日"), gettext_noop("党费"), gettext_noop("志愿服务"))

# ``found`` as health.rubric writes it -> the catalog's phrase with named numbers.
_FOUND = (
    (re.compile(r"按月足额缴纳 (?P<paid>\d+)/(?P<due>\d+) 个月"), gettext_noop("按月足额缴纳 %(paid)s/%(due)s 个月")),
    (re.compile(r"(?P<hours>[\d.]+)/(?P<target>[\d.]+) 小时"), gettext_noop("%(hours)s/%(target)s 小时")),
)
_FIXED = (gettext_noop("无应参加活动"), gettext_noop("无应缴月份"), gettext_noop("无应服务时长"))


@register.filter
def item_label(label: str) -> str:
    """A rubric item's label: the default rubric's in the reader's language, another as typed."""
    return gettext(label) if label in DEFAULT_LABELS else label


@register.filter
def item_found(found: str) -> str:
    """What an item was scored on (3/4, 按月足额缴纳 11/12 个月, 6/24 小时), in the reader's language."""
    if found in _FIXED:
        return gettext(found)
    for pattern, phrase in _FOUND:
        match = pattern.fullmatch(found or "")
        if match:
            return gettext(phrase) % match.groupdict()
    return found


@register.filter
def period_display(label: str) -> str:
    """A stored period label ("2026", "2026Q3") as pages name it (2026年度, 2026年第3季度)."""
    try:
        return Period.parse(label).display
    except ValueError:
        return label
