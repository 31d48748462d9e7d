"""Witness cosigning of checkpoints (docs/witnesses.md; DESIGN.md section 5).

Public API of Urna's BLS12-381 witnesses and of checkpoint verification
against a roster:

- keys and single cosignatures (:mod:`crypto.witness._keys`): every witness
  signs ``urna/v1/witness-cosignature\\n ‖ checkpoint note text``;
- the roster and its aggregate line (:mod:`crypto.witness._roster`);
- :func:`verify_cosigned_checkpoint`, which checks a served checkpoint's log
  signature (C2SP ``tlog-checkpoint``) and its aggregate cosignature;
- Ed25519 ``cosignature/v1`` lines of outside witnesses: :mod:`crypto.witness.cosignature`.

May import: the rest of :mod:`crypto`, py-ecc (BLS12-381) and PyNaCl. Nothing
of :mod:`voting`.
"""

from __future__ import annotations

from dataclasses import dataclass

from crypto.errors import InvalidCosignature
from crypto.errors import NotEnoughCosignatures
from crypto.note import Checkpoint
from crypto.note import VerifierKey
from crypto.note import parse_note
from crypto.note import verify_checkpoint
from crypto.witness import _ecc  # noqa: F401  (first: imports py_ecc, keeps the recursion limit)
from crypto.witness._keys import COSIGNATURE_CONTEXT
from crypto.witness._keys import PUBLIC_KEY_SIZE
from crypto.witness._keys import SIGNATURE_SIZE
from crypto.witness._keys import WitnessPublicKey
from crypto.witness._keys import WitnessSecretKey
from crypto.witness._keys import aggregate_signatures
from crypto.witness._keys import check_key_name
from crypto.witness._keys import cosignature_key_id
from crypto.witness._keys import cosignature_line
from crypto.witness._keys import cosignature_message
from crypto.witness._keys import parse_signature
from crypto.witness._keys import parse_witness_verifier_key
from crypto.witness._keys import prove_possession
from crypto.witness._keys import sign_checkpoint
from crypto.witness._keys import verify_checkpoint_cosignature
from crypto.witness._keys import verify_possession
from crypto.witness._keys import witness_verifier_key
from crypto.witness._roster import AggregateCosignature
from crypto.witness._roster import PinnedRoster
from crypto.witness._roster import Roster
from crypto.witness._roster import RosterMember
from crypto.witness._roster import aggregate_cosignatures
from crypto.witness._roster import decode_bitmap
from crypto.witness._roster import encode_bitmap
from crypto.witness._roster import find_roster_payloads
from crypto.witness._roster import parse_pinned_roster
from crypto.witness._roster import parse_roster_file
from crypto.witness._roster import roster_key_id
from crypto.witness._roster import verify_aggregate_cosignature

__all__ = [
    "COSIGNATURE_CONTEXT",
    "PUBLIC_KEY_SIZE",
    "SIGNATURE_SIZE",
    "AggregateCosignature",
    "CosignedCheckpoint",
    "PinnedRoster",
    "Roster",
    "RosterMember",
    "WitnessPublicKey",
    "WitnessSecretKey",
    "aggregate_cosignatures",
    "aggregate_signatures",
    "check_key_name",
    "cosignature_key_id",
    "cosignature_line",
    "cosignature_message",
    "decode_bitmap",
    "encode_bitmap",
    "parse_pinned_roster",
    "parse_roster_file",
    "parse_signature",
    "parse_witness_verifier_key",
    "prove_possession",
    "roster_key_id",
    "sign_checkpoint",
    "verify_aggregate_cosignature",
    "verify_checkpoint_cosignature",
    "verify_cosigned_checkpoint",
    "verify_possession",
    "witness_verifier_key",
]


@dataclass(frozen=True, slots=True)
class CosignedCheckpoint:
    """A checkpoint whose log signature and aggregate cosignature verified."""

    checkpoint: Checkpoint
    witnesses: tuple[RosterMember, ...]
    """The roster members who cosigned it, in roster order."""


def verify_cosigned_checkpoint(
    note_text: str, log_verifier_key: VerifierKey | str, roster: Roster, required: int
) -> CosignedCheckpoint:
    """Verify a checkpoint's log signature and that ``required`` roster members cosigned it.

    Args:
        note_text: the served checkpoint note with all its signature lines.
        log_verifier_key: the log's verifier key (or its text ``<origin>+<hex id>+<base64>``).
        roster: the log's witnesses (keys with verified proofs of possession).
        required: the smallest number of roster members that must have cosigned.

    Raises:
        MalformedNote: the note, its checkpoint or the verifier key text is malformed.
        InvalidSignature: the log's signature does not verify.
        NotEnoughCosignatures: no aggregate line of this roster, or too few signers.
        InvalidCosignature: two aggregate lines, a malformed one, a bitmap marking
            a non-member, or an aggregate signature that does not verify.
    """
    # (1) the log's own signature
    if isinstance(log_verifier_key, str):
        log_verifier_key = VerifierKey.parse(log_verifier_key)
    checkpoint = verify_checkpoint(note_text, log_verifier_key)
    note = parse_note(note_text)
    lines = [(sig.name, sig.key_id + sig.signature) for sig in note.signatures]
    # (2) exactly one aggregate line of this roster (unknown lines are ignored)
    payloads = find_roster_payloads(roster, lines)
    if not payloads:
        raise NotEnoughCosignatures(
            f"checkpoint carries no aggregate cosignature of roster {roster.name!r}; "
            f"{required} required"
        )
    if len(payloads) > 1:
        raise InvalidCosignature(f"checkpoint carries {len(payloads)} lines of {roster.name!r}")
    # (3) enough members and one FastAggregateVerify
    aggregate = AggregateCosignature.from_payload(payloads[0])
    witnesses = verify_aggregate_cosignature(roster, note.text, aggregate, required)
    return CosignedCheckpoint(checkpoint, witnesses)
