"""Trustee ceremony messages signed by their author (docs/trustees.md, "Signed messages").

Each trustee makes an Ed25519 signing key in step 1 and publishes its verify
key in its commitment, where the Schnorr proofs' transcript covers it (step
2). Every later message of that trustee — complaint, reveal, readiness — is
signed under that key, so that the server's session is never the only proof
of who said something. The signed bytes are

    lp(tag) ‖ lp(H_c) ‖ lp(JCS(message without "signature"))

with ``lp(x)`` = u32(len(x)) ‖ x, JCS = RFC 8785 canonical JSON, H_c the
ceremony digest (the manifest hash for a decryption share, which comes after
the ceremony and belongs to one vote day) and ``tag`` one of :data:`MESSAGE_TAGS` (each starts with
``urna/v1/``). The signature is 64 bytes, lowercase hex in ``"signature"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.exceptions import ValueError as NaclValueError
from nacl.signing import SigningKey
from nacl.signing import VerifyKey

from crypto._transcript import length_prefixed
from crypto.ed25519 import check_public_key
from crypto.encoding import canonical_json
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidSignature

SIGNATURE_SIZE = 64
VERIFY_KEY_SIZE = 32
SIGNING_SEED_SIZE = 32

MESSAGE_TAGS = {
    "complaint": b"urna/v1/trustee-complaint",
    "reveal": b"urna/v1/trustee-reveal",
    "ready": b"urna/v1/trustee-ready",
    "decryption": b"urna/v1/decryption-shares",
}
"""The domain tag of each kind of signed trustee message."""


def check_verify_key(data: bytes) -> bytes:
    """An Ed25519 verify key: 32 bytes, a canonical prime-order point, not the identity.

    Raises:
        InvalidEncoding: any of these fails (weak keys are refused).
    """
    if not isinstance(data, bytes) or len(data) != VERIFY_KEY_SIZE:
        raise InvalidEncoding(f"a trustee verify key is {VERIFY_KEY_SIZE} bytes")
    return check_public_key(data, what="a trustee verify key")


def message_bytes(kind: str, ceremony_digest: bytes, body: Mapping[str, Any]) -> bytes:
    """The bytes a trustee signs for a message of ``kind`` (its JSON without the signature)."""
    unsigned = {k: v for k, v in body.items() if k != "signature"}
    return length_prefixed([MESSAGE_TAGS[kind], ceremony_digest, canonical_json(unsigned)])


def sign_message(
    kind: str, ceremony_digest: bytes, body: Mapping[str, Any], key: SigningKey
) -> bytes:
    """The 64-byte Ed25519 signature of ``body`` as a message of ``kind``."""
    return key.sign(message_bytes(kind, ceremony_digest, body)).signature


def verify_message(
    kind: str,
    ceremony_digest: bytes,
    body: Mapping[str, Any],
    signature: bytes,
    verify_key: bytes,
    *,
    author: str,
) -> None:
    """Check the author's signature on a message of ``kind``.

    Raises:
        InvalidSignature: the signature is missing or does not verify under
            ``verify_key`` (the message is not ``author``'s: someone forged it).
    """
    if len(signature) != SIGNATURE_SIZE:
        raise InvalidSignature(f"the {kind} in the name of {author!r} is not signed")
    try:
        VerifyKey(verify_key).verify(message_bytes(kind, ceremony_digest, body), signature)
    except (BadSignatureError, NaclValueError) as exc:
        raise InvalidSignature(
            f"the {kind} in the name of {author!r} does not carry {author!r}'s signature: "
            "it was not made by that trustee"
        ) from exc
