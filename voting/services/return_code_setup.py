"""Return codes, before opening: the registrar's upload and what opening logs of it.

docs/return-codes.md. The registrar (voting/registrar/returncodes.py) hands
the server one document::

    {"vote_day": ..., "manifest_hash": ...,
     "voters": [{"credential", "voter_key", "authority_keys": [...]}, ...],
     "lookup": [["<lookup hex>", "<sealed hex>"], ...]}

``manifest_hash`` is the manifest the authorities pinned at setup
(:func:`voting.services.lifecycle.planned_manifest_hash`: opening refuses
another), ``voter_key`` is X_c, ``authority_keys`` the authorities' V_{j,c} in the
manifest's order, ``lookup`` the shuffled table (H(rc-lookup, LRC) → the
short code sealed under LRC). It is stored whole or not at all, only for a
vote day with return codes, before opening, and only for registered
credentials. At opening (:func:`opening_records`) every voter's keys are
logged (``return-code-keys`` records) and the table is committed as an
RFC 9162 Merkle tree of its entries whose root is logged
(``return-code-lookup``): the entries stay with the server, so the logged
answers do not turn a card into a public proof of the vote, yet the server
cannot add an entry after opening (a confirmation carries its entry's
inclusion proof against the root).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from crypto import merkle
from crypto.errors import InvalidEncoding
from crypto.group import Point
from voting.errors import CredentialsFrozen
from voting.errors import InvalidCredentialList
from voting.errors import VoteDayNotFound
from voting.errors import VotingError
from voting.models.credentials import Credential
from voting.models.returncodes import ReturnCodeEntry
from voting.models.returncodes import ReturnCodeLookupNode
from voting.models.returncodes import ReturnCodeVoter
from voting.models.session_types import DbSession
from voting.models.sql import Params
from voting.models.sql import run_many
from voting.models.votedays import VoteDay
from voting.services.credentials import UPLOAD_STATUSES

VOTERS_PER_RECORD = 120
"""Voters per ``return-code-keys`` record: about 50 KB with 4 authorities, so that a
record fits a C2SP tlog-tiles entry bundle (docs/log.md, "Tiles")."""
MAX_SEALED_HEX = 256
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEX = re.compile(r"^(?:[0-9a-f]{2})+$")
_CHUNK = 5000


@dataclass(frozen=True)
class StoredSetup:
    """What an upload stored."""

    vote_day: str
    voters: int
    entries: int


def authorities(vote_day: VoteDay) -> list[dict[str, str]]:
    """The vote day's return-code authorities (name, key, url), or [] without return codes."""
    if vote_day.return_codes is None:
        return []
    return [dict(a) for a in vote_day.return_codes["authorities"]]


def store_setup(session: DbSession, vote_day_id: str, document: object) -> StoredSetup:
    """Validate the registrar's return-code document and store it whole, then commit.

    Raises:
        VoteDayNotFound: no such vote day.
        InvalidCredentialList: the vote day has no return codes, a malformed
            document, a point that is not a group element, a credential that is
            not registered or appears twice, a lookup entry twice, or a
            document for a vote day that has one already.
        CredentialsFrozen: the vote day is open or later.
    """
    day = session.get(VoteDay, vote_day_id, with_for_update=True)  # against opening
    if day is None:
        raise VoteDayNotFound(f"no vote day {vote_day_id!r}")
    if day.return_codes is None:
        raise InvalidCredentialList(f"vote day {vote_day_id!r} was created without return codes")
    if day.status not in UPLOAD_STATUSES:
        raise CredentialsFrozen(
            f"vote day {vote_day_id!r} is {day.status}: its return codes can no longer change"
        )
    voters, entries, pinned = _parse(document, vote_day_id, len(authorities(day)))
    _refuse_stored(session, vote_day_id)
    _refuse_unregistered(session, vote_day_id, [v["credential"] for v in voters])
    rows = [dict(v, vote_day_id=vote_day_id) for v in voters]
    lookups = [
        {"vote_day_id": vote_day_id, "lookup": lookup, "sealed": sealed, "position": n}
        for n, (lookup, sealed) in enumerate(entries)
    ]
    for start in range(0, len(rows), _CHUNK):
        session.execute(sa.insert(ReturnCodeVoter), rows[start : start + _CHUNK])
    for start in range(0, len(lookups), _CHUNK):
        session.execute(sa.insert(ReturnCodeEntry), lookups[start : start + _CHUNK])
    day.return_codes = {**day.return_codes, "manifest_hash": pinned}
    session.commit()
    return StoredSetup(vote_day_id, len(rows), len(lookups))


