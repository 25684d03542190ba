"""Domain errors: a Chinese message for people and a stable ``code`` for programs and tests.

Each app raises its own subclass (``branches.errors.BranchError``, ``activities.errors.CheckInError``…);
views turn them into messages or JSON, tests assert on ``.code``.
"""


class DomainError(Exception):
    def __init__(self, message: str, *, code: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self) -> str:
        return self.message
