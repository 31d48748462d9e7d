"""Errors of officials, login and credential lists (subclasses of :class:`VotingError`).

Each carries a stable ``code`` (part of the JSON API) and an HTTP ``status``;
:mod:`voting.errors` renders them in one place.
"""

from voting.errors import Conflict
from voting.errors import Forbidden
from voting.errors import InvalidRequest
from voting.errors import NotFound
from voting.errors import VotingError


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
