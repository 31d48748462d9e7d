"""Outcome rules of popular votes, in exact arithmetic (no floating point).

Legal sources, cited again on each rule:

- Swiss Federal Constitution (BV/Cst., SR 101) Art. 142: popular majority,
  double majority of people and cantons, the half-cantons' half votes;
  Art. 139b: initiative with a direct counter-proposal and the tie-break.
- Federal Act on Political Rights (BPR, SR 161.1) Art. 13: blank and invalid
  ballots do not count; a tie in a canton counts as rejecting (Art. 13(2)).
- Korean Local Referendum Act (주민투표법) Art. 24(1): turnout of at least one
  quarter of the electorate and a majority of the valid votes.
- Korean Constitution Art. 130(2): more than half of the electorate votes and
  more than half of the votes cast are in favour.

Modules: :mod:`~voting.rules.majority` (yes/no questions and quorums),
:mod:`~voting.rules.counter` (Art. 139b), :mod:`~voting.rules.aggregate`
(counts summed up the jurisdiction tree per channel), and the calculator
``python -m voting.rules COUNTS.json`` (:mod:`~voting.rules.calculator`,
documented in docs/rules.md).

May import: the standard library only. No :mod:`crypto`, no other room of
:mod:`voting`: anyone can check the rules without the rest of Urna.
"""

from voting.rules.aggregate import CHANNELS
from voting.rules.aggregate import Counts
from voting.rules.aggregate import UnitTotals
from voting.rules.aggregate import aggregate
from voting.rules.counter import CounterProposalOutcome
from voting.rules.counter import CounterProposalUnit
from voting.rules.counter import TieBreak
from voting.rules.counter import decide_counter_proposal
from voting.rules.counter import decide_tiebreak
from voting.rules.counter import resolve_counter_proposal
from voting.rules.counter import tiebreak_cantonal_votes
from voting.rules.majority import ALLOWED_WEIGHTS
from voting.rules.majority import HALF_CANTONS
from voting.rules.majority import RULES
from voting.rules.majority import CantonalVotes
from voting.rules.majority import Outcome
from voting.rules.majority import Quorum
from voting.rules.majority import RulesError
from voting.rules.majority import Threshold
from voting.rules.majority import UnitVotes
from voting.rules.majority import absolute_majority
from voting.rules.majority import canton_accepts
from voting.rules.majority import cantonal_votes
from voting.rules.majority import cantons_accept
from voting.rules.majority import decide
from voting.rules.majority import decimal_string
from voting.rules.majority import parse_weight
from voting.rules.majority import popular_majority

__all__ = [
    "ALLOWED_WEIGHTS",
    "CHANNELS",
    "HALF_CANTONS",
    "RULES",
    "CantonalVotes",
    "CounterProposalOutcome",
    "CounterProposalUnit",
    "Counts",
    "Outcome",
    "Quorum",
    "RulesError",
    "Threshold",
    "TieBreak",
    "UnitTotals",
    "UnitVotes",
    "absolute_majority",
    "aggregate",
    "canton_accepts",
    "cantonal_votes",
    "cantons_accept",
    "decide",
    "decide_counter_proposal",
    "decide_tiebreak",
    "decimal_string",
    "parse_weight",
    "popular_majority",
    "resolve_counter_proposal",
    "tiebreak_cantonal_votes",
]
