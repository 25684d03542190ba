"""Phone masking: the one mask of a phone number, on the pages, in exports, in the audit trail
(``settings.AUDITLOG_MASK_CALLABLE``) and in the log-in lockout's records; and the mask of a client's
address in a user's list of their devices (core/devices.py)."""

from __future__ import annotations

import ipaddress


def mask_phone(phone: object) -> str:
    """13812345678 -> 138****5678: the first three and the last four; shorter than 7, all hidden."""
    text = str(phone)
    if len(text) < 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def mask_ip(address: object) -> str:
    """203.0.113.45 -> 203.0.*.*; 2001:db8:85a3::1 -> 2001:db8:85a3:*: the network, not the host
    (a member's list of their devices); anything else, or nothing, gives ""."""
    try:
        ip = ipaddress.ip_address(str(address))
    except ValueError:
        return ""
    if ip.version == 4:
        return ".".join(str(ip).split(".")[:2] + ["*", "*"])
    return ":".join(format(int(group, 16), "x") for group in ip.exploded.split(":")[:3]) + ":*"
