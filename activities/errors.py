"""Domain errors of activities: a Chinese message and a stable ``code``."""

from core.errors import DomainError


class ActivityError(DomainError):
    """A refused activity, attendance, leave or rule operation."""


class CheckInError(DomainError):
    """A refused check-in; nothing was written.

    Codes: ``invalid_token``, ``expired_token``, ``not_open``, ``closed``, ``not_expected``,
    ``cancelled``, ``nonce_reused``.
    """
