"""The log's side of witnessing: roster, cosignatures, the aggregate line (docs/witnesses.md).

- :func:`register_witness` adds a witness to a log's roster after verifying
  its BLS proof of possession.
- :func:`submit_cosignature` stores a witness's cosignature of a checkpoint
  this log signed, after verifying it.
- :func:`cosigned_note` is the checkpoint note with the roster's aggregate
  cosignature line appended: the note the log serves.

Nothing is stored when a request is refused.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.exc

from crypto.encoding import unhex
from crypto.errors import InvalidCosignature
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidProofOfPossession
from crypto.note import add_signatures
from crypto.note import parse_checkpoint
from crypto.note import parse_note
from crypto.witness import AggregateCosignature
from crypto.witness import Roster
from crypto.witness import RosterMember
from crypto.witness import WitnessPublicKey
from crypto.witness import aggregate_signatures
from crypto.witness import check_key_name
from crypto.witness import decode_bitmap
from crypto.witness import encode_bitmap
from crypto.witness import verify_checkpoint_cosignature
from crypto.witness import verify_possession
from voting.errors import Conflict
from voting.errors import InvalidRequest
from voting.errors import NotFound
from voting.errors import VotingError
from voting.models.log import Log
from voting.models.log import LogCheckpoint
from voting.models.session_types import DbSession
from voting.models.witness import LogWitness
from voting.models.witness import WitnessAggregate
from voting.models.witness import WitnessCosignature

ROSTER_SUFFIX = "/witnesses"


class Unverifiable(VotingError):
    """A proof of possession or a cosignature that does not verify."""

    code = "does_not_verify"
    status = 422


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def get_log(session: DbSession, log_name: str) -> Log:
    log = session.scalar(sa.select(Log).where(Log.name == log_name))
    if log is None:
        raise NotFound(f"no log named {log_name!r}")
    return log


def roster_name(log: Log) -> str:
    """The key name of the log's aggregate line: ``<origin>/witnesses``."""
    return log.origin + ROSTER_SUFFIX


def list_witnesses(session: DbSession, log: Log) -> list[LogWitness]:
    """The log's roster in position order."""
    query = sa.select(LogWitness).where(LogWitness.log_id == log.id)
    return list(session.scalars(query.order_by(LogWitness.position)))


def roster_of(session: DbSession, log: Log) -> Roster:
    """The log's roster as :class:`crypto.witness.Roster` (keys were checked at registration)."""
    members = tuple(
        RosterMember(w.name, WitnessPublicKey(w.public_key)) for w in list_witnesses(session, log)
    )
    return Roster(roster_name(log), members)


def register_witness(
    session: DbSession, log_name: str, *, name: object, public_key: object, proof: object
) -> LogWitness:
    """Add a witness to the log's roster (the next position).

    Raises:
        NotFound: no such log.
        InvalidRequest: a malformed name, key or proof.
        Unverifiable: the proof of possession does not verify.
        Conflict: the name or the key is already registered with this log.
    """
    log = get_log(session, log_name)
    try:
        check_key_name(name, what="witness name")
        key = WitnessPublicKey.from_hex(public_key)
        pop = _unhex(proof, 96, "proof_of_possession")
        verify_possession(key, pop)
    except InvalidProofOfPossession as exc:
        raise Unverifiable(str(exc)) from exc
    except InvalidEncoding as exc:
        raise InvalidRequest(str(exc)) from exc
    assert isinstance(name, str)  # checked by check_key_name
    for witness in list_witnesses(session, log):
        if witness.name == name or witness.public_key == key.data:
            raise Conflict(f"witness {witness.name!r} with this name or key is registered")
    position = session.scalar(
        sa.select(sa.func.count()).select_from(LogWitness).where(LogWitness.log_id == log.id)
    )
    witness = LogWitness(
        log_id=log.id,
        position=position or 0,
        name=name,
        public_key=key.data,
        proof_of_possession=pop,
        registered_at=_now(),
    )
    session.add(witness)
    _commit_or_conflict(session, "another witness registered at the same time; retry")
    return witness


