"""The witness's one decision: cosign a checkpoint or refuse it (C2SP tlog-witness).

:meth:`Witness.add_checkpoint` is shared by ``follow`` (which fetches the
checkpoint and the consistency proof from the log) and ``serve`` (which
receives them in an ``add-checkpoint`` request). Under the directory lock it

1. verifies the log's signature with the trusted verifier key of the origin;
2. refuses an old size above the checkpoint's size (400; a rollback when the
   old size is the size it last cosigned);
3. checks that the client's old size is the size it last cosigned (409);
4. at equal sizes, requires the same root (else: a fork, 422);
5. verifies the RFC 9162 consistency proof from its last root, or from the
   empty tree ``SHA-256("")`` when it never cosigned this origin (else 422):
   so a size-0 checkpoint must carry the empty tree's root;
6. signs, and writes its new state durably, before anyone sees the signature.

Refusals that prove the log misbehaved (a fork, a rollback, a proof that does
not verify) keep both signed checkpoints in the evidence directory.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from pathlib import Path

from crypto.errors import InvalidConsistencyProof
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidSignature
from crypto.merkle import EMPTY_ROOT
from crypto.merkle import verify_consistency
from crypto.note import Checkpoint
from crypto.note import VerifierKey
from crypto.note import add_signatures
from crypto.note import parse_checkpoint
from crypto.note import parse_note
from crypto.note import verify_checkpoint
from crypto.witness import cosignature_line
from crypto.witness import sign_checkpoint
from crypto.witness.cosignature import cosignature_v1_line
from voting.tools.witness.state import LogState
from voting.tools.witness.state import WitnessDirectory
from voting.tools.witness.state import WitnessKeys


class Refusal(Exception):
    """The witness will not cosign; ``status`` is the tlog-witness HTTP status."""

    status = 400
    evidence: Path | None = None


class BadRequest(Refusal):
    status = 400


class UnknownLog(Refusal):
    status = 404


class BadLogSignature(Refusal):
    status = 403


class OldSizeMismatch(Refusal):
    """The client's old size is not the size last cosigned (it should retry with ``size``)."""

    status = 409

    def __init__(self, message: str, *, size: int) -> None:
        super().__init__(message)
        self.size = size


class Misbehaviour(Refusal):
    """The log showed a rollback or a fork; ``evidence`` holds both signed checkpoints."""


class RollbackRefused(Misbehaviour):
    status = 400


class ForkDetected(Misbehaviour):
    """Same size, another root: 422 since C2SP tlog-witness#280 (it was 409 before)."""

    status = 422


class InconsistentCheckpoint(Misbehaviour):
    status = 422


@dataclass(frozen=True)
class Cosigned:
    """A successful cosigning: the signed-note lines and the raw BLS signature."""

    checkpoint: Checkpoint
    bls_signature: bytes
    lines: tuple[str, ...]


