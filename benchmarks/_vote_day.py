"""The benchmark vote day: it lives in :mod:`voting.rehearsal.load_vote_day` (shared with tests)."""

from voting.rehearsal.load_vote_day import QUESTIONS
from voting.rehearsal.load_vote_day import UNIT
from voting.rehearsal.load_vote_day import VOTE_DAY
from voting.rehearsal.load_vote_day import PreparedVoteDay
from voting.rehearsal.load_vote_day import make_ballot
from voting.rehearsal.load_vote_day import prepare

__all__ = ["QUESTIONS", "UNIT", "VOTE_DAY", "PreparedVoteDay", "make_ballot", "prepare"]
