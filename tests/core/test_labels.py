"""Choice labels in Chinese whatever the reader's language (core/labels.py)."""

from django.utils import translation

from core.labels import source_choices, source_label
from members.models import Member


def test_source_labels_are_chinese_while_english_is_active():
    with translation.override("en"):
        assert source_label(Member.Status, Member.Status.FULL) == "正式党员"
        assert (Member.Status.FULL.value, "正式党员") in source_choices(Member.Status)
