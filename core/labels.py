"""The Chinese labels of a model's choices, whatever language the reader has chosen.

Choice labels are ``gettext_lazy``; files are read and written in Chinese and history lines are
stored, so these read the labels with translation off (the msgids themselves).
"""

from __future__ import annotations

from django.db import models
from django.utils import translation


def source_choices(enum: type[models.Choices]) -> list[tuple[str, str]]:
    """``(value, label)`` of ``enum`` with the Chinese source labels."""
    with translation.override(None):
        return [(value, str(label)) for value, label in enum.choices]


def source_label(enum: type[models.Choices], value: str) -> str:
    """The Chinese source label of ``value`` (for texts that are stored, such as history lines)."""
    with translation.override(None):
        return str(enum(value).label)
