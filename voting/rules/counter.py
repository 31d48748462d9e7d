"""A popular initiative with a direct counter-proposal: Federal Constitution Art. 139b.

(1) The initiative and the counter-proposal are put to the vote together, and a
    voter may accept both (Art. 139b(1)).
(2) Each is decided on its own by the double majority of people and cantons
    (Art. 139b(2) with Art. 142(2)).
(3) If both are accepted, the tie-break question decides: the text that wins
    more popular votes *and* more cantonal votes there enters into force
    (Art. 139b(2)).
(4) If the people prefer one text and the cantons the other, the text whose
    percentage of popular votes plus percentage of cantonal votes in the
    tie-break is higher enters into force (Art. 139b(3)).

Choices where the law is silent (documented in docs/rules.md): a canton tied
on the tie-break gives its vote to neither text; when the people or the
cantons are exactly tied, step (4)'s sum decides; if the two sums are equal
too, no text is chosen and the reason says so (an official decision is needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from voting.rules.majority import Outcome
from voting.rules.majority import RulesError
from voting.rules.majority import UnitVotes
from voting.rules.majority import check_count
from voting.rules.majority import decide
from voting.rules.majority import decimal_string

INITIATIVE = "initiative"
COUNTER = "counter"
NONE = "none"


@dataclass(frozen=True)
class CounterProposalUnit:
    """One canton's counts on the three linked questions."""

    initiative: UnitVotes
    counter: UnitVotes
    tiebreak_initiative: int
    tiebreak_counter: int

    def __post_init__(self) -> None:
        code = self.initiative.code
        if self.counter.code != code or self.counter.weight != self.initiative.weight:
            raise RulesError(f"{code}.counter", "must be the same unit as the initiative")
        check_count(self.tiebreak_initiative, f"{code}.tiebreak.initiative")
        check_count(self.tiebreak_counter, f"{code}.tiebreak.counter")

    @property
    def code(self) -> str:
        return self.initiative.code

    @property
    def weight(self) -> Fraction:
        return self.initiative.weight


@dataclass(frozen=True)
class TieBreak:
    """The tie-break question's figures and which text it prefers."""

    initiative: int
    counter: int
    cantons_initiative: Fraction
    cantons_counter: Fraction
    cantons_total: Fraction
    initiative_score: Fraction
    """Percentage of popular votes plus percentage of cantonal votes for the initiative."""
    counter_score: Fraction
    preferred: str
    reason: str


@dataclass(frozen=True)
class CounterProposalOutcome:
    """Which text enters into force: "initiative", "counter" or "none"."""

    winner: str
    initiative: Outcome
    counter: Outcome
    tiebreak: TieBreak
    reason: str


def _side(initiative: int | Fraction, counter: int | Fraction) -> str | None:
    if initiative > counter:
        return INITIATIVE
    if counter > initiative:
        return COUNTER
    return None


def decide_tiebreak(
    *,
    initiative: int,
    counter: int,
    cantons_initiative: Fraction,
    cantons_counter: Fraction,
    cantons_total: Fraction,
) -> TieBreak:
    """Decide the tie-break question (Art. 139b(2), (3)) from its popular votes and
    the cantonal votes given to each text out of ``cantons_total`` (23)."""
    if cantons_total <= 0 or cantons_initiative + cantons_counter > cantons_total:
        raise RulesError("tiebreak", "cantonal votes must fit within a positive total")
    valid = initiative + counter
    shares = [Fraction(v * 100, valid) if valid else Fraction(0) for v in (initiative, counter)]
    cantonal = [c * 100 / cantons_total for c in (cantons_initiative, cantons_counter)]
    scores = (shares[0] + cantonal[0], shares[1] + cantonal[1])
    people, cantons = _side(initiative, counter), _side(cantons_initiative, cantons_counter)
    figures = (
        f"people {initiative} for the initiative to {counter} for the counter-proposal, "
        f"cantons {decimal_string(cantons_initiative)} to {decimal_string(cantons_counter)}"
    )
    if people is not None and people == cantons:
        preferred, why = people, f"people and cantons both prefer the {people} ({figures})"
    else:
        preferred = _side(scores[0], scores[1]) or NONE
        why = (
            f"people and cantons disagree ({figures}); sums of percentages "
            f"{decimal_string(scores[0])} for the initiative and "
            f"{decimal_string(scores[1])} for the counter-proposal (Art. 139b(3))"
        )
        if preferred == NONE:
            why += ": equal sums, the law names no winner"
    return TieBreak(
        initiative=initiative,
        counter=counter,
        cantons_initiative=cantons_initiative,
        cantons_counter=cantons_counter,
        cantons_total=cantons_total,
        initiative_score=scores[0],
        counter_score=scores[1],
        preferred=preferred,
        reason=why,
    )


def tiebreak_cantonal_votes(units: Sequence[CounterProposalUnit]) -> tuple[Fraction, Fraction]:
    """Each canton's (half) vote goes to the text more of its voters prefer; a tie to neither."""
    votes = {INITIATIVE: Fraction(0), COUNTER: Fraction(0)}
    for unit in units:
        side = _side(unit.tiebreak_initiative, unit.tiebreak_counter)
        if side is not None:
            votes[side] += unit.weight
    return votes[INITIATIVE], votes[COUNTER]


def resolve_counter_proposal(
    initiative: Outcome, counter: Outcome, tiebreak: TieBreak
) -> CounterProposalOutcome:
    """Combine the three decisions (steps 2 to 4 of the module docstring)."""
    if initiative.accepted and counter.accepted:
        winner = tiebreak.preferred
        reason = f"both accepted; tie-break: {tiebreak.reason}"
    elif initiative.accepted or counter.accepted:
        winner = INITIATIVE if initiative.accepted else COUNTER
        loser = COUNTER if initiative.accepted else INITIATIVE
        reason = f"only the {winner} is accepted, the {loser} is rejected; the tie-break is moot"
    else:
        winner, reason = NONE, "both rejected; the tie-break is moot"
    return CounterProposalOutcome(winner, initiative, counter, tiebreak, reason)


def decide_counter_proposal(units: Sequence[CounterProposalUnit]) -> CounterProposalOutcome:
    """Decide an initiative with a direct counter-proposal from per-canton counts."""
    if not units:
        raise RulesError("units", "at least one unit is needed")
    initiative = decide("double-majority", [u.initiative for u in units])
    counter = decide("double-majority", [u.counter for u in units])
    cantons_initiative, cantons_counter = tiebreak_cantonal_votes(units)
    tiebreak = decide_tiebreak(
        initiative=sum(u.tiebreak_initiative for u in units),
        counter=sum(u.tiebreak_counter for u in units),
        cantons_initiative=cantons_initiative,
        cantons_counter=cantons_counter,
        cantons_total=sum((u.weight for u in units), Fraction(0)),
    )
    return resolve_counter_proposal(initiative, counter, tiebreak)
