"""How the health pages name what a check stores in Chinese, in the reader's language.

A check keeps its breakdown as computed (``HealthCheck.items``: each item's ``label`` from the rubric
and the ``found`` text of ``health.rubric``), so that a result reads the same years later. The
default rubric's labels and the ``found`` phrases of ``health/rubric.py`` are translated here at
display time; a label an organization typed into its own rubric is shown as typed. The phrases
below must change with ``health.rubric``'s ``_attendance_item``, ``_dues_item`` and ``_volunteer_item``
and with the details ``health.services`` writes.
"""

from __future__ import annotations

import re

from django import template
from django.utils.translation import gettext, gettext_noop

from core.periods import Period

register = template.Library()

# The default rubric's name, item and grade labels (health.rubric.DEFAULT_RUBRIC), for makemessages
# to collect; a rubric copied from the default keeps them, so its labels are translated too.
DEFAULT_LABELS = frozenset(
    (
        gettext_noop("默认评分细则"),
        gettext_noop("三会一课"),
        gettext_noop("主题党日"),
        gettext_noop("党费"),
        gettext_noop("志愿服务"),
        gettext_noop("优秀"),
        gettext_noop("合格"),
        gettext_noop("基本合格"),
        gettext_noop("不合格"),
    )
)

# ``found`` as health.rubric writes it -> the catalog's phrase with named numbers.
_FOUND = (
    (re.compile(r"按月足额缴纳 (?P<paid>\d+)/(?P<due>\d+) 个月"), gettext_noop("按月足额缴纳 %(paid)s/%(due)s 个月")),
    (re.compile(r"(?P<hours>[\d.]+)/(?P<target>[\d.]+) 小时"), gettext_noop("%(hours)s/%(target)s 小时")),
)
_FIXED = (gettext_noop("无应参加活动"), gettext_noop("无应缴月份"), gettext_noop("无应服务时长"))
# ``HealthCheckEvent.detail`` as health.services writes it (``health_checks_compute``, ``health_check_adjust``).
_DETAILS = (
    (re.compile(r"总分 (?P<total>[\d.]+)"), gettext_noop("总分 %(total)s")),
    (re.compile(r"总分 (?P<old>[\d.]+) → (?P<new>[\d.]+)"), gettext_noop("总分 %(old)s → %(new)s")),
    (
        re.compile(r"调整 (?P<by>[+-][\d.]+) 分，总分 (?P<old>[\d.]+) → (?P<new>[\d.]+)"),
        gettext_noop("调整 %(by)s 分，总分 %(old)s → %(new)s"),
    ),
)


@register.filter
def item_label(label: str) -> str:
    """A rubric's name, item or grade label: the default rubric's in the reader's language, another as typed."""
    return gettext(label) if label in DEFAULT_LABELS else label


@register.filter
def item_found(found: str) -> str:
    """What an item was scored on (3/4, 按月足额缴纳 11/12 个月, 6/24 小时), in the reader's language."""
    if found in _FIXED:
        return gettext(found)
    return _translated(found, _FOUND)


def _translated(text: str, phrases) -> str:
    for pattern, phrase in phrases:
        match = pattern.fullmatch(text or "")
        if match:
            return gettext(phrase) % match.groupdict()
    return text


@register.filter
def event_detail(detail: str) -> str:
    """What a step changed (总分 80.00 → 83.00), in the reader's language; other text as stored."""
    return _translated(detail, _DETAILS)


@register.filter
def period_display(label: str) -> str:
    """A stored period label ("2026", "2026Q3") as pages name it (2026年度, 2026年第3季度)."""
    try:
        return Period.parse(label).display
    except ValueError:
        return label
