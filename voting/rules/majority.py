"""Majorities and quorums of yes/no questions, in exact arithmetic (no floating point).

Each rule cites its legal source:

- Swiss Federal Constitution (BV/Cst., SR 101) Art. 142: popular majority,
  double majority of people and cantons, the six half-cantons' half votes.
- Federal Act on Political Rights (BPR, SR 161.1) Art. 13: only valid yes and
  no votes count (blank and invalid ballots are disregarded); a tie in a canton
  counts as rejecting (Art. 13(2)).
- Korean Local Referendum Act (주민투표법) Art. 24(1): a local referendum is
  decided by a turnout of at least one quarter of the electorate and a
  majority of the valid votes.
- Korean Constitution Art. 130(2): a constitutional amendment needs more than
  half of the electorate voting and more than half of the votes cast in favour.

Decisions are made on :class:`fractions.Fraction` values; decimal strings are
produced only for display (:func:`decimal_string`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN
from decimal import Decimal
from decimal import localcontext
from fractions import Fraction

HALF_CANTONS = frozenset({"OW", "NW", "BS", "BL", "AR", "AI"})
"""The six cantons with half a cantonal vote (BV Art. 142(4))."""
FULL_VOTE = Fraction(1)
HALF_VOTE = Fraction(1, 2)
ALLOWED_WEIGHTS = (FULL_VOTE, HALF_VOTE)
RULES = ("popular-majority", "absolute-majority", "double-majority", "counter-proposal")

_FRACTION_RE = re.compile(r"^(>)?\s*(\d+)(?:\s*/\s*(\d+))?$")


class RulesError(ValueError):
    """Invalid input to a rule; ``field`` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def parse_weight(value: object, field: str = "weight") -> Fraction:
    """A cantonal vote weight: 1, 0.5, "1" or "1/2" (BV Art. 142(4)); nothing else."""
    if isinstance(value, bool):
        raise RulesError(field, f"must be 1 or 1/2, got {value!r}")
    try:
        weight = Fraction(str(value)) if isinstance(value, int | float | str) else None
    except (ValueError, ZeroDivisionError):
        weight = None
    if weight not in ALLOWED_WEIGHTS:
        raise RulesError(field, f"must be 1 or 1/2, got {value!r}")
    return weight


def check_count(value: object, field: str) -> int:
    """A vote count: a non-negative integer (booleans and floats refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RulesError(field, f"must be a non-negative integer, got {value!r}")
    if value < 0:
        raise RulesError(field, f"must not be negative, got {value}")
    return value


@dataclass(frozen=True)
class Threshold:
    """A share of the electorate: "at least ``fraction``", or "more than" if ``strict``."""

    fraction: Fraction
    strict: bool = False

    @classmethod
    def parse(cls, text: object, field: str = "quorum") -> Threshold:
        """Parse "1/4" (at least a quarter) or ">1/2" (more than half)."""
        match = _FRACTION_RE.match(text) if isinstance(text, str) else None
        if match is None or (match.group(3) is not None and int(match.group(3)) == 0):
            raise RulesError(field, f'must be a fraction such as "1/4" or ">1/2", got {text!r}')
        value = Fraction(int(match.group(2)), int(match.group(3) or 1))
        if not 0 < value <= 1:
            raise RulesError(field, f"must be above 0 and at most 1, got {text!r}")
        return cls(value, strict=match.group(1) is not None)

    def is_met(self, part: int, whole: int) -> bool:
        """Whether ``part / whole`` reaches the threshold (an empty electorate never does)."""
        if whole <= 0:
            return False
        share = Fraction(part, whole)
        return share > self.fraction if self.strict else share >= self.fraction

    def __str__(self) -> str:
        return (">" if self.strict else "") + str(self.fraction)


@dataclass(frozen=True)
class Quorum:
    """Turnout (ballots cast) and approval (yes votes) quorums, as shares of the electorate."""

    turnout: Threshold | None = None
    approval: Threshold | None = None


@dataclass(frozen=True)
class UnitVotes:
    """The counts of one unit (a canton for the double majority) on a yes/no question."""

    code: str
    yes: int
    no: int
    blank: int = 0
    invalid: int = 0
    electorate: int | None = None
    weight: Fraction = FULL_VOTE

    def __post_init__(self) -> None:
        for name in ("yes", "no", "blank", "invalid"):
            check_count(getattr(self, name), f"{self.code}.{name}")
        if self.electorate is not None:
            check_count(self.electorate, f"{self.code}.electorate")
        if self.weight not in ALLOWED_WEIGHTS:
            raise RulesError(f"{self.code}.weight", f"must be 1 or 1/2, got {self.weight}")

    @property
    def ballots_cast(self) -> int:
        return self.yes + self.no + self.blank + self.invalid


@dataclass(frozen=True)
class CantonalVotes:
    """Cantonal votes for and against (halves for half-cantons)."""

    yes: Fraction
    no: Fraction

    @property
    def total(self) -> Fraction:
        return self.yes + self.no


@dataclass(frozen=True)
class Outcome:
    """The decision on one yes/no question and the figures it rests on."""

    accepted: bool
    yes: int
    no: int
    blank: int
    invalid: int
    electorate: int | None
    cantons: CantonalVotes | None
    reason: str

    @property
    def ballots_cast(self) -> int:
        return self.yes + self.no + self.blank + self.invalid


def popular_majority(yes: int, no: int) -> bool:
    """More yes than no among the valid votes; a tie rejects (BV Art. 142(1), BPR Art. 13(1))."""
    return yes > no


def absolute_majority(yes: int, ballots_cast: int) -> bool:
    """More than half of all ballots cast are yes (Korean Constitution Art. 130(2))."""
    return 2 * yes > ballots_cast


def canton_accepts(yes: int, no: int) -> bool:
    """A canton's vote follows its popular vote; a tie counts as rejecting (BPR Art. 13(2))."""
    return yes > no


