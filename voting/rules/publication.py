"""Minimum publication size of electronic counts: which units are counted together.

A unit's ``electronic-counts`` are published only if they cover at least
``minimum`` electronic ballots (set per vote day, in the manifest as
``min_electronic_ballots``, docs/record.md; 0 publishes every unit, even one
without ballots, as rehearsals and tests of the arithmetic want). A smaller unit's ballots are
merged, before decryption, into the nearest ancestor where the pooled
ballots reach the minimum. Merging never goes above a unit's *floor*: the
deepest unit whose figures the results need — the jurisdiction of every
question on the unit's ballot, and, for questions decided by the cantons
(``double-majority``, ``counter-proposal``), the canton (the unit directly
under the question's jurisdiction, DESIGN.md section 6). At a floor, a pool
still below the minimum takes in every other group of the floor's subtree
that may go that high, so that no published figure differs from another by
the small pool alone; the minimum yields only where the figures the law
requires (a question's own jurisdiction, a canton) are that small.

The tally (:mod:`voting.services.tally`) and the verifier
(:mod:`voting.tools.verify.tally_checks`) both call :func:`publication_groups`,
so a record that publishes a small unit's own counts fails verification.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

__all__ = ["CANTON_RULES", "DEFAULT_MINIMUM", "floor_of", "minimum_of", "publication_groups"]

DEFAULT_MINIMUM = 10
CANTON_RULES = frozenset({"double-majority", "counter-proposal"})


def minimum_of(manifest: Mapping[str, Any]) -> int:
    """The manifest's ``min_electronic_ballots``; the default if absent or malformed.

    A manifest that leaves it out is held to the default, never to "no minimum".
    """
    value = manifest.get("min_electronic_ballots", DEFAULT_MINIMUM)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return DEFAULT_MINIMUM
    return value


def _chain(parents: Mapping[str, str | None], unit: str) -> list[str]:
    """``unit`` and its ancestors, from the unit up."""
    out = [unit]
    while (parent := parents.get(out[-1])) is not None and len(out) <= len(parents):
        out.append(parent)
    return out


def floor_of(
    parents: Mapping[str, str | None], questions: Iterable[Mapping[str, Any]], unit: str
) -> str:
    """The deepest unit at or above ``unit`` whose figures the results of its ballot need."""
    chain = _chain(parents, unit)
    depth = {u: len(chain) - i for i, u in enumerate(chain)}  # the top has depth 1
    floor = chain[-1]
    for q in questions:
        where = q["jurisdiction"]
        if where not in depth:
            continue  # not on this unit's ballot
        needed = where
        if q.get("rule") in CANTON_RULES and where != unit:
            needed = chain[chain.index(where) - 1]  # the canton: the next unit down
        if depth[needed] > depth[floor]:
            floor = needed
    return floor


def publication_groups(
    parents: Mapping[str, str | None],
    questions: Iterable[Mapping[str, Any]],
    ballots: Mapping[str, int],
    minimum: int,
) -> dict[str, list[str]]:
    """Group the units with credentials (``ballots``: unit → electronic ballots counted).

    Returns:
        label unit → the units whose ballots it sums (sorted); the label is
        the unit the ``encrypted-totals`` and ``electronic-counts`` name.
    """
    listed = list(questions)
    floors = {u: floor_of(parents, listed, u) for u in ballots}
    chains = {u: _chain(parents, u) for u in ballots}
    units = {a for chain in chains.values() for a in chain}
    depth = {u: len(_chain(parents, u)) for u in units}
    pending: dict[str, list[str]] = {}
    groups: dict[str, list[str]] = {}
    for unit in sorted(units, key=lambda u: (-depth[u], u)):  # (1) children before parents
        pool = pending.pop(unit, []) + ([unit] if unit in ballots else [])
        if not pool:
            continue
        parent = parents.get(unit)
        if sum(ballots[m] for m in pool) >= minimum:  # (2) big enough: published here
            groups[unit] = sorted(pool)
        elif parent is None or any(floors[m] == unit for m in pool):  # (3) may go no higher
            for label in [g for g in groups if g != unit and unit in chains[groups[g][0]]]:
                if all(unit in _chain(parents, floors[m]) for m in groups[label]):
                    pool += groups.pop(label)  # ... so take in what may come this high
            groups[unit] = sorted(pool)
        else:  # (4) too small: on to the parent
            pending.setdefault(parent, []).extend(pool)
    return groups
