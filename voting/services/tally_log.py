"""Reading what the tally needs from the log: entries by index, the manifest, the key.

Everything here is derived from log entries (docs/record.md), never from a
table of parameters, so the tally computes from the same facts a verifier
reads: the manifest gives the questions (in order) and the jurisdiction tree;
the ``key-ceremony`` and ``election-key`` records give the threshold key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import sqlalchemy as sa

from crypto.elgamal import Ciphertext
from crypto.group import Point
from crypto.trustees import ThresholdKey
from voting.errors import Conflict
from voting.log import bulletin
from voting.models.elections import Election
from voting.models.log import Log
from voting.models.log import LogLeaf
from voting.models.session_types import DbSession

PAGE = 500
"""Leaves read per query (well below SQLite's and PostgreSQL's parameter limits)."""
IDENTITY_HEX = Point.identity().hex()


class TallyRefused(Conflict):
    """A tally step that does not apply now (wrong status, done already, incomplete)."""

    code = "tally_refused"


@dataclass(frozen=True)
class Manifest:
    """The logged manifest, with the lookups the tally needs."""

    record: dict[str, Any]
    digest: bytes
    """SHA-256 of the manifest's canonical JSON (its leaf data)."""
    parents: dict[str, str | None] = field(default_factory=dict)

    @property
    def questions(self) -> list[dict[str, Any]]:
        """The questions in manifest order (the canonical order of the tally)."""
        return list(self.record["questions"])

    def question(self, key: str) -> dict[str, Any]:
        for q in self.record["questions"]:
            if q["id"] == key:
                return dict(q)
        raise KeyError(key)

    def units(self) -> dict[str, dict[str, Any]]:
        return {u["ref"]: u for u in self.record["jurisdictions"]}

    def ancestors_or_self(self, unit: str) -> list[str]:
        chain: list[str] = []
        node: str | None = unit
        while node is not None and node not in chain:
            chain.append(node)
            node = self.parents.get(node)
        return chain

    def electorate_of(self, unit: str) -> int:
        """The electorate of ``unit``: its own, or the sum of its subtree's leaves."""
        total = 0
        for entry in self.record["jurisdictions"]:
            if entry["electorate"] is not None and unit in self.ancestors_or_self(entry["ref"]):
                total += entry["electorate"]
        return total

    def questions_for(self, unit: str) -> list[dict[str, Any]]:
        """The questions on a ballot of ``unit``, in manifest order."""
        chain = set(self.ancestors_or_self(unit))
        return [q for q in self.record["questions"] if q["jurisdiction"] in chain]


def log_id(session: DbSession, vote_day_id: str) -> int:
    found = session.scalar(sa.select(Log.id).where(Log.name == vote_day_id))
    if found is None:
        raise bulletin.LogNotFound(f"vote day {vote_day_id!r} has no log")
    return int(found)


def leaves_at(
    session: DbSession, vote_day_id: str, indexes: Iterable[int]
) -> Iterator[tuple[int, bytes, bytes]]:
    """``(index, leaf hash, data)`` of the given leaves, in the order asked, page by page.

    Raises:
        LogCorrupted: an index is missing from the log.
    """
    ident = log_id(session, vote_day_id)
    wanted = list(indexes)
    for start in range(0, len(wanted), PAGE):
        chunk = wanted[start : start + PAGE]
        rows = session.execute(
            sa.select(LogLeaf.idx, LogLeaf.leaf_hash, LogLeaf.data).where(
                LogLeaf.log_id == ident, LogLeaf.idx.in_(chunk)
            )
        ).all()
        found = {int(row.idx): (row.leaf_hash, row.data) for row in rows}
        for index in chunk:
            if index not in found:
                raise bulletin.LogCorrupted(f"log {vote_day_id!r} has no entry {index}")
            yield index, *found[index]


def records_at(
    session: DbSession, vote_day_id: str, indexes: Iterable[int]
) -> Iterator[tuple[int, dict[str, Any]]]:
    for index, _, data in leaves_at(session, vote_day_id, indexes):
        yield index, json.loads(data)


def read_manifest(session: DbSession, vote_day_id: str) -> Manifest:
    """The manifest logged at opening.

    Raises:
        TallyRefused: the vote day never opened.
    """
    election = session.get(Election, vote_day_id)
    if election is None or election.manifest_index is None:
        raise TallyRefused(f"vote day {vote_day_id!r} has not opened: it has no manifest")
    entry = bulletin.get_entry(session, vote_day_id, election.manifest_index)
    record = json.loads(entry.data)
    parents = {u["ref"]: u["parent"] for u in record["jurisdictions"]}
    return Manifest(record, hashlib.sha256(entry.data).digest(), parents)


def read_threshold_key(session: DbSession, vote_day_id: str) -> ThresholdKey:
    """The threshold key from the ``key-ceremony`` and ``election-key`` records.

    Raises:
        TallyRefused: the log has no election key.
    """
    ceremony: dict[str, Any] | None = None
    size = bulletin.log_size(session, vote_day_id)
    for start in range(0, size, bulletin.MAX_PAGE):
        end = min(size, start + bulletin.MAX_PAGE)
        for entry in bulletin.get_entries(session, vote_day_id, start, end):
            record = entry.record
            if record.get("type") == "key-ceremony":
                ceremony = record
            elif record.get("type") == "election-key" and ceremony is not None:
                names = tuple(t["name"] for t in ceremony["trustees"])
                keys = record["verification_keys"]
                return ThresholdKey(
                    threshold=ceremony["threshold"],
                    public_key=Point.from_hex(record["public_key"]),
                    trustees=names,
                    verification_keys=tuple(
                        Point.from_hex(keys[str(i)]) for i in range(1, len(names) + 1)
                    ),
                )
    raise TallyRefused(f"vote day {vote_day_id!r} has no election key on its log")


def point_from_hex(text: str) -> Point:
    """A validated point, or the identity (the sum of no ciphertexts)."""
    return Point.identity() if text == IDENTITY_HEX else Point.from_hex(text)


def ciphertext_from_json(value: Any) -> Ciphertext:
    """A total's ciphertext; unlike a ballot's, either point may be the identity."""
    if not isinstance(value, dict) or set(value) != {"pad", "data"}:
        raise ValueError('a ciphertext is {"pad": hex, "data": hex}')
    return Ciphertext(pad=point_from_hex(value["pad"]), data=point_from_hex(value["data"]))


def totals_ciphertexts(record: dict[str, Any]) -> list[Ciphertext]:
    """An ``encrypted-totals`` record's ciphertexts in canonical order (questions, then options)."""
    return [ciphertext_from_json(ct) for q in record["questions"] for ct in q["ciphertexts"]]
