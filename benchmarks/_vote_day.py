"""The benchmark vote day: moved to :mod:`voting.load_vote_day` (shared with the tests)."""

from voting.load_vote_day import QUESTIONS
from voting.load_vote_day import UNIT
from voting.load_vote_day import VOTE_DAY
from voting.load_vote_day import PreparedVoteDay
from voting.load_vote_day import make_ballot
from voting.load_vote_day import prepare

__all__ = ["QUESTIONS", "UNIT", "VOTE_DAY", "PreparedVoteDay", "make_ballot", "prepare"]
