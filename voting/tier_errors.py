"""Errors of jurisdictions, vote days and questions (subclasses of :class:`VotingError`)."""

from voting.errors import Conflict
from voting.errors import InvalidRequest
from voting.errors import NotFound


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