def submit_cosignature(
    session: DbSession, log_name: str, *, witness_name: object, note: object, signature: object
) -> WitnessCosignature:
    """Store a witness's cosignature of one of this log's checkpoints.

    Sending the same cosignature again is harmless and returns the stored one.

    Raises:
        NotFound: no such log, witness or checkpoint of that size.
        InvalidRequest: a malformed note or signature, or a checkpoint text
            that differs from the one this log signed at that size.
        Unverifiable: the signature does not verify for the witness's key.
    """
    log = get_log(session, log_name)
    if not isinstance(witness_name, str):
        raise InvalidRequest("witness must be the witness's registered name")
    witness = session.scalar(
        sa.select(LogWitness).where(LogWitness.log_id == log.id, LogWitness.name == witness_name)
    )
    if witness is None:
        raise NotFound(f"no witness named {witness_name!r} is registered with {log_name!r}")
    checkpoint, text = _signed_checkpoint(session, log, note)
    raw = _unhex(signature, 96, "signature")
    existing = session.scalar(
        sa.select(WitnessCosignature).where(
            WitnessCosignature.checkpoint_id == checkpoint.id,
            WitnessCosignature.witness_id == witness.id,
        )
    )
    if existing is not None and existing.signature == raw:
        return existing
    try:
        verify_checkpoint_cosignature(WitnessPublicKey(witness.public_key), text, raw)
    except InvalidCosignature as exc:
        raise Unverifiable(f"cosignature of {witness.name!r}: {exc}") from exc
    if existing is not None:  # BLS is deterministic: a valid second signature cannot differ
        raise Conflict("a different cosignature of this witness is stored")
    stored = WitnessCosignature(
        checkpoint_id=checkpoint.id, witness_id=witness.id, signature=raw, received_at=_now()
    )
    session.add(stored)
    _commit_or_conflict(session, "this cosignature was stored at the same time")
    refresh_aggregate(session, checkpoint)
    return stored


def cosigned_note(session: DbSession, log_name: str, note: str) -> str:
    """``note`` (a checkpoint this log signed) with the roster's aggregate line appended.

    The note is returned unchanged if no witness cosigned it yet, or if it is
    not a stored checkpoint of this log.
    """
    log = get_log(session, log_name)
    try:
        checkpoint, _ = _signed_checkpoint(session, log, note)
    except VotingError:
        return note
    aggregate = refresh_aggregate(session, checkpoint)
    if aggregate is None:
        return note
    line = AggregateCosignature(decode_bitmap(aggregate.bitmap), aggregate.signature)
    return add_signatures(note, [line.line(roster_name(log))])


def refresh_aggregate(session: DbSession, checkpoint: LogCheckpoint) -> WitnessAggregate | None:
    """Bring the cached aggregate up to date with the stored cosignatures.

    Adds only the cosignatures the cache lacks. The cache is an optimisation:
    if two requests race, one write fails, is rolled back, and the next call
    completes it (its ``signer_count`` no longer matches).
    """
    rows = session.execute(
        sa.select(LogWitness.position, WitnessCosignature.signature)
        .join(LogWitness, LogWitness.id == WitnessCosignature.witness_id)
        .where(WitnessCosignature.checkpoint_id == checkpoint.id)
    ).all()
    if not rows:
        return None
    cached = session.get(WitnessAggregate, checkpoint.id)
    if cached is not None and cached.signer_count == len(rows):
        return cached
    have = set(decode_bitmap(cached.bitmap)) if cached is not None else set()
    missing = {position: signature for position, signature in rows if position not in have}
    parts = [cached.signature] if cached is not None else []
    total = aggregate_signatures([*parts, *missing.values()])
    bitmap = encode_bitmap(have | set(missing))
    if cached is None:
        cached = WitnessAggregate(checkpoint_id=checkpoint.id)
        session.add(cached)
    cached.bitmap, cached.signature, cached.signer_count = bitmap, total, len(rows)
    cached.updated_at = _now()
    try:
        session.commit()
    except sqlalchemy.exc.SQLAlchemyError:
        session.rollback()  # a concurrent refresh won; the cache catches up next time
    return cached


def _signed_checkpoint(session: DbSession, log: Log, note: object) -> tuple[LogCheckpoint, str]:
    if not isinstance(note, str):
        raise InvalidRequest("checkpoint must be the signed note text")
    try:
        text = parse_note(note).text
        size = parse_checkpoint(text).size
    except InvalidEncoding as exc:
        raise InvalidRequest(f"checkpoint is not a signed checkpoint note: {exc}") from exc
    checkpoint = session.scalar(
        sa.select(LogCheckpoint).where(LogCheckpoint.log_id == log.id, LogCheckpoint.size == size)
    )
    if checkpoint is None:
        raise NotFound(f"log {log.name!r} signed no checkpoint of size {size}")
    if parse_note(checkpoint.note).text != text:
        raise InvalidRequest(f"this is not the checkpoint log {log.name!r} signed at size {size}")
    return checkpoint, text


def _unhex(value: object, size: int, what: str) -> bytes:
    try:
        return unhex(value, size, what=what)
    except InvalidEncoding as exc:
        raise InvalidRequest(str(exc)) from exc


def _commit_or_conflict(session: DbSession, message: str) -> None:
    try:
        session.commit()
    except sqlalchemy.exc.IntegrityError as exc:
        session.rollback()
        raise Conflict(message) from exc