def pinned_manifest_hash(session: DbSession, vote_day_id: str) -> str | None:
    """The manifest hash the registrar's setup was made for (None: no setup yet)."""
    day = session.get_one(VoteDay, vote_day_id)
    return None if day.return_codes is None else day.return_codes.get("manifest_hash")


def _parse(
    document: object, vote_day_id: str, authority_count: int
) -> tuple[list[dict[str, Any]], list[tuple[str, str]], str]:
    fields = {"vote_day", "manifest_hash", "voters", "lookup"}
    if not isinstance(document, dict) or set(document) != fields:
        raise InvalidCredentialList(
            "the return-code setup must be {vote_day, manifest_hash, voters, lookup}"
        )
    if not isinstance(document["manifest_hash"], str) or not _HEX64.match(
        document["manifest_hash"]
    ):
        raise InvalidCredentialList("manifest_hash must be 64 hex digits")
    if document["vote_day"] != vote_day_id:
        raise InvalidCredentialList(
            f"the return-code setup is for vote day {document['vote_day']!r}, not {vote_day_id!r}"
        )
    voters, lookup = document["voters"], document["lookup"]
    if not isinstance(voters, list) or not voters:
        raise InvalidCredentialList("voters must be a non-empty list")
    if not isinstance(lookup, list) or not lookup:
        raise InvalidCredentialList("lookup must be a non-empty list")
    clean = [_voter(v, n, authority_count) for n, v in enumerate(voters)]
    if len({v["credential"] for v in clean}) != len(clean):
        raise InvalidCredentialList("a credential appears twice among the return-code voters")
    entries = [_entry(e, n) for n, e in enumerate(lookup)]
    if len({lookup for lookup, _ in entries}) != len(entries):
        raise InvalidCredentialList("a lookup entry appears twice in the return-code table")
    return clean, entries, document["manifest_hash"]


def _voter(value: object, number: int, authority_count: int) -> dict[str, Any]:
    where = f"return-code voter {number}"
    if not isinstance(value, dict) or set(value) != {"credential", "voter_key", "authority_keys"}:
        raise InvalidCredentialList(f"{where}: expected credential, voter_key, authority_keys")
    keys = value["authority_keys"]
    if not isinstance(keys, list) or len(keys) != authority_count:
        raise InvalidCredentialList(
            f"{where}: expected {authority_count} authority keys (one per authority)"
        )
    if not isinstance(value["credential"], str) or not _HEX64.match(value["credential"]):
        raise InvalidCredentialList(f"{where}: the credential must be 64 hex digits")
    for what, point in (("voter_key", value["voter_key"]), *(("authority key", k) for k in keys)):
        _check_point(point, f"{where}: {what}")
    return {
        "credential": value["credential"],
        "voter_key": value["voter_key"],
        "authority_keys": list(keys),
    }


def _check_point(value: object, where: str) -> None:
    if not isinstance(value, str):
        raise InvalidCredentialList(f"{where} must be a hex string")
    try:
        Point.from_hex(value)
    except InvalidEncoding as exc:
        raise InvalidCredentialList(f"{where} is not a group element: {exc}") from exc


def _entry(value: object, number: int) -> tuple[str, str]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, str) for v in value)
        or not _HEX64.match(value[0])
        or not _HEX.match(value[1])
        or len(value[1]) > MAX_SEALED_HEX
    ):
        raise InvalidCredentialList(
            f"lookup entry {number}: expected [64 hex digits, at most {MAX_SEALED_HEX} hex digits]"
        )
    return value[0], value[1]


