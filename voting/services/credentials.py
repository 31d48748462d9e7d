"""The public credential list of a vote day: validate, store, and read it back.

docs/credentials.md. The registrar generates the codes offline and uploads
only the list of public keys, grouped by the voter's home unit::

    {"vote_day": "2026-03-08-ch", "units": {"quarter:10261": ["<64 hex>", ...], ...}}

A list is stored whole or not at all. It is refused if it is malformed, names
another vote day, names a unit that is unknown, ambiguous or not a leaf, or a
unit that already has credentials, holds a key that is not a valid Ed25519
public key (32 bytes, canonical, in the prime-order subgroup, not small
order), holds a key twice or a key already registered, or if the vote day is
open or later. The server never sees a voting code.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from crypto.ed25519 import check_public_key as check_ed25519_key
from crypto.encoding import unhex
from crypto.errors import InvalidEncoding
from voting.errors import CredentialsFrozen
from voting.errors import InvalidCredentialList
from voting.errors import UnknownCredential
from voting.errors import VoteDayNotFound
from voting.models.credentials import Credential
from voting.models.jurisdictions import Jurisdiction
from voting.models.session_types import DbSession
from voting.models.votedays import VoteDay

UPLOAD_STATUSES = frozenset({"draft", "key-ceremony", "credentials"})
"""A list may be uploaded until the vote day opens."""
_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class StoredList:
    """What an upload stored: credentials per unit ref."""

    vote_day: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def __str__(self) -> str:
        return f"{self.total} credentials in {len(self.counts)} units for {self.vote_day}"


def parse_credential_list(document: object) -> tuple[str, dict[str, list[str]]]:
    """Check the list's shape and every key; return the vote day and keys by unit key.

    Raises:
        InvalidCredentialList: naming the first problem found.
    """
    if not isinstance(document, Mapping) or set(document) != {"vote_day", "units"}:
        raise InvalidCredentialList('a credential list is {"vote_day": ..., "units": {...}}')
    vote_day, units = document["vote_day"], document["units"]
    if not isinstance(vote_day, str) or not vote_day:
        raise InvalidCredentialList("vote_day must be a non-empty string")
    if not isinstance(units, Mapping) or not units:
        raise InvalidCredentialList("units must be a non-empty object of unit -> keys")
    seen: set[str] = set()
    for unit, keys in units.items():
        _check_unit_keys(unit, keys, seen)
    return vote_day, {unit: list(keys) for unit, keys in units.items()}


def _check_unit_keys(unit: str, keys: object, seen: set[str]) -> None:
    if not isinstance(keys, list) or not keys:
        raise InvalidCredentialList(f"unit {unit!r}: expected a non-empty list of public keys")
    previous = ""
    for position, key in enumerate(keys):
        where = f"unit {unit!r}, key {position}"
        if not isinstance(key, str):
            raise InvalidCredentialList(f"{where}: a public key is a string of 64 hex digits")
        check_public_key(key, where=where)
        if key in seen:
            raise InvalidCredentialList(f"{where}: {key} appears twice in the list")
        if key < previous:
            raise InvalidCredentialList(f"{where}: the keys of a unit must be sorted")
        seen.add(key)
        previous = key


def check_public_key(key: str, *, where: str = "public key") -> None:
    """A credential is a valid Ed25519 public key: 32 bytes as lowercase hex, a good point.

    Raises:
        InvalidCredentialList: not 64 lowercase hex digits, or not a valid point.
    """
    try:
        check_ed25519_key(unhex(key, 32, what="public key"))
    except InvalidEncoding as exc:
        raise InvalidCredentialList(f"{where}: not a valid Ed25519 public key: {exc}") from exc


def store_credential_list(
    session: DbSession, document: object, *, vote_day_id: str | None = None
) -> StoredList:
    """Validate an uploaded list and store it whole, then commit.

    Args:
        vote_day_id: when given, the list must be for this vote day.

    Raises:
        InvalidCredentialList: malformed list, bad key, duplicate, unknown,
            ambiguous or non-leaf unit, or a unit that already has credentials.
        VoteDayNotFound: the vote day does not exist.
        CredentialsFrozen: the vote day is open or later.
    """
    vote_day, units = parse_credential_list(document)
    if vote_day_id is not None and vote_day != vote_day_id:
        raise InvalidCredentialList(f"the list is for vote day {vote_day!r}, not {vote_day_id!r}")
    day = session.get(VoteDay, vote_day, with_for_update=True)  # serialises against opening
    if day is None:
        raise VoteDayNotFound(f"no vote day {vote_day!r}")
    if day.status not in UPLOAD_STATUSES:
        raise CredentialsFrozen(
            f"vote day {vote_day!r} is {day.status}: its credential list can no longer change"
        )
    resolved = {unit: _leaf_unit(session, unit) for unit in units}
    _refuse_units_with_credentials(session, vote_day, resolved.values())
    _refuse_registered_keys(session, vote_day, [k for keys in units.values() for k in keys])
    rows = [
        {"vote_day_id": vote_day, "public_key": key, "jurisdiction_id": resolved[unit].id}
        for unit, keys in units.items()
        for key in keys
    ]
    try:
        for start in range(0, len(rows), _CHUNK):
            session.execute(sa.insert(Credential), rows[start : start + _CHUNK])
        session.commit()
    except sa.exc.IntegrityError as exc:  # a concurrent upload of the same keys
        session.rollback()
        raise InvalidCredentialList("a key of the list was registered meanwhile") from exc
    return StoredList(vote_day, {resolved[u].ref: len(keys) for u, keys in units.items()})


def _leaf_unit(session: DbSession, name: str) -> Jurisdiction:
    """The unit named ``level:code``, or by a code that only one unit has; it must be a leaf."""
    level, colon, code = name.rpartition(":")
    query = sa.select(Jurisdiction).where(Jurisdiction.code == (code if colon else name))
    if colon:
        query = query.where(Jurisdiction.level == level)
    found = list(session.scalars(query.limit(2)))
    if not found:
        raise InvalidCredentialList(
            f"unknown unit {name!r} (use level:code, e.g. municipality:261)"
        )
    if len(found) > 1:
        raise InvalidCredentialList(f"unit code {name!r} is ambiguous: use level:code")
    unit = found[0]
    has_children = session.scalar(
        sa.select(Jurisdiction.id).where(Jurisdiction.parent_id == unit.id).limit(1)
    )
    if has_children is not None:
        raise InvalidCredentialList(
            f"unit {unit.ref} has units below it: voters are registered in leaf units"
        )
    return unit


def _refuse_units_with_credentials(
    session: DbSession, vote_day: str, units: Iterable[Jurisdiction]
) -> None:
    by_id = {unit.id: unit for unit in units}
    taken = session.scalars(
        sa.select(Credential.jurisdiction_id)
        .where(Credential.vote_day_id == vote_day, Credential.jurisdiction_id.in_(by_id))
        .distinct()
    ).first()
    if taken is not None:
        raise InvalidCredentialList(
            f"unit {by_id[taken].ref} already has credentials for {vote_day}; "
            "a unit's list is uploaded once"
        )


def _refuse_registered_keys(session: DbSession, vote_day: str, keys: list[str]) -> None:
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        clash = session.scalars(
            sa.select(Credential.public_key)
            .where(Credential.vote_day_id == vote_day, Credential.public_key.in_(chunk))
            .limit(1)
        ).first()
        if clash is not None:
            raise InvalidCredentialList(f"key {clash} is already registered for {vote_day}")


def credential_list(session: DbSession, vote_day_id: str) -> dict[str, Any]:
    """The stored list in its canonical form (units by ``level:code``, keys sorted).

    This is the document logged when the vote day opens.
    """
    rows = session.execute(
        sa.select(Jurisdiction.level, Jurisdiction.code, Credential.public_key)
        .select_from(Credential)
        .join(Jurisdiction, Jurisdiction.id == Credential.jurisdiction_id)
        .where(Credential.vote_day_id == vote_day_id)
        .order_by(Jurisdiction.level, Jurisdiction.code, Credential.public_key)
    )
    units: dict[str, list[str]] = {}
    for level, code, key in rows:
        units.setdefault(f"{level}:{code}", []).append(key)
    return {"vote_day": vote_day_id, "units": units}


def credential_counts(session: DbSession, vote_day_id: str) -> dict[str, int]:
    """Registered credentials per unit ``level:code``."""
    rows = session.execute(
        sa.select(Jurisdiction.level, Jurisdiction.code, sa.func.count())
        .select_from(Credential)
        .join(Jurisdiction, Jurisdiction.id == Credential.jurisdiction_id)
        .where(Credential.vote_day_id == vote_day_id)
        .group_by(Jurisdiction.level, Jurisdiction.code)
        .order_by(Jurisdiction.level, Jurisdiction.code)
    )
    return {f"{level}:{code}": int(count) for level, code, count in rows}


def unit_of_credential(session: DbSession, vote_day_id: str, public_key: str) -> Jurisdiction:
    """The home unit of a registered credential (for casting).

    Raises:
        UnknownCredential: the key is not registered for this vote day.
    """
    unit = session.scalar(
        sa.select(Jurisdiction)
        .join(Credential, Credential.jurisdiction_id == Jurisdiction.id)
        .where(Credential.vote_day_id == vote_day_id, Credential.public_key == public_key)
    )
    if unit is None:
        raise UnknownCredential(f"the credential is not registered for vote day {vote_day_id}")
    return unit


def leaf_units_with_voters(session: DbSession) -> list[Jurisdiction]:
    """Leaf units with a positive electorate, by level and code (for ``generate --units db``)."""
    parent = sa.orm.aliased(Jurisdiction)
    has_children = sa.exists().where(parent.parent_id == Jurisdiction.id)
    return list(
        session.scalars(
            sa.select(Jurisdiction)
            .where(~has_children, Jurisdiction.electorate > 0)
            .order_by(Jurisdiction.level, Jurisdiction.code)
        )
    )


KEYS_PER_RECORD = 900
"""Credentials per ``credentials`` log record: about 60 KB of canonical JSON, so that a
record fits a C2SP tlog-tiles entry bundle (65,535 bytes; docs/log.md, "Tiles")."""


def credential_records(session: DbSession, vote_day_id: str) -> list[dict[str, Any]]:
    """The ``credentials`` log records written at opening: each unit's sorted keys, in chunks.

    docs/record.md: ``{"type": "credentials", "unit", "part", "parts", "keys"}``.
    """
    records: list[dict[str, Any]] = []
    for unit, keys in credential_list(session, vote_day_id)["units"].items():
        chunks = range(0, len(keys), KEYS_PER_RECORD)
        for part, start in enumerate(chunks, start=1):
            records.append(
                {
                    "type": "credentials",
                    "unit": unit,
                    "part": part,
                    "parts": len(chunks),
                    "keys": keys[start : start + KEYS_PER_RECORD],
                }
            )
    return records
