"""Domain errors of the service app: a Chinese message and a stable ``code``."""

from core.errors import DomainError


class ServiceError(DomainError):
    """A refused registration or request operation; nothing was written."""
