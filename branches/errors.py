"""The tree's refusals (create, rename, move, dissolve a branch)."""

from core.errors import DomainError


class BranchError(DomainError):
    pass
