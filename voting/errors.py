"""The domain errors: every refusal a service can give, in one module.

Services raise subclasses of :class:`VotingError`; each carries a stable
machine-readable ``code`` (part of the JSON API), an HTTP ``status`` and a
message a person can act on. :mod:`voting.app.errors` turns them into JSON
(for API requests) or an error page, in one place.

May import: nothing of Flask, SQLAlchemy or the rest of :mod:`voting`.
"""

from __future__ import annotations

from typing import Any


class VotingError(Exception):
    """Base class of domain errors."""

    code = "error"
    status = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_json(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.details}


class NotFound(VotingError):
    code = "not_found"
    status = 404


class InvalidRequest(VotingError):
    code = "invalid_request"
    status = 400


class Conflict(VotingError):
    code = "conflict"
    status = 409


class Forbidden(VotingError):
    code = "forbidden"
    status = 403


# Officials, login and credential lists.


class LoginRequired(VotingError):
    """No official is logged in (or the session ended)."""

    code = "login_required"
    status = 401


class AuthenticationFailed(VotingError):
    """Wrong user name or password. Deliberately says no more than that."""

    code = "authentication_failed"
    status = 401


class TooManyAttempts(VotingError):
    """A rate limit refused the request before any password was checked."""

    code = "too_many_attempts"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


class RoleRequired(Forbidden):
    """The official lacks the role, or holds it for another jurisdiction."""

    code = "role_required"


class OfficialNotFound(NotFound):
    code = "official_not_found"


class DuplicateOfficial(Conflict):
    code = "duplicate_official"


class DuplicateGrant(Conflict):
    code = "duplicate_grant"


class InvalidOfficial(InvalidRequest):
    """A bad user name, password, role or grant."""

    code = "invalid_official"


class InvalidCredentialList(InvalidRequest):
    """An uploaded public credential list was refused; nothing of it was stored."""

    code = "invalid_credential_list"


class CredentialsFrozen(Conflict):
    """The vote day is open (or later): its credential list can no longer change."""

    code = "credentials_frozen"


class UnknownCredential(NotFound):
    """No such public credential is registered for the vote day."""

    code = "unknown_credential"


# Jurisdictions, vote days and questions.


class ImportRejected(InvalidRequest):
    """A jurisdiction file was refused; nothing of it was imported."""

    code = "import_rejected"


class UnitNotFound(NotFound):
    code = "unit_not_found"


class VoteDayNotFound(NotFound):
    code = "vote_day_not_found"


class QuestionNotFound(NotFound):
    code = "question_not_found"


class InvalidVoteDay(InvalidRequest):
    code = "invalid_vote_day"


class InvalidQuestion(InvalidRequest):
    code = "invalid_question"


class DuplicateKey(Conflict):
    code = "duplicate_key"


class QuestionsFrozen(Conflict):
    """The vote day is open or later: its questions can no longer change."""

    code = "questions_frozen"


class VoteDayNotOpen(Conflict):
    code = "vote_day_not_open"
