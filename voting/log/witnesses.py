"""The log's side of witnessing: roster, cosignatures, the aggregate line (docs/witnesses.md).

- :func:`request_witness` stores a witness's signed request to join a log's
  roster (cheap checks only); :func:`add_witness` puts it on the roster once
  an administrator approved it (:mod:`voting.services.witness_roster`): its
  proof of possession is verified and a ``witness`` record is appended to
  the log, so the roster is itself on the record.
- :func:`submit_cosignature` stores a roster witness's cosignature of a
  checkpoint this log signed: the witness's Ed25519 signature of the
  submission is checked before the BLS pairing.
- :func:`cosigned_note` is the checkpoint note with the roster's aggregate
  cosignature line appended: the note the log serves.

Nothing is stored when a request is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
import sqlalchemy.exc

from crypto.encoding import unhex
from crypto.errors import InvalidCosignature
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidProofOfPossession
from crypto.errors import InvalidSignature
from crypto.note import add_signatures
from crypto.note import parse_checkpoint
from crypto.note import parse_note
from crypto.witness import PUBLIC_KEY_SIZE
from crypto.witness import SIGNATURE_SIZE
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
from crypto.witness.requests import ED25519_KEY_SIZE
from crypto.witness.requests import ED25519_SIGNATURE_SIZE
from crypto.witness.requests import registration_message
from crypto.witness.requests import submission_message
from crypto.witness.requests import verify_request
from voting.errors import Conflict
from voting.errors import InvalidRequest
from voting.errors import NotFound
from voting.errors import VotingError
from voting.log import bulletin
from voting.log import cosigners
from voting.log.keys import LogSigning
from voting.models.log import Log
from voting.models.log import LogCheckpoint
from voting.models.session_types import DbSession
from voting.models.witness import LogWitness
from voting.models.witness import WitnessAggregate
from voting.models.witness import WitnessCosignature
from voting.models.witness import WitnessRequest

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


MAX_PENDING_REQUESTS = 50
"""Pending registration requests a log keeps; more wait until an official decides."""
MAX_NOTE_CHARS = 8192
"""The longest checkpoint note a cosignature submission may carry."""
WITNESS_RECORD = "witness"


def request_witness(
    session: DbSession,
    log_name: str,
    *,
    name: object,
    public_key: object,
    proof: object,
    cosigner_key: object,
    signature: object,
) -> WitnessRequest:
    """Store a witness's signed request to join the log's roster; an official decides.

    Only cheap checks run here (sizes, the name, the Ed25519 signature of the
    request); the BLS key and its proof of possession are checked when an
    administrator approves (:func:`add_witness`). A pending request reserves
    nothing: another request may name the same witness. The same request
    again returns the stored one.

    Raises:
        NotFound: no such log.
        InvalidRequest: a malformed field, or a request signature that does not verify.
        Conflict: the name or the key is on the roster already, or too many
            requests are pending.
    """
    log = get_log(session, log_name)
    try:
        check_key_name(name, what="witness name")
        assert isinstance(name, str)
        key = unhex(public_key, PUBLIC_KEY_SIZE, what="public_key")
        pop = unhex(proof, SIGNATURE_SIZE, what="proof_of_possession")
        cosigner = unhex(cosigner_key, ED25519_KEY_SIZE, what="cosigner_key")
        raw_signature = unhex(signature, ED25519_SIGNATURE_SIZE, what="signature")
        message = registration_message(log.name, name, key, pop, cosigner)
        verify_request(cosigner, message, raw_signature)
    except InvalidSignature as exc:
        raise InvalidRequest(f"registration request: {exc}") from exc
    except InvalidEncoding as exc:
        raise InvalidRequest(str(exc)) from exc
    for witness in list_witnesses(session, log):
        if witness.name == name or witness.public_key == key:
            raise Conflict(f"witness {witness.name!r} with this name or key is on the roster")
    pending = pending_requests(session, log)
    for request in pending:
        same = (request.name, request.public_key, request.cosigner_key) == (name, key, cosigner)
        if same and request.proof_of_possession == pop:
            return request
    if len(pending) >= MAX_PENDING_REQUESTS:
        raise Conflict(
            f"{len(pending)} registration requests are waiting for an official of "
            f"{log.name!r}; ask the election office to decide on them first"
        )
    request = WitnessRequest(
        log_id=log.id,
        name=name,
        public_key=key,
        proof_of_possession=pop,
        cosigner_key=cosigner,
        requested_at=_now(),
    )
    session.add(request)
    session.commit()
    return request


def pending_requests(session: DbSession, log: Log) -> list[WitnessRequest]:
    """The log's pending registration requests, oldest first."""
    query = sa.select(WitnessRequest).where(WitnessRequest.log_id == log.id)
    return list(session.scalars(query.order_by(WitnessRequest.id)))


def get_request(session: DbSession, log: Log, request_id: object) -> WitnessRequest:
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        raise InvalidRequest("a registration request is named by its number")
    request = session.get(WitnessRequest, request_id)
    if request is None or request.log_id != log.id:
        raise NotFound(f"no pending registration request {request_id} for {log.name!r}")
    return request