class Witness:
    """One witness: its directory, keys and the logs it trusts (origin -> verifier key)."""

    def __init__(
        self,
        directory: WitnessDirectory,
        trusted: Mapping[str, VerifierKey] | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = directory
        self.keys: WitnessKeys = directory.load_keys()
        self._trusted = dict(trusted or {})
        self._clock = clock
        self._served: dict[str, tuple[tuple[str, int], str]] = {}

    def trusted_key(self, origin: str, logs: Mapping[str, LogState]) -> VerifierKey:
        if origin in self._trusted:
            return self._trusted[origin]
        if origin in logs:
            return VerifierKey.parse(logs[origin].verifier_key)
        raise UnknownLog(f"this witness does not follow a log with origin {origin!r}")

    def add_checkpoint(self, note: str, old_size: int, proof: Sequence[bytes]) -> Cosigned:
        """Cosign ``note`` if it extends the last cosigned checkpoint; persist first.

        Raises:
            Refusal: a subclass naming the reason (see the module docstring).
        """
        checkpoint = _parse_unverified(note)
        with self.directory.locked():
            logs = self.directory.load()
            key = self.trusted_key(checkpoint.origin, logs)
            try:  # (1)
                verify_checkpoint(note, key)
            except (InvalidSignature, InvalidEncoding) as exc:
                raise BadLogSignature(f"no valid signature by {key}: {exc}") from exc
            last = logs.get(checkpoint.origin)
            self._check_extends(last, checkpoint, note, old_size, proof)  # (2)-(5)
            text = parse_note(note).text
            signature = sign_checkpoint(self.keys.bls, text)  # (6)
            now = int(self._clock())
            logs[checkpoint.origin] = _record(last, key, checkpoint, note, now)
            self.directory.save(logs)
        lines = (
            cosignature_line(self.keys.name, self.keys.bls.public_key(), signature),
            cosignature_v1_line(self.keys.ed25519, self.keys.name, text, now),
        )
        return Cosigned(checkpoint, signature, lines)

    def latest(self, origin: str) -> str:
        """The last checkpoint cosigned for ``origin``, with this witness's cosignature lines.

        The BLS line is the one the log was handed (BLS signing is
        deterministic); the ``cosignature/v1`` line carries the recorded
        cosigning time. The note is signed once per cosigned checkpoint and
        then remembered, so anonymous ``GET`` requests cost no signing.

        Raises:
            UnknownLog: this witness never cosigned a checkpoint of ``origin``.
        """
        state = self.directory.load().get(origin)
        if state is None:
            raise UnknownLog(f"this witness has cosigned no checkpoint of origin {origin!r}")
        version = (state.checkpoint, state.cosigned_at)
        served = self._served.get(origin)
        if served is not None and served[0] == version:
            return served[1]
        text = parse_note(state.checkpoint).text
        lines = (
            cosignature_line(
                self.keys.name, self.keys.bls.public_key(), sign_checkpoint(self.keys.bls, text)
            ),
            cosignature_v1_line(self.keys.ed25519, self.keys.name, text, state.cosigned_at),
        )
        note = add_signatures(state.checkpoint, lines)
        self._served[origin] = (version, note)
        return note

    def latest_by_hash(self, origin_hash: str) -> str:
        """:meth:`latest` for the origin whose lowercase hex SHA-256 is ``origin_hash``.

        Raises:
            UnknownLog: no cosigned origin has that hash.
        """
        for origin in self.directory.load():
            if hashlib.sha256(origin.encode()).hexdigest() == origin_hash:
                return self.latest(origin)
        raise UnknownLog(f"this witness has cosigned no log whose origin hash is {origin_hash}")

    def mark_submitted(self, origin: str, size: int) -> None:
        """Remember that the log acknowledged our cosignature of ``size``."""
        with self.directory.locked():
            logs = self.directory.load()
            if origin in logs and logs[origin].size == size:
                logs[origin] = replace(logs[origin], submitted=True)
                self.directory.save(logs)

    def _check_extends(
        self,
        last: LogState | None,
        new: Checkpoint,
        note: str,
        old_size: int,
        proof: Sequence[bytes],
    ) -> None:
        last_size = last.size if last else 0
        if old_size > new.size:  # (2)
            message = (
                f"old size {old_size} is above the checkpoint's size {new.size}: "
                "a witness never cosigns a smaller tree"
            )
            if last is not None and old_size == last_size:
                raise self._misbehaviour(
                    RollbackRefused,
                    f"rollback refused: the log offers size {new.size} after size {last.size} "
                    "was cosigned",
                    note,
                    proof,
                    last,
                )
            raise BadRequest(message)
        if old_size != last_size:  # (3)
            raise OldSizeMismatch(
                f"old size {old_size} is not the last cosigned size {last_size}", size=last_size
            )
        if last is None:
            if proof:
                raise InconsistentCheckpoint("the consistency proof from size 0 must be empty")
            if new.size == 0 and new.root_hash != EMPTY_ROOT:  # (5): a tree head of no tree
                raise self._misbehaviour(
                    InconsistentCheckpoint,
                    'a checkpoint of size 0 must carry the empty tree\'s root SHA-256("") '
                    f"= {EMPTY_ROOT.hex()}, not {new.root_hash.hex()}",
                    note,
                    proof,
                    last,
                )
            return
        old_root = base64.b64decode(last.root)
        if new.size == last.size and new.root_hash != old_root:  # (4)
            raise self._misbehaviour(
                ForkDetected,
                f"fork: two different roots signed for size {new.size}",
                note,
                proof,
                last,
            )
        try:  # (5)
            verify_consistency(last.size, new.size, proof, old_root, new.root_hash)
        except InvalidConsistencyProof as exc:
            raise self._misbehaviour(
                InconsistentCheckpoint,
                f"checkpoint {new.size} does not extend the cosigned checkpoint {last.size}: {exc}",
                note,
                proof,
                last,
            ) from exc

    def _misbehaviour(
        self,
        kind: type[Misbehaviour],
        message: str,
        note: str,
        proof: Sequence[bytes],
        last: LogState | None,
    ) -> Misbehaviour:
        origin = parse_checkpoint(parse_note(note).text).origin
        path = self.directory.record_evidence(
            kind.__name__,
            origin,
            message=message,
            cosigned_checkpoint=last.checkpoint if last else None,
            offered_checkpoint=note,
            consistency_proof=[base64.b64encode(h).decode() for h in proof],
        )
        error = kind(f"{message}; evidence kept in {path}")
        error.evidence = path
        return error


def _parse_unverified(note: str) -> Checkpoint:
    try:
        return parse_checkpoint(parse_note(note).text)
    except InvalidEncoding as exc:
        raise BadRequest(f"not a checkpoint: {exc}") from exc


def _record(
    last: LogState | None, key: VerifierKey, checkpoint: Checkpoint, note: str, now: int
) -> LogState:
    if last is not None and last.size == checkpoint.size:
        return replace(last, verifier_key=str(key))  # same checkpoint again: keep its record
    root = base64.b64encode(checkpoint.root_hash).decode()
    return LogState(str(key), checkpoint.size, root, note, now, submitted=False)
