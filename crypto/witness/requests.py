"""What a witness signs with its Ed25519 key to talk to a log (docs/witnesses.md).

A witness authenticates its registration request and every cosignature it
submits with the Ed25519 key it also uses for ``cosignature/v1``: checking
that signature costs about 0.1 ms, so a log checks it (and the size, and
that the witness is on its roster) before any BLS pairing (about 0.8 s in
pure Python). The messages are domain-separated from every other signature::

    urna/v1/witness-registration\\n
    log <log name>\\n
    name <witness name>\\n
    bls <96 hex digits: BLS public key>\\n
    pop <192 hex digits: proof of possession>\\n
    ed25519 <64 hex digits: the witness's Ed25519 public key>\\n

    urna/v1/witness-submission\\n
    log <log name>\\n
    name <witness name>\\n
    signature <192 hex digits: the BLS cosignature>\\n
    <the checkpoint's note text>
"""

from __future__ import annotations

import nacl.exceptions
import nacl.signing

from crypto.errors import InvalidEncoding
from crypto.errors import InvalidSignature
from crypto.witness._keys import check_key_name

__all__ = [
    "ED25519_KEY_SIZE",
    "ED25519_SIGNATURE_SIZE",
    "registration_message",
    "sign_request",
    "submission_message",
    "verify_request",
]

ED25519_KEY_SIZE = 32
ED25519_SIGNATURE_SIZE = 64
_REGISTRATION = "urna/v1/witness-registration\n"
_SUBMISSION = "urna/v1/witness-submission\n"


def registration_message(
    log: str, name: str, public_key: bytes, proof: bytes, cosigner_key: bytes
) -> bytes:
    """The message a witness signs to ask a log to put it on its roster."""
    check_key_name(name, what="witness name")
    return (
        f"{_REGISTRATION}log {_line(log)}\nname {name}\nbls {public_key.hex()}\n"
        f"pop {proof.hex()}\ned25519 {cosigner_key.hex()}\n"
    ).encode()


def submission_message(log: str, name: str, checkpoint_text: str, signature: bytes) -> bytes:
    """The message a witness signs with each cosignature it submits."""
    check_key_name(name, what="witness name")
    if not isinstance(checkpoint_text, str) or not checkpoint_text.endswith("\n"):
        raise InvalidEncoding("a checkpoint text ends with a newline")
    return (
        f"{_SUBMISSION}log {_line(log)}\nname {name}\nsignature {signature.hex()}\n"
        f"{checkpoint_text}"
    ).encode()


def sign_request(key: nacl.signing.SigningKey, message: bytes) -> bytes:
    """The 64-byte Ed25519 signature of ``message``."""
    return bytes(key.sign(message).signature)


def verify_request(cosigner_key: bytes, message: bytes, signature: bytes) -> None:
    """Check a witness's Ed25519 signature of a request.

    Raises:
        InvalidEncoding: a key or signature of the wrong size.
        InvalidSignature: the signature does not verify.
    """
    if len(cosigner_key) != ED25519_KEY_SIZE or len(signature) != ED25519_SIGNATURE_SIZE:
        raise InvalidEncoding("an Ed25519 key is 32 bytes and a signature 64")
    try:
        nacl.signing.VerifyKey(cosigner_key).verify(message, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError) as exc:
        raise InvalidSignature(
            "the witness's Ed25519 signature of the request does not verify"
        ) from exc


def _line(value: str) -> str:
    if not isinstance(value, str) or "\n" in value:
        raise InvalidEncoding("a log name is one line")
    return value
