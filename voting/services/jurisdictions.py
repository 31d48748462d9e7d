"""Jurisdiction services: import a tree in one transaction, look units up, sum electorates.

A file is imported whole or not at all: it is parsed and validated completely
(:mod:`voting.services.jurisdiction_formats`, :mod:`voting.services.jurisdiction_tree`) before
anything is written, and written in a single transaction that is rolled back
on any error.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from voting.errors import UnitNotFound
from voting.models.jurisdictions import LEVELS
from voting.models.jurisdictions import Jurisdiction
from voting.models.session_types import DbSession
from voting.services.jurisdiction_formats import UnitRecord
from voting.services.jurisdiction_formats import read_file
from voting.services.jurisdiction_tree import StoredUnit
from voting.services.jurisdiction_tree import validate_tree


@dataclass(frozen=True)
class ImportSummary:
    """How many units of each level were imported."""

    by_level: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_level.values())

    def __str__(self) -> str:
        parts = [f"{self.by_level[level]} {level}" for level in LEVELS if level in self.by_level]
        return f"imported {self.total} units ({', '.join(parts)})"


def _stored_units(session: DbSession) -> dict[str, StoredUnit]:
    rows = session.execute(
        sa.select(Jurisdiction.id, Jurisdiction.level, Jurisdiction.code, Jurisdiction.electorate)
    )
    return {
        f"{level}:{code}": StoredUnit(id=id_, level=level, has_electorate=electorate is not None)
        for id_, level, code, electorate in rows
    }


def import_records(session: DbSession, records: Sequence[UnitRecord]) -> ImportSummary:
    """Validate and store ``records`` in one transaction (all or nothing).

    Raises:
        ImportRejected: the first problem found, naming its record; nothing is stored.
    """
    try:
        stored = _stored_units(session)
        units = validate_tree(records, stored)
        created: dict[str, Jurisdiction] = {}
        for unit in units:
            record = unit.record
            row = Jurisdiction(
                level=record.level,
                code=record.code,
                names=dict(record.names),
                electorate=record.electorate,
                vote_weight=unit.weight,
            )
            if record.parent in created:
                row.parent = created[record.parent]
            elif record.parent is not None:
                row.parent_id = stored[record.parent].id
            created[record.ref] = row
        session.add_all(created.values())
        session.commit()
    except Exception:
        session.rollback()
        raise
    return ImportSummary(dict(Counter(u.record.level for u in units)))


def import_file(session: DbSession, path: Path) -> ImportSummary:
    """Read ``path`` (Urna JSON, CSV or BFS sd-t-17-02 JSON) and import it whole."""
    return import_records(session, read_file(path))


def get_unit(session: DbSession, ref: str) -> Jurisdiction:
    """The unit ``level:code`` (for example ``canton:ZH``).

    Raises:
        UnitNotFound: no such unit.
    """
    level, _, code = ref.partition(":")
    unit = session.scalar(
        sa.select(Jurisdiction).where(Jurisdiction.level == level, Jurisdiction.code == code)
    )
    if unit is None:
        raise UnitNotFound(f"no jurisdiction {ref!r} (expected level:code, e.g. canton:ZH)")
    return unit


def get_unit_by_id(session: DbSession, unit_id: int) -> Jurisdiction:
    unit = session.get(Jurisdiction, unit_id)
    if unit is None:
        raise UnitNotFound(f"no jurisdiction with id {unit_id}")
    return unit


def ancestors_or_self(session: DbSession, unit: Jurisdiction) -> list[Jurisdiction]:
    """The unit and all its ancestors, from the top tier down."""
    chain = [unit]
    while chain[-1].parent_id is not None:
        chain.append(get_unit_by_id(session, chain[-1].parent_id))
        if len(chain) > len(LEVELS) + 1:
            raise UnitNotFound(f"the ancestry of {unit.ref} does not end (corrupt tree)")
    return list(reversed(chain))


def electorates(session: DbSession) -> dict[int, int]:
    """Every unit's electorate by id: its own for leaves, the sum of its leaves above."""
    rows = session.execute(
        sa.select(Jurisdiction.id, Jurisdiction.parent_id, Jurisdiction.electorate)
    ).all()
    parents = {id_: parent for id_, parent, _ in rows}
    totals = dict.fromkeys(parents, 0)
    for id_, _, electorate in rows:
        if electorate:
            node: int | None = id_
            while node is not None:
                totals[node] += electorate
                node = parents[node]
    return totals


def canton_electorates(session: DbSession, nation: str = "CH") -> dict[str, int]:
    """Each canton's electorate (sum of its leaves) by canton code."""
    nation_unit = get_unit(session, f"nation:{nation}")
    totals = electorates(session)
    cantons = session.scalars(
        sa.select(Jurisdiction).where(
            Jurisdiction.parent_id == nation_unit.id, Jurisdiction.level == "canton"
        )
    )
    return {canton.code: totals[canton.id] for canton in cantons}
