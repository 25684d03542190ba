"""The one phone mask (core/masking.py): pages, exports, the audit trail and the log-in lockout."""

from django.conf import settings
from django.utils.module_loading import import_string

from core.masking import mask_phone


def test_a_mobile_number_keeps_its_first_three_and_last_four_digits():
    assert mask_phone("13812345678") == "138****5678"


def test_a_shorter_number_never_shows_more_than_it_hides():
    assert mask_phone("12345678") == "123*5678"
    assert mask_phone("123456") == "******"
    assert mask_phone("") == ""


def test_the_audit_trail_masks_with_the_same_function():
    assert import_string(settings.AUDITLOG_MASK_CALLABLE) is mask_phone
