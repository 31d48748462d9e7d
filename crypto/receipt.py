"""Ballot receipts: tracking codes and their verification against later checkpoints.

A receipt (DESIGN.md section 5, docs/log.md) is the JSON object::

    {"log": name, "index": n, "leaf_hash": hex, "tracking_code": "ABCD-EFGH-...",
     "checkpoint": signed note or null, "inclusion_proof": [hex, ...]}

The tracking code is the RFC 4648 base32 form of the leaf hash (no padding),
in groups of four characters joined by ``-``: 13 groups for 32 bytes. Typed
codes are read forgivingly: case, spaces and dashes are ignored, and the
digits 0, 1 and 8, which base32 does not use, are read as the letters O, I
and B they are mistaken for (docs/citizen.md, "Typing codes"). The
receipt's inclusion proof is against its own checkpoint; a voter later checks
it against a newer checkpoint through a consistency proof (RFC 9162 2.1.4), so
a log that dropped or changed the ballot, or forked, is caught.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crypto.errors import InvalidEncoding
from crypto.errors import InvalidReceipt
from crypto.merkle import HASH_SIZE
from crypto.merkle import verify_consistency
from crypto.merkle import verify_inclusion
from crypto.note import Checkpoint
from crypto.note import VerifierKey
from crypto.note import verify_checkpoint

__all__ = ["Receipt", "parse_tracking_code", "tracking_code", "verify_receipt"]

GROUP = 4
_MAX_PROOF = 64


def tracking_code(leaf_hash: bytes) -> str:
    """The leaf hash as base32 groups: ``"ABCD-EFGH-...-WXYZ"``."""
    if not isinstance(leaf_hash, bytes) or len(leaf_hash) != HASH_SIZE:
        raise InvalidEncoding(f"a leaf hash is {HASH_SIZE} bytes")
    text = base64.b32encode(leaf_hash).decode().rstrip("=")
    return "-".join(text[i : i + GROUP] for i in range(0, len(text), GROUP))


_LOOK_ALIKES = str.maketrans("018", "OIB")
"""Digits outside base32, read as the letters they look like."""


def parse_tracking_code(code: str) -> bytes:
    """The leaf hash of a tracking code (case, spaces and dashes ignored; 0, 1, 8 read as O, I, B).

    Raises:
        InvalidEncoding: not the base32 form of 32 bytes.
    """
    if not isinstance(code, str):
        raise InvalidEncoding("a tracking code is a string")
    text = "".join(code.split()).replace("-", "").upper().translate(_LOOK_ALIKES)
    if len(text) != 52:
        raise InvalidEncoding(f"a tracking code has 52 base32 characters, got {len(text)}")
    try:
        raw = base64.b32decode(text + "====")
    except (binascii.Error, ValueError) as exc:
        raise InvalidEncoding("a tracking code uses only the letters A-Z and digits 2-7") from exc
    if tracking_code(raw).replace("-", "") != text:
        raise InvalidEncoding("the last character of the tracking code is wrong (a typing error)")
    return raw


def _hex32(value: object, what: str) -> bytes:
    if not isinstance(value, str) or len(value) != 2 * HASH_SIZE or value != value.lower():
        raise InvalidReceipt(f"{what} must be {2 * HASH_SIZE} lowercase hex digits")
    try:
        return bytes.fromhex(value)
    except ValueError as exc:
        raise InvalidReceipt(f"{what} is not hexadecimal") from exc


@dataclass(frozen=True)
class Receipt:
    """A parsed receipt (its fields are checked for form, not yet verified)."""

    log: str
    index: int
    leaf_hash: bytes
    checkpoint: str | None
    inclusion_proof: tuple[bytes, ...]

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Receipt:
        """Parse the receipt JSON object.

        Raises:
            InvalidReceipt: a missing or malformed field, or a tracking code
                that is not the leaf hash's.
        """
        if not isinstance(obj, Mapping):
            raise InvalidReceipt("a receipt is a JSON object")
        log, index = obj.get("log"), obj.get("index")
        if not isinstance(log, str) or not log:
            raise InvalidReceipt("receipt field 'log' must be a non-empty string")
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise InvalidReceipt("receipt field 'index' must be a non-negative integer")
        leaf = _hex32(obj.get("leaf_hash"), "receipt field 'leaf_hash'")
        if obj.get("tracking_code") != tracking_code(leaf):
            raise InvalidReceipt("the receipt's tracking code is not its leaf hash")
        checkpoint = obj.get("checkpoint")
        if checkpoint is not None and not isinstance(checkpoint, str):
            raise InvalidReceipt("receipt field 'checkpoint' must be a signed note or null")
        proof = obj.get("inclusion_proof", [])
        if not isinstance(proof, list) or len(proof) > _MAX_PROOF:
            raise InvalidReceipt("receipt field 'inclusion_proof' must be a list of hashes")
        hashes = tuple(_hex32(item, "an inclusion proof hash") for item in proof)
        return cls(log, index, leaf, checkpoint, hashes)

    def to_json(self) -> dict[str, Any]:
        return {
            "log": self.log,
            "index": self.index,
            "leaf_hash": self.leaf_hash.hex(),
            "tracking_code": tracking_code(self.leaf_hash),
            "checkpoint": self.checkpoint,
            "inclusion_proof": [h.hex() for h in self.inclusion_proof],
        }


def verify_receipt(
    receipt: Receipt | Mapping[str, Any],
    checkpoint_note: str,
    verifier_key: VerifierKey | str,
    *,
    consistency_proof: Sequence[bytes] = (),
    inclusion_proof: Sequence[bytes] | None = None,
) -> Checkpoint:
    """Check that the receipt's leaf is in the log whose (later) checkpoint is given.

    Args:
        receipt: the receipt (object or JSON).
        checkpoint_note: a signed checkpoint at least as new as the receipt's.
        verifier_key: the log's key, obtained independently of the server.
        consistency_proof: from the receipt's checkpoint size to the later
            one's (empty when the sizes are equal).
        inclusion_proof: the leaf's proof against ``checkpoint_note``, needed
            only when the receipt has no checkpoint yet.

    Returns:
        The verified later checkpoint.

    Raises:
        InvalidReceipt: the receipt is malformed or has neither a checkpoint
            nor an inclusion proof to check.
        InvalidSignature, MalformedNote: a checkpoint is not signed by the key.
        InvalidInclusionProof, InvalidConsistencyProof: the leaf is not in the
            log, or the later checkpoint does not extend the receipt's (a fork).
    """
    parsed = receipt if isinstance(receipt, Receipt) else Receipt.from_json(receipt)
    key = verifier_key if isinstance(verifier_key, VerifierKey) else VerifierKey.parse(verifier_key)
    later = verify_checkpoint(checkpoint_note, key)
    if parsed.checkpoint is None:
        if inclusion_proof is None:
            raise InvalidReceipt("the receipt has no checkpoint: an inclusion proof is needed")
        verify_inclusion(
            parsed.leaf_hash, parsed.index, later.size, inclusion_proof, later.root_hash
        )
        return later
    own = verify_checkpoint(parsed.checkpoint, key)
    # (1) the leaf is in the receipt's own checkpoint
    verify_inclusion(
        parsed.leaf_hash, parsed.index, own.size, parsed.inclusion_proof, own.root_hash
    )
    # (2) the later checkpoint extends it (equal sizes: equal roots)
    if later.size < own.size:
        raise InvalidReceipt(
            f"the checkpoint given (size {later.size}) is older than the receipt's ({own.size})"
        )
    verify_consistency(own.size, later.size, consistency_proof, own.root_hash, later.root_hash)
    return later