def _refuse_stored(session: DbSession, vote_day_id: str) -> None:
    stored = session.scalar(
        sa.select(sa.func.count()).where(ReturnCodeVoter.vote_day_id == vote_day_id)
    )
    if stored:
        raise InvalidCredentialList(f"vote day {vote_day_id!r} has its return codes already")


def _refuse_unregistered(session: DbSession, vote_day_id: str, credentials: list[str]) -> None:
    registered: set[str] = set()
    for start in range(0, len(credentials), _CHUNK):
        registered.update(
            session.scalars(
                sa.select(Credential.public_key).where(
                    Credential.vote_day_id == vote_day_id,
                    Credential.public_key.in_(credentials[start : start + _CHUNK]),
                )
            )
        )
    missing = [c for c in credentials if c not in registered]
    if missing:
        raise InvalidCredentialList(
            f"{len(missing)} return-code voters are not registered credentials "
            f"(the first: {missing[0]}); upload the credential list first"
        )


def entry_leaf(lookup: str, sealed: str) -> bytes:
    """The data of a lookup entry's leaf in the committed tree: lookup ‖ sealed (bytes)."""
    return bytes.fromhex(lookup) + bytes.fromhex(sealed)


class LookupTreeMissing(VotingError):
    """The lookup tree's stored hashes are missing: an operator must investigate."""

    code = "return_code_lookup_tree_missing"
    status = 500


def _leaf_hashes(session: DbSession, vote_day_id: str) -> list[bytes]:
    rows = session.execute(
        sa.select(ReturnCodeEntry.lookup, ReturnCodeEntry.sealed)
        .where(ReturnCodeEntry.vote_day_id == vote_day_id)
        .order_by(ReturnCodeEntry.position)
    )
    return [merkle.leaf_hash(entry_leaf(lookup, sealed)) for lookup, sealed in rows]


