"""Phone masking: the one mask of a phone number, on the pages, in exports, in the audit trail
(``settings.AUDITLOG_MASK_CALLABLE``) and in the log-in lockout's records."""

from __future__ import annotations


def mask_phone(phone: object) -> str:
    """13812345678 -> 138****5678: the first three and the last four; shorter than 7, all hidden."""
    text = str(phone)
    if len(text) < 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]
