"""Counts summed up the jurisdiction tree, per channel and in total (DESIGN.md section 6).

Counts are entered per unit and channel (electronic, postal, polling station);
a unit's figures are its own counts plus the sums of its children. The
electorate is given for leaf units and summed upwards. Turnout is ballots cast
over electorate, kept as an exact fraction. Pure: no database, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from fractions import Fraction

from voting.rules.majority import RulesError
from voting.rules.majority import check_count

CHANNELS = ("electronic", "postal", "polling-station")


@dataclass(frozen=True)
class Counts:
    """Yes, no, blank and invalid ballots on one yes/no question."""

    yes: int = 0
    no: int = 0
    blank: int = 0
    invalid: int = 0

    def __post_init__(self) -> None:
        for name in ("yes", "no", "blank", "invalid"):
            check_count(getattr(self, name), name)

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.yes + other.yes,
            self.no + other.no,
            self.blank + other.blank,
            self.invalid + other.invalid,
        )

    @property
    def valid(self) -> int:
        return self.yes + self.no

    @property
    def ballots_cast(self) -> int:
        return self.yes + self.no + self.blank + self.invalid


@dataclass(frozen=True)
class UnitTotals:
    """A unit's aggregated figures: per channel, in total, electorate and turnout."""

    code: str
    electorate: int
    channels: Mapping[str, Counts] = field(default_factory=dict)

    @property
    def total(self) -> Counts:
        return sum(self.channels.values(), Counts())

    @property
    def turnout(self) -> Fraction | None:
        """Ballots cast over electorate (None for an empty electorate)."""
        if self.electorate == 0:
            return None
        return Fraction(self.total.ballots_cast, self.electorate)


def _depths(parents: Mapping[str, str | None]) -> dict[str, int]:
    """Depth of every unit; raises on an unknown parent or a cycle."""
    depths: dict[str, int] = {}
    for start in parents:
        path: list[str] = []
        code: str | None = start
        while code is not None and code not in depths:
            if code in path:
                cycle = " -> ".join([*path[path.index(code) :], code])
                raise RulesError("parents", f"cycle: {cycle}")
            if code not in parents:
                raise RulesError("parents", f"{path[-1]} has unknown parent {code!r}")
            path.append(code)
            code = parents[code]
        base = -1 if code is None else depths[code]
        for offset, unit in enumerate(reversed(path), start=1):
            depths[unit] = base + offset
    return depths


def _own_counts(
    parents: Mapping[str, str | None], counts: Mapping[str, Mapping[str, Counts]]
) -> dict[str, dict[str, Counts]]:
    own: dict[str, dict[str, Counts]] = {code: {} for code in parents}
    for code, by_channel in counts.items():
        if code not in parents:
            raise RulesError(f"counts.{code}", "unknown unit")
        for channel, tally in by_channel.items():
            if channel not in CHANNELS:
                raise RulesError(f"counts.{code}.{channel}", f"channel must be one of {CHANNELS}")
            if not isinstance(tally, Counts):
                raise RulesError(f"counts.{code}.{channel}", "must be a Counts value")
            own[code][channel] = tally
    return own


def aggregate(
    parents: Mapping[str, str | None],
    electorate: Mapping[str, int],
    counts: Mapping[str, Mapping[str, Counts]],
) -> dict[str, UnitTotals]:
    """Sum counts and electorates up the tree.

    Args:
        parents: every unit's code mapped to its parent's code (None for the root).
        electorate: the electorate of each leaf unit (inner units are sums).
        counts: per unit, per channel (one of :data:`CHANNELS`), that unit's own counts.

    Raises:
        RulesError: unknown units or channels, cycles, an electorate on an inner
            unit, a missing leaf electorate, or more ballots than electors.
    """
    depths = _depths(parents)
    inner = {p for p in parents.values() if p is not None}
    for code, size in electorate.items():
        if code not in parents:
            raise RulesError(f"electorate.{code}", "unknown unit")
        if code in inner:
            raise RulesError(f"electorate.{code}", "only leaf units carry an electorate")
        check_count(size, f"electorate.{code}")
    own = _own_counts(parents, counts)
    sums_e = {code: 0 for code in parents}
    sums_c: dict[str, dict[str, Counts]] = {code: dict(own[code]) for code in parents}
    for code in sorted(parents, key=lambda c: depths[c], reverse=True):
        if code not in inner:
            if code not in electorate:
                raise RulesError(f"electorate.{code}", "missing for a leaf unit")
            sums_e[code] = electorate[code]
        parent = parents[code]
        if parent is not None:
            sums_e[parent] += sums_e[code]
            for channel, tally in sums_c[code].items():
                sums_c[parent][channel] = sums_c[parent].get(channel, Counts()) + tally
    result = {code: UnitTotals(code, sums_e[code], sums_c[code]) for code in parents}
    for code, totals in result.items():
        cast = totals.total.ballots_cast
        if cast > totals.electorate:
            message = f"{cast} ballots cast exceed the electorate {totals.electorate}"
            raise RulesError(f"counts.{code}", message)
    return result