def subtree_levels(leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """Every complete perfect subtree's hash, by level: ``levels[l][i]`` is MTH of
    leaves ``[i * 2**l, (i + 1) * 2**l)``; ``levels[0]`` are the leaf hashes."""
    levels = [list(leaf_hashes)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append(
            [merkle.node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        )
    return levels


def store_lookup_tree(session: DbSession, vote_day_id: str) -> tuple[int, bytes]:
    """Hash the lookup table once and store its subtree hashes (level >= 1): (size, root).

    Called in the opening's transaction (:func:`opening_records`): the entries
    cannot change after opening, so every later inclusion proof is folded from
    these hashes (:func:`lookup_inclusion`). A tree stored before is replaced.
    """
    levels = subtree_levels(_leaf_hashes(session, vote_day_id))
    session.execute(
        sa.delete(ReturnCodeLookupNode).where(ReturnCodeLookupNode.vote_day_id == vote_day_id)
    )
    rows = [
        {"vote_day_id": vote_day_id, "level": level, "idx": i, "hash": h}
        for level in range(1, len(levels))
        for i, h in enumerate(levels[level])
    ]
    for start in range(0, len(rows), _CHUNK):
        session.execute(sa.insert(ReturnCodeLookupNode), rows[start : start + _CHUNK])
    size = len(levels[0])
    if not size:
        return 0, merkle.EMPTY_ROOT
    root = merkle.fold_subtrees([levels[lv][i] for lv, i in merkle.perfect_subtrees(0, size)])
    return size, root


def _stored_hashes(
    session: DbSession, vote_day_id: str, keys: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], bytes]:
    """The stored hashes of the perfect subtrees ``(level, index)`` (level 0: an entry's leaf).

    Two statements in one round trip where the driver can: the entries of the
    leaves, and a ``UNION ALL`` of one primary-key search per level of nodes.
    Written in SQL with driver placeholders, as the log's proofs are
    (voting/log/_tree.py): their shape varies, and compiling SQLAlchemy's
    expressions afresh cost more than the queries.

    Raises:
        LookupTreeMissing: a hash is not stored.
    """
    by_level: dict[int, list[int]] = {}
    for level, i in keys:
        by_level.setdefault(level, []).append(i)
    leaves = sorted(set(by_level.pop(0, [])))
    marks = ", ".join(["?"] * len(leaves))
    statements: list[tuple[str, Params]] = [
        (
            "SELECT position, lookup, sealed FROM return_code_entries"  # noqa: S608 (marks only)
            f" WHERE vote_day_id = ? AND position IN ({marks or 'NULL'})",
            (vote_day_id, *leaves),
        )
    ]
    parts, params = [], []
    for level, ids in sorted(by_level.items()):
        unique = sorted(set(ids))
        parts.append(
            "SELECT level, idx, hash FROM return_code_lookup_nodes"  # noqa: S608 (marks only)
            f" WHERE vote_day_id = ? AND level = ? AND idx IN ({', '.join(['?'] * len(unique))})"
        )
        params += [vote_day_id, level, *unique]
    if parts:
        statements.append((" UNION ALL ".join(parts), tuple(params)))
    results = run_many(session, statements)
    found = {(0, int(p)): merkle.leaf_hash(entry_leaf(a, b)) for p, a, b in results[0]}
    for rows in results[1:]:
        found.update({(int(lv), int(i)): bytes(h) for lv, i, h in rows})
    missing = [key for key in keys if key not in found]
    if missing:
        raise LookupTreeMissing(
            f"vote day {vote_day_id!r}: the lookup tree's hashes (level, index) {missing[:5]} "
            "are not stored; was migration 0014_return_code_lookup_tree run?"
        )
    return found


def lookup_inclusion(session: DbSession, vote_day_id: str, position: int) -> dict[str, Any]:
    """An entry's inclusion proof in the committed lookup tree (size, root, hashes).

    Folded from O(log n) hashes stored at opening (:func:`store_lookup_tree`).

    Raises:
        LookupTreeMissing: the tree's hashes are not stored.
    """
    last = session.scalar(
        sa.select(sa.func.max(ReturnCodeEntry.position)).where(
            ReturnCodeEntry.vote_day_id == vote_day_id
        )
    )
    size = 0 if last is None else int(last) + 1
    ranges = [*merkle.inclusion_proof_ranges(position, size), (0, size)]
    parts = [merkle.perfect_subtrees(a, b) for a, b in ranges]
    found = _stored_hashes(session, vote_day_id, [key for part in parts for key in part])
    hashes = [merkle.fold_subtrees([found[key] for key in part]) for part in parts]
    return {"size": size, "root": hashes[-1].hex(), "proof": [h.hex() for h in hashes[:-1]]}


def opening_records(session: DbSession, vote_day_id: str) -> list[dict[str, Any]]:
    """The records a vote day with return codes logs at opening: keys, then the lookup root.

    The lookup tree's subtree hashes are stored in the caller's transaction
    (:func:`store_lookup_tree`).

    Raises:
        InvalidCredentialList: the registrar's return codes are missing, or do
            not cover every registered credential.
    """
    voters = session.scalars(
        sa.select(ReturnCodeVoter)
        .where(ReturnCodeVoter.vote_day_id == vote_day_id)
        .order_by(ReturnCodeVoter.credential)
    ).all()
    registered = session.scalar(
        sa.select(sa.func.count()).where(Credential.vote_day_id == vote_day_id)
    )
    if not voters or len(voters) != registered:
        raise InvalidCredentialList(
            f"vote day {vote_day_id!r} has return codes for {len(voters)} of its "
            f"{registered} credentials: upload the registrar's return-code setup first"
        )
    records = list(_key_records([_voter_json(v) for v in voters]))
    size, root = store_lookup_tree(session, vote_day_id)
    records.append(
        {"type": "return-code-lookup", "vote_day": vote_day_id, "size": size, "root": root.hex()}
    )
    return records


def _voter_json(voter: ReturnCodeVoter) -> dict[str, Any]:
    return {
        "credential": voter.credential,
        "voter_key": voter.voter_key,
        "authority_keys": voter.authority_keys,
    }


def _key_records(voters: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    chunks = range(0, len(voters), VOTERS_PER_RECORD)
    for part, start in enumerate(chunks, start=1):
        yield {
            "type": "return-code-keys",
            "part": part,
            "parts": len(chunks),
            "voters": list(voters[start : start + VOTERS_PER_RECORD]),
        }