def cantonal_votes(units: Sequence[UnitVotes]) -> CantonalVotes:
    """Sum the cantonal votes: 1 per canton, 1/2 per half-canton (BV Art. 142(3), (4))."""
    yes = sum((u.weight for u in units if canton_accepts(u.yes, u.no)), Fraction(0))
    no = sum((u.weight for u in units if not canton_accepts(u.yes, u.no)), Fraction(0))
    return CantonalVotes(yes=yes, no=no)


def cantons_accept(votes: CantonalVotes) -> bool:
    """More than half of the cantonal votes (more than 11.5 of 23; 11.5 : 11.5 rejects)."""
    return votes.yes > votes.no


def decide(rule: str, units: Sequence[UnitVotes], quorum: Quorum | None = None) -> Outcome:
    """Decide a yes/no question under ``rule`` ("popular-majority", "absolute-majority"
    or "double-majority"), then apply the quorums, if any.

    Raises:
        RulesError: unknown rule, no units, or a quorum without every unit's electorate.
    """
    if rule not in ("popular-majority", "absolute-majority", "double-majority"):
        raise RulesError("rule", f"unknown rule {rule!r} for a yes/no question")
    if not units:
        raise RulesError("units", "at least one unit is needed")
    yes, no = sum(u.yes for u in units), sum(u.no for u in units)
    blank, invalid = sum(u.blank for u in units), sum(u.invalid for u in units)
    electorate = _total_electorate(units)
    cast = yes + no + blank + invalid
    cantons = cantonal_votes(units) if rule == "double-majority" else None
    if rule == "absolute-majority":
        accepted, reason = absolute_majority(yes, cast), _absolute_reason(yes, cast)
    else:
        accepted, reason = popular_majority(yes, no), _popular_reason(yes, no)
    if cantons is not None:
        by_cantons = cantons_accept(cantons)
        reason += f"; cantons {decimal_string(cantons.yes)} yes to {decimal_string(cantons.no)} no"
        reason += "" if by_cantons else " (no majority of the cantons)"
        accepted = accepted and by_cantons
    if quorum is not None:
        met, note = _check_quorum(quorum, electorate, cast, yes)
        accepted, reason = accepted and met, f"{reason}; {note}"
    reason = ("accepted: " if accepted else "rejected: ") + reason
    return Outcome(accepted, yes, no, blank, invalid, electorate, cantons, reason)


def _total_electorate(units: Sequence[UnitVotes]) -> int | None:
    if any(u.electorate is None for u in units):
        return None
    return sum(u.electorate or 0 for u in units)


def _popular_reason(yes: int, no: int) -> str:
    if yes == no:
        return f"people tied {yes} to {no} (a tie rejects)"
    side = "yes" if yes > no else "no"
    return f"people {yes} yes to {no} no ({side} majority of the valid votes)"


def _absolute_reason(yes: int, cast: int) -> str:
    more = "more" if absolute_majority(yes, cast) else "not more"
    return f"{yes} yes of {cast} ballots cast ({more} than half)"


def _check_quorum(quorum: Quorum, electorate: int | None, cast: int, yes: int) -> tuple[bool, str]:
    """Apply the turnout and approval quorums (Local Referendum Act Art. 24(1))."""
    if electorate is None:
        raise RulesError("units.electorate", "every unit needs an electorate when a quorum is set")
    met, notes = True, []
    for name, threshold, part in (
        ("turnout", quorum.turnout, cast),
        ("approval", quorum.approval, yes),
    ):
        if threshold is None:
            continue
        ok = threshold.is_met(part, electorate)
        met = met and ok
        share = decimal_string(Fraction(part, electorate) * 100 if electorate else Fraction(0))
        verdict = "met" if ok else "not met"
        notes.append(f"{name} quorum {threshold} {verdict} ({part} of {electorate}, {share}%)")
    return met, "; ".join(notes) if notes else "no quorum"


def decimal_string(value: Fraction, places: int = 4) -> str:
    """Show a fraction as a decimal string: exact when it terminates within ``places``
    digits (8.5, 14.5, 23), else rounded half-to-even to ``places`` digits."""
    with localcontext() as ctx:
        ctx.prec = 60
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    if rounded == exact:
        return format(exact.normalize(), "f")
    return format(rounded, "f")
