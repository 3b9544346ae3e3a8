"""The domain's errors. Each ``code`` is one of API.md's; each is defined once.

No Flask here: services raise these, and the API and web layers render them.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str | None = None, *, errors: dict[str, Any] | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors


class InvalidInput(DomainError):
    status, code, title = 422, "invalid_input", "Invalid input"


class MalformedCode(InvalidInput):
    code, title = "malformed_code", "Not a code of this system"


class BadCheckCharacter(InvalidInput):
    code, title = "bad_check_character", "Check character does not match (mistyped code?)"


class NotFound(DomainError):
    status, code, title = 404, "not_found", "Not found"


class UnknownCode(NotFound):
    code, title = "unknown_code", "Unknown code"


class Unauthorized(DomainError):
    status, code, title = 401, "unauthorized", "Authentication required"


class Forbidden(DomainError):
    status, code, title = 403, "forbidden", "Not allowed"


class WrongAgency(Forbidden):
    code, title = "wrong_agency", "Your agency may not do this"


class PasswordChangeRequired(Forbidden):
    code, title = "password_change_required", "Choose a new password first"


class TooManyAttempts(DomainError):
    """Sign-in refused without checking the password, until ``retry_after`` seconds have passed."""

    status, code, title = 429, "too_many_attempts", "Too many failed sign-ins"

    def __init__(self, detail: str | None = None, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Conflict(DomainError):
    status, code, title = 409, "conflict", "Conflict"


class CaseExists(Conflict):
    code, title = "case_exists", "A case with this number exists"


class InvalidState(Conflict):
    code, title = "invalid_state", "Not allowed in the current state"


class ItemsUnavailable(Conflict):
    code, title = "items_unavailable", "Some items are unavailable"


class HandoverOpen(Conflict):
    code, title = "handover_open", "The case already has an open handover"


class Duplicate(Conflict):
    """A unique value (username, agency code, location code) already taken."""

    code, title = "duplicate", "Already exists"
