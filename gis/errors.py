"""Domain errors shared by every layer; the web app maps each to one HTTP status."""


class DomainError(Exception):
    """Base class: ``str(err)`` is a plain-words message that says what to fix."""

    def __init__(self, message: str, *, field: str | None = None, problems: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.problems = problems or []


class InvalidInput(DomainError):
    """The request or file is wrong; nothing was changed."""


class NotFound(DomainError):
    """The named thing does not exist."""


class Conflict(DomainError):
    """The change collides with the current state (stale version, duplicate)."""


class NotAuthenticated(DomainError):
    """No valid credentials were given."""


class PermissionDenied(DomainError):
    """The user's role may not do this."""


class TooManyRequests(DomainError):
    """Too many attempts in a short time (rate limit); ``retry_after`` [s] says when to try again."""

    def __init__(self, message: str, *, retry_after: int | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class DatabaseBusy(TimeoutError):
    """The database stayed locked by other writers longer than a request may wait; nothing was changed."""


class ReadOnlyViolation(RuntimeError):
    """A read-only session was asked to write: a programming error (the route took the wrong session kind)."""


def problems_note(total: int, listed: int) -> str:
    """How a refused file's message ends (every import is all or nothing): how many problems there were in all
    and how many the answer lists, e.g. " The first 100 of 749 problems are listed; nothing was imported."."""
    if total <= 1:
        return " Nothing was imported."
    if total <= listed:
        return f" All {total:,} problems are listed; nothing was imported."
    return f" The first {listed:,} of {total:,} problems are listed; nothing was imported."
