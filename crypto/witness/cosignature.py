"""C2SP ``tlog-cosignature`` Ed25519 cosignatures (``cosignature/v1``, type 0x04).

A cosignature line is ``— <cosigner name> base64(key ID ‖ timestamp ‖ signature)``
with ``key ID = SHA-256(name ‖ 0x0A ‖ 0x04 ‖ 32-byte public key)[:4]``, a
big-endian u64 POSIX ``timestamp`` and a 64-byte Ed25519 (RFC 8032) signature
over::

    cosignature/v1\\n
    time <timestamp>\\n
    <checkpoint note text>

Outside witnesses (for example of the transparency-dev network) cosign Urna's
checkpoints this way; Urna's own witnesses add such a line next to their BLS
cosignature when they answer ``add-checkpoint``.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

import nacl.exceptions
import nacl.signing

from crypto.errors import InvalidCosignature
from crypto.errors import InvalidEncoding
from crypto.note import parse_note
from crypto.witness._keys import check_key_name

__all__ = [
    "CosignerKey",
    "cosignature_v1_line",
    "cosignature_v1_message",
    "cosigner_key_id",
    "find_cosignature_v1",
    "verify_cosignature_v1",
]

SIGNATURE_TYPE_COSIGNATURE_V1 = b"\x04"
_MAX_TIMESTAMP = 2**63 - 1


@dataclass(frozen=True, slots=True)
class CosignerKey:
    """An Ed25519 cosigner's name and 32-byte public key (``vkey`` type 0x04)."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name, what="cosigner name")
        if not isinstance(self.public_key, bytes) or len(self.public_key) != 32:
            raise InvalidEncoding("an Ed25519 cosigner public key is 32 bytes")

    @classmethod
    def from_vkey(cls, vkey: str) -> CosignerKey:
        """Parse a verifier key ``<name>+<hex key ID>+base64(0x04 ‖ public key)``.

        The name cannot contain ``+`` but standard base64 can, so only the
        first two ``+`` separate the parts.

        Raises:
            InvalidEncoding: not three ``+``-separated parts, another type, or a wrong key ID.
        """
        parts = vkey.split("+", 2) if isinstance(vkey, str) else []
        if len(parts) != 3:
            raise InvalidEncoding("a verifier key is '<name>+<hex key id>+<base64 key>'")
        try:
            material = base64.b64decode(parts[2], validate=True)
        except ValueError as exc:
            raise InvalidEncoding("verifier key material is not base64") from exc
        if material[:1] != SIGNATURE_TYPE_COSIGNATURE_V1:
            raise InvalidEncoding("verifier key is not of type 0x04 (cosignature/v1)")
        key = cls(parts[0], material[1:])
        if parts[1] != key.key_id.hex():
            raise InvalidEncoding("verifier key's key ID does not match its name and key")
        return key

    def vkey(self) -> str:
        material = base64.b64encode(SIGNATURE_TYPE_COSIGNATURE_V1 + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"

    @property
    def key_id(self) -> bytes:
        return cosigner_key_id(self.name, self.public_key)


def cosigner_key_id(name: str, public_key: bytes) -> bytes:
    """``SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4]``."""
    material = name.encode() + b"\n" + SIGNATURE_TYPE_COSIGNATURE_V1 + public_key
    return hashlib.sha256(material).digest()[:4]


def cosignature_v1_message(checkpoint_text: str, timestamp: int) -> bytes:
    """The signed message: header line, time line, then the checkpoint's note text."""
    if not isinstance(timestamp, int) or not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise InvalidEncoding("a cosignature timestamp is an integer in [0, 2^63 - 1]")
    if not isinstance(checkpoint_text, str) or not checkpoint_text.endswith("\n"):
        raise InvalidEncoding("checkpoint text must end with a newline")
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_text}".encode()


def cosignature_v1_line(
    signing_key: nacl.signing.SigningKey, name: str, checkpoint_text: str, timestamp: int
) -> str:
    """Sign ``checkpoint_text`` at ``timestamp``; return the note signature line."""
    key = CosignerKey(name, bytes(signing_key.verify_key))
    message = cosignature_v1_message(checkpoint_text, timestamp)
    signature = signing_key.sign(message).signature
    payload = key.key_id + timestamp.to_bytes(8, "big") + signature
    return f"— {name} {base64.b64encode(payload).decode()}\n"


def verify_cosignature_v1(note_text: str, cosigner: CosignerKey) -> int:
    """Verify the ``cosigner``'s ``cosignature/v1`` line on a signed checkpoint note.

    Lines of other keys are ignored. The log's own signature is not checked
    here (:func:`crypto.note.verify_checkpoint` does that).

    Returns:
        the cosignature's timestamp.

    Raises:
        MalformedNote: the note is malformed.
        InvalidCosignature: no line of this cosigner, a malformed one, or a bad signature.
    """
    note = parse_note(note_text)
    mine = [
        s.signature
        for s in note.signatures
        if (s.name, s.key_id) == (cosigner.name, cosigner.key_id)
    ]
    if not mine:
        raise InvalidCosignature(f"no cosignature/v1 line from {cosigner.name!r}")
    if len(mine) > 1 or len(mine[0]) != 8 + 64:
        raise InvalidCosignature(f"malformed cosignature/v1 line from {cosigner.name!r}")
    timestamp = int.from_bytes(mine[0][:8], "big")
    if timestamp > _MAX_TIMESTAMP:
        raise InvalidCosignature("cosignature timestamp exceeds 2^63 - 1")
    message = cosignature_v1_message(note.text, timestamp)
    try:
        nacl.signing.VerifyKey(cosigner.public_key).verify(message, mine[0][8:])
    except nacl.exceptions.BadSignatureError as exc:
        raise InvalidCosignature(f"cosignature/v1 of {cosigner.name!r} does not verify") from exc
    return timestamp


def find_cosignature_v1(note_text: str, cosigner: CosignerKey) -> int | None:
    """The timestamp of the ``cosigner``'s valid line on the note, or None if it has none.

    Raises:
        MalformedNote: the note is malformed.
        InvalidCosignature: the cosigner's line is there but malformed, repeated or
            does not verify (for example, copied from another checkpoint).
    """
    note = parse_note(note_text)
    if not any((s.name, s.key_id) == (cosigner.name, cosigner.key_id) for s in note.signatures):
        return None
    return verify_cosignature_v1(note_text, cosigner)