def add_witness(
    session: DbSession,
    log_name: str,
    request_id: object,
    *,
    approved_by: str,
    signing: LogSigning | None = None,
) -> LogWitness:
    """Put a pending request's witness on the roster: a ``witness`` record, then the row.

    The BLS key and its proof of possession are verified here (one pairing,
    for a request an official chose). The other requests for the same name
    or key are dropped: the approval decided. The caller checks that
    ``approved_by`` may approve (:mod:`voting.services.witness_roster`).

    Raises:
        NotFound: no such log or request.
        Unverifiable: the proof of possession does not verify (the request is dropped).
        InvalidRequest: the public key is not a valid BLS12-381 key (the request is dropped).
        Conflict: the name or the key is on the roster already.
    """
    log = get_log(session, log_name)
    request = get_request(session, log, request_id)
    try:
        key = WitnessPublicKey.from_bytes(request.public_key)
        verify_possession(key, request.proof_of_possession)
    except (InvalidProofOfPossession, InvalidEncoding) as exc:
        session.delete(request)
        session.commit()
        kind = Unverifiable if isinstance(exc, InvalidProofOfPossession) else InvalidRequest
        raise kind(f"request {request.id} ({request.name!r}) was dropped: {exc}") from exc
    name, cosigner = request.name, request.cosigner_key
    with bulletin.locked_log(session, log.name, signing=signing) as locked:
        roster = list_witnesses(session, log)  # read under the log's lock
        for witness in roster:
            if witness.name == name or witness.public_key == key.data:
                raise Conflict(f"witness {witness.name!r} with this name or key is on the roster")
        position = len(roster)
        appended = locked.append(
            {
                "type": WITNESS_RECORD,
                "log": log.name,
                "position": position,
                "name": name,
                "public_key": key.hex(),
                "proof_of_possession": request.proof_of_possession.hex(),
                "cosigner_key": cosigner.hex(),
                "approved_by": approved_by,
            }
        )
        witness = LogWitness(
            log_id=log.id,
            position=position,
            name=name,
            public_key=key.data,
            proof_of_possession=request.proof_of_possession,
            cosigner_key=cosigner,
            leaf_index=appended.index,
            registered_at=_now(),
        )
        session.add(witness)
        session.execute(
            sa.delete(WitnessRequest).where(
                WitnessRequest.log_id == log.id,
                sa.or_(WitnessRequest.name == name, WitnessRequest.public_key == key.data),
            )
        )
    return witness


def drop_request(session: DbSession, log_name: str, request_id: object) -> WitnessRequest:
    """Refuse a pending request (it is deleted); return it.

    Raises:
        NotFound: no such log or request.
    """
    log = get_log(session, log_name)
    request = get_request(session, log, request_id)
    session.delete(request)
    session.commit()
    return request


def submit_cosignature(
    session: DbSession,
    log_name: str,
    *,
    witness_name: object,
    note: object,
    signature: object,
    auth: object,
    authenticated: Callable[[LogWitness], None] | None = None,
) -> WitnessCosignature:
    """Store a roster witness's cosignature of one of this log's checkpoints.

    Cheap checks come first, the BLS pairing last: (1) sizes and types; (2)
    the witness is on the roster, with an Ed25519 submission key; (3) the
    note is a checkpoint this log signed; (4) the witness's Ed25519
    signature of the submission (``auth``); then ``authenticated(witness)``
    (the caller's rate limit); (5) the BLS cosignature. Sending the same
    cosignature again is harmless and returns the stored one.

    Raises:
        NotFound: no such log, witness or checkpoint of that size.
        InvalidRequest: a malformed field, a checkpoint text that differs from
            the one this log signed at that size, or a submission signature
            that does not verify.
        Unverifiable: the BLS signature does not verify for the witness's key.
    """
    log = get_log(session, log_name)
    if not isinstance(witness_name, str) or len(witness_name) > 256:
        raise InvalidRequest("witness must be the witness's registered name")
    if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
        raise InvalidRequest(f"checkpoint must be the signed note text (at most {MAX_NOTE_CHARS})")
    raw = _unhex(signature, SIGNATURE_SIZE, "signature")
    raw_auth = _unhex(auth, ED25519_SIGNATURE_SIZE, "auth")
    witness = session.scalar(  # (2)
        sa.select(LogWitness).where(LogWitness.log_id == log.id, LogWitness.name == witness_name)
    )
    if witness is None:
        raise NotFound(f"no witness named {witness_name!r} is on the roster of {log_name!r}")
    if witness.cosigner_key is None:
        raise InvalidRequest(
            f"witness {witness.name!r} has no submission key: register it again through an official"
        )
    checkpoint, text = _signed_checkpoint(session, log, note)  # (3)
    try:  # (4)
        verify_request(
            witness.cosigner_key, submission_message(log.name, witness.name, text, raw), raw_auth
        )
    except (InvalidSignature, InvalidEncoding) as exc:
        raise InvalidRequest(f"submission of {witness.name!r}: {exc}") from exc
    if authenticated is not None:
        authenticated(witness)
    existing = session.scalar(
        sa.select(WitnessCosignature).where(
            WitnessCosignature.checkpoint_id == checkpoint.id,
            WitnessCosignature.witness_id == witness.id,
        )
    )
    if existing is not None and existing.signature == raw:
        return existing
    try:  # (5)
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
    """``note`` (a checkpoint this log signed) with its witnesses' lines appended.

    The roster's BLS aggregate line, then the C2SP witnesses' ``cosignature/v1``
    lines (:mod:`voting.log.cosigners`). The note is returned unchanged if no
    witness cosigned it yet, or if it is not a stored checkpoint of this log.
    """
    log = get_log(session, log_name)
    try:
        checkpoint, _ = _signed_checkpoint(session, log, note)
    except VotingError:
        return note
    lines = []
    aggregate = refresh_aggregate(session, checkpoint)
    if aggregate is not None:
        line = AggregateCosignature(decode_bitmap(aggregate.bitmap), aggregate.signature)
        lines.append(line.line(roster_name(log)))
    lines += cosigners.stored_lines(session, checkpoint.id)  # C2SP witnesses' cosignature/v1
    return add_signatures(note, lines) if lines else note


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
