"""Clerks' Ed25519 signatures on channel counts (docs/record.md, "channel-counts").

A clerk signs the counts of its unit (postal or polling-station ballots) with
an Ed25519 key (RFC 8032) that it keeps offline. The signed bytes are

    lp("urna/v1/channel-counts") ‖ lp(JCS(record without "signature"))

where ``lp(x)`` is the 4-byte big-endian length of ``x`` followed by ``x`` and
JCS is RFC 8785 canonical JSON. The signature is 64 bytes, lowercase hex in the
record's ``"signature"`` field. Public keys are validated as Ed25519 keys
(:mod:`crypto.ed25519`: canonical, in the prime-order subgroup, not of small
order), so weak keys are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.exceptions import ValueError as NaclValueError
from nacl.signing import SigningKey
from nacl.signing import VerifyKey

from crypto._group import RandomBytes
from crypto._group import secure_random
from crypto._transcript import length_prefixed
from crypto.ed25519 import check_public_key
from crypto.encoding import canonical_json
from crypto.encoding import unhex
from crypto.errors import InvalidSignature

__all__ = [
    "COUNTS_TAG",
    "check_clerk_key",
    "counts_message",
    "new_clerk_key",
    "sign_counts",
    "verify_counts",
]

COUNTS_TAG = b"urna/v1/channel-counts"


def new_clerk_key(*, rng: RandomBytes = secure_random) -> SigningKey:
    """A fresh Ed25519 signing key from 32 random bytes."""
    return SigningKey(rng(32))


def check_clerk_key(public_key: object) -> bytes:
    """Decode and validate a clerk's public key (64 lowercase hex digits).

    Raises:
        InvalidEncoding: not hex of 32 bytes, or not a valid Ed25519 public key.
    """
    raw = unhex(public_key, 32, what="clerk public key")
    return check_public_key(raw, what="the clerk public key")


def counts_message(record: Mapping[str, Any]) -> bytes:
    """The bytes a clerk signs: the tag and the record without its signature.

    Raises:
        InvalidEncoding: the record cannot be canonicalised (floats, bad types).
    """
    unsigned = {k: v for k, v in record.items() if k != "signature"}
    return length_prefixed([COUNTS_TAG, canonical_json(unsigned)])


def sign_counts(record: Mapping[str, Any], key: SigningKey) -> dict[str, Any]:
    """The record with its ``"signature"`` (any previous signature is replaced)."""
    signature = key.sign(counts_message(record)).signature
    return {**{k: v for k, v in record.items() if k != "signature"}, "signature": signature.hex()}


def verify_counts(record: Mapping[str, Any], public_key: bytes) -> None:
    """Check the clerk's signature on a channel-counts record.

    Raises:
        InvalidEncoding: the signature field is not 64 bytes of lowercase hex, or
            the record cannot be canonicalised.
        InvalidSignature: the signature does not verify under ``public_key``.
    """
    signature = unhex(record.get("signature"), 64, what="signature")
    try:
        VerifyKey(public_key).verify(counts_message(record), signature)
    except (BadSignatureError, NaclValueError) as exc:
        raise InvalidSignature("the clerk's signature on the counts does not verify") from exc
