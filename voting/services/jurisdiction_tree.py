"""Validation of a jurisdiction tree before import (DESIGN.md section 6).

Checks, each failure naming its record: known level and well-formed code; no
duplicate ``level:code`` in the file or already stored; a nation has no parent
and every other unit has one that exists (in the file or stored); no cycles;
a parent sits on a higher tier; leaf units, and only they, carry an
electorate; only cantons carry a cantonal vote weight, which is 1 or 1/2, and
for the Swiss cantons exactly what Federal Constitution Art. 142(4) gives them
(1/2 for OW, NW, BS, BL, AR, AI; 1 for the others).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass

from voting.errors import ImportRejected
from voting.models.jurisdictions import LEVEL_RANK
from voting.rules import HALF_CANTONS
from voting.rules import RulesError
from voting.rules import parse_weight
from voting.services.jurisdiction_formats import BFS_CANTONS
from voting.services.jurisdiction_formats import UnitRecord

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
SWISS_CANTONS = frozenset(abbreviation for abbreviation, _, _ in BFS_CANTONS.values())


@dataclass(frozen=True)
class StoredUnit:
    """What validation needs to know of a unit already in the database."""

    id: int
    level: str
    has_electorate: bool


@dataclass(frozen=True)
class ValidUnit:
    record: UnitRecord
    weight: str | None
    """The canonical cantonal vote weight ("1" or "1/2"), None for non-cantons."""


def validate_tree(
    records: Sequence[UnitRecord], stored: Mapping[str, StoredUnit]
) -> list[ValidUnit]:
    """Validate ``records`` against each other and the ``stored`` units (by ``level:code``).

    Returns the units ordered from the top tier down (parents before children).

    Raises:
        ImportRejected: the first problem found, naming its record.
    """
    if not records:
        raise ImportRejected("the file holds no units")
    by_ref: dict[str, UnitRecord] = {}
    for record in records:
        _check_record(record)
        if record.ref in by_ref:
            first = by_ref[record.ref].where
            raise ImportRejected(f"{record.where}: duplicate code {record.ref} (also {first})")
        if record.ref in stored:
            raise ImportRejected(f"{record.where}: duplicate code {record.ref} (already stored)")
        by_ref[record.ref] = record
    for record in records:
        _check_parent(record, by_ref, stored)
    _check_cycles(by_ref)
    parents = {r.parent for r in records if r.parent is not None}
    for record in records:
        _check_electorate(record, record.ref in parents, stored)
    units = [ValidUnit(r, _weight(r)) for r in records]
    return sorted(units, key=lambda u: LEVEL_RANK[u.record.level])


def _check_record(record: UnitRecord) -> None:
    if record.level not in LEVEL_RANK:
        known = ", ".join(LEVEL_RANK)
        raise ImportRejected(f"{record.where}: unknown level {record.level!r} ({known})")
    if not CODE_RE.match(record.code):
        raise ImportRejected(f"{record.where}: malformed code {record.code!r}")


def _check_parent(
    record: UnitRecord, by_ref: Mapping[str, UnitRecord], stored: Mapping[str, StoredUnit]
) -> None:
    if record.level == "nation":
        if record.parent is not None:
            raise ImportRejected(f"{record.where}: a nation has no parent, got {record.parent}")
        return
    if record.parent is None:
        raise ImportRejected(f"{record.where}: parent missing (only a nation has none)")
    if record.parent in by_ref:
        parent_level = by_ref[record.parent].level
    elif record.parent in stored:
        parent_level = stored[record.parent].level
    else:
        raise ImportRejected(f"{record.where}: unknown parent {record.parent}")
    if record.parent == record.ref:
        raise ImportRejected(f"{record.where}: cycle: {record.ref} is its own parent")
    if LEVEL_RANK[parent_level] >= LEVEL_RANK[record.level] and record.parent not in by_ref:
        raise ImportRejected(
            f"{record.where}: a {record.level} cannot sit under a {parent_level} ({record.parent})"
        )


def _check_cycles(by_ref: Mapping[str, UnitRecord]) -> None:
    done: set[str] = set()
    for start in by_ref:
        path: list[str] = []
        ref: str | None = start
        while ref is not None and ref in by_ref and ref not in done:
            if ref in path:
                cycle = " -> ".join([*path[path.index(ref) :], ref])
                raise ImportRejected(f"{by_ref[ref].where}: cycle: {cycle}")
            path.append(ref)
            ref = by_ref[ref].parent
        done.update(path)
    for record in by_ref.values():
        parent = by_ref.get(record.parent or "")
        if parent is not None and LEVEL_RANK[parent.level] >= LEVEL_RANK[record.level]:
            raise ImportRejected(
                f"{record.where}: a {record.level} cannot sit under a {parent.level} ({parent.ref})"
            )


def _check_electorate(
    record: UnitRecord, has_children: bool, stored: Mapping[str, StoredUnit]
) -> None:
    if has_children and record.electorate is not None:
        raise ImportRejected(
            f"{record.where}: only leaf units carry an electorate; {record.ref} has children"
        )
    if not has_children and record.electorate is None and record.level != "nation":
        raise ImportRejected(f"{record.where}: electorate missing for the leaf unit {record.ref}")
    parent = stored.get(record.parent or "")
    if parent is not None and parent.has_electorate:
        raise ImportRejected(
            f"{record.where}: the stored parent {record.parent} is a leaf with an electorate"
        )


def _weight(record: UnitRecord) -> str | None:
    if record.level != "canton":
        if record.weight is not None:
            raise ImportRejected(f"{record.where}: bad weight: only cantons carry a weight")
        return None
    given = None
    if record.weight is not None:
        try:
            given = parse_weight(record.weight)
        except RulesError as exc:
            raise ImportRejected(f"{record.where}: bad weight: {exc.message}") from exc
    if record.parent != "nation:CH":
        return None if given is None else str(given)
    if record.code not in SWISS_CANTONS:
        raise ImportRejected(f"{record.where}: {record.code!r} is not a Swiss canton abbreviation")
    expected = "1/2" if record.code in HALF_CANTONS else "1"
    if given is not None and str(given) != expected:
        raise ImportRejected(
            f"{record.where}: bad weight {record.weight!r} for {record.code}: "
            f"the Federal Constitution (Art. 142(4)) gives it {expected}"
        )
    return expected
