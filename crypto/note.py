"""C2SP signed notes (c2sp.org/signed-note) and tlog checkpoints (c2sp.org/tlog-checkpoint).

A signed note is a text ending in a newline, a blank line, and signature lines
``"— <key name> <base64(key ID || signature)>"``. Urna's log signs with
Ed25519 (signature type ``0x01``), key ID = ``SHA-256(name || 0x0A || 0x01 ||
public key)[:4]``, and publishes its verifier key as
``<name>+<hex key ID>+<base64(0x01 || public key)>``, the form Go's
``golang.org/x/mod/sumdb/note`` and the transparency-dev tools read.

A checkpoint's body is the origin line, the tree size in decimal, the root
hash in base64 and optional non-empty extension lines. The log's key name is
its origin.

Verification follows the spec: signatures by unknown keys (another name or
key ID) are ignored, a failing signature by the known key rejects the note,
and a note with no valid signature by the known key is rejected.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import nacl.exceptions
import nacl.signing

from crypto.ed25519 import check_public_key
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidSignature

__all__ = [
    "ED25519_TYPE",
    "Checkpoint",
    "MalformedNote",
    "Note",
    "NoteSigner",
    "Signature",
    "VerifierKey",
    "add_signatures",
    "format_checkpoint",
    "key_id",
    "parse_checkpoint",
    "parse_note",
    "sign_checkpoint",
    "verify_checkpoint",
    "verify_note",
]

ED25519_TYPE = 0x01
SIGNATURE_PREFIX = "— "
MAX_SIGNATURES = 256
"""The spec asks verifiers to cap the signatures they read and to accept at least 16."""
MAX_NOTE_CHARS = 1 << 20
_UINT64_MAX = (1 << 64) - 1
_HASH_SIZE = 32


class MalformedNote(InvalidEncoding):
    """Text that is not a well-formed signed note, verifier key or checkpoint."""


def key_id(name: str, signature_type: int, public_key: bytes) -> bytes:
    """The 4-byte key ID: ``SHA-256(name || 0x0A || type || public key)[:4]``."""
    _check_name(name)
    return hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key).digest()[:4]


def _check_name(name: object) -> None:
    if not isinstance(name, str) or not name:
        raise MalformedNote("a key name must be a non-empty string")
    if any(ch.isspace() or ch == "+" for ch in name) or _has_control(name):
        raise MalformedNote(f"key name {name!r} contains a space, '+' or a control character")


def _has_control(text: str) -> bool:
    return any(ord(ch) < 0x20 and ch != "\n" for ch in text)


def _b64decode(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise MalformedNote(f"{what} is not standard base64") from exc
    if base64.b64encode(raw).decode() != text:
        raise MalformedNote(f"{what} is not canonical base64")
    return raw


@dataclass(frozen=True)
class VerifierKey:
    """A log's Ed25519 verifier key: name, key ID and public key."""

    name: str
    key_id: bytes
    public_key: bytes

    @classmethod
    def from_public_key(cls, name: str, public_key: bytes) -> VerifierKey:
        """Build the key, computing its ID (the public key is validated)."""
        check_public_key(public_key, what="the log's public key")
        return cls(name, key_id(name, ED25519_TYPE, public_key), public_key)

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        """Parse ``name+hexkeyid+base64(0x01 || public key)``.

        Raises:
            MalformedNote: wrong shape, unknown type, wrong key ID, or a public
                key that is not a valid Ed25519 point.
        """
        parts = text.split("+", 2) if isinstance(text, str) else []
        if len(parts) != 3 or len(parts[1]) != 8 or parts[1] != parts[1].lower():
            raise MalformedNote("a verifier key has the form name+<8 hex digits>+<base64 key>")
        name, hex_id, encoded = parts
        try:
            claimed_id = bytes.fromhex(hex_id)
        except ValueError as exc:
            raise MalformedNote("verifier key ID is not hexadecimal") from exc
        raw = _b64decode(encoded, "verifier key")
        if len(raw) != 33 or raw[0] != ED25519_TYPE:
            raise MalformedNote("verifier key must be type 0x01 (Ed25519) and a 32-byte key")
        try:
            key = cls.from_public_key(name, raw[1:])
        except InvalidEncoding as exc:
            raise MalformedNote(f"verifier key is not a valid Ed25519 public key: {exc}") from exc
        if key.key_id != claimed_id:
            raise MalformedNote(f"verifier key ID {hex_id} does not match its key")
        return key

    def __str__(self) -> str:
        encoded = base64.b64encode(bytes([ED25519_TYPE]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"


@dataclass(frozen=True)
class Signature:
    """One signature line: key name, 4-byte key ID and the signature bytes."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        blob = base64.b64encode(self.key_id + self.signature).decode()
        return f"{SIGNATURE_PREFIX}{self.name} {blob}\n"


@dataclass(frozen=True)
class Note:
    """A parsed (not yet verified) note: the signed text and its signatures."""

    text: str
    signatures: tuple[Signature, ...]

    def to_text(self) -> str:
        return self.text + "\n" + "".join(sig.line() for sig in self.signatures)


class NoteSigner:
    """Signs note texts with an Ed25519 key under a key name."""

    def __init__(self, name: str, seed: bytes) -> None:
        if not isinstance(seed, bytes) or len(seed) != 32:
            raise InvalidEncoding("an Ed25519 seed is 32 bytes")
        self._key = nacl.signing.SigningKey(seed)
        self.verifier = VerifierKey.from_public_key(name, bytes(self._key.verify_key))

    @property
    def name(self) -> str:
        return self.verifier.name

    def sign(self, text: str) -> Signature:
        """Sign a note text (it must itself be well formed)."""
        _check_text(text)
        signed = self._key.sign(text.encode()).signature
        return Signature(self.name, self.verifier.key_id, signed)

    def __repr__(self) -> str:  # never show the seed
        return f"NoteSigner({self.verifier})"


def _check_text(text: object) -> None:
    if not isinstance(text, str) or not text.endswith("\n"):
        raise MalformedNote("a note text must be a string ending in a newline")
    if _has_control(text):
        raise MalformedNote("a note must not contain control characters other than newline")


def _parse_signature_line(line: str) -> Signature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise MalformedNote(f"signature line does not start with an em dash and space: {line!r}")
    fields = line[len(SIGNATURE_PREFIX) :].split(" ")
    if len(fields) != 2:
        raise MalformedNote(f"signature line must be '— <name> <base64>': {line!r}")
    name, blob = fields
    _check_name(name)
    raw = _b64decode(blob, f"signature of {name}")
    if len(raw) < 5:
        raise MalformedNote(f"signature of {name} is too short")
    return Signature(name, raw[:4], raw[4:])


def parse_note(note: str | bytes) -> Note:
    """Split a signed note into its text and its (unverified) signature lines.

    Raises:
        MalformedNote: not UTF-8, control characters, too large, no blank line
            before the signatures, or a malformed signature line.
    """
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedNote("a note must be valid UTF-8") from exc
    if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
        raise MalformedNote(f"a note must be a string of at most {MAX_NOTE_CHARS} characters")
    _check_text(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNote("a note needs a blank line between its text and its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    lines = block.split("\n")[:-1]
    if not lines:
        raise MalformedNote("a note needs at least one signature line")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNote(f"a note may carry at most {MAX_SIGNATURES} signatures")
    return Note(text, tuple(_parse_signature_line(line) for line in lines))


def add_signatures(note: str, signatures: Iterable[Signature | str]) -> str:
    """Append signature lines (objects or ``"— name base64\\n"`` lines) to a note.

    The note is re-parsed, so the result is always well formed.
    """
    parsed = parse_note(note)
    extra = [
        item if isinstance(item, Signature) else _parse_signature_line(item.removesuffix("\n"))
        for item in signatures
    ]
    return parse_note(Note(parsed.text, parsed.signatures + tuple(extra)).to_text()).to_text()


def verify_note(note: str | bytes, key: VerifierKey) -> Note:
    """Check that ``key`` signed the note; return it.

    Raises:
        MalformedNote: the note is not well formed.
        InvalidSignature: a signature by ``key`` fails, or there is none.
    """
    parsed = parse_note(note)
    verifier = nacl.signing.VerifyKey(key.public_key)
    found = 0
    for sig in parsed.signatures:
        if sig.name != key.name or sig.key_id != key.key_id:
            continue  # unknown key: ignored, as the spec says
        try:
            verifier.verify(parsed.text.encode(), sig.signature)
        except (nacl.exceptions.BadSignatureError, ValueError) as exc:
            raise InvalidSignature(f"the signature of {key.name} on the note is invalid") from exc
        found += 1
    if not found:
        raise InvalidSignature(f"the note carries no signature by {key.name}+{key.key_id.hex()}")
    return parsed


@dataclass(frozen=True)
class Checkpoint:
    """A tlog checkpoint: origin, tree size, root hash and extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()


def format_checkpoint(checkpoint: Checkpoint) -> str:
    """The note text (body) of a checkpoint."""
    root = base64.b64encode(checkpoint.root_hash).decode()
    lines = [checkpoint.origin, str(checkpoint.size), root, *checkpoint.extensions]
    text = "\n".join(lines) + "\n"
    if parse_checkpoint(text) != checkpoint:
        raise MalformedNote("checkpoint fields do not round-trip (bad origin or extension)")
    return text


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint body.

    Raises:
        MalformedNote: missing lines, a size that is not canonical decimal, a
            root that is not 32 bytes of base64, or an empty extension line.
    """
    _check_text(text)
    lines = text.split("\n")[:-1]
    if len(lines) < 3:
        raise MalformedNote("a checkpoint has an origin, a size and a root hash line")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise MalformedNote("checkpoint origin line is empty")
    canonical = (
        0 < len(size_text) <= 20
        and size_text.isascii()
        and size_text.isdigit()
        and str(int(size_text)) == size_text
    )
    if not canonical:
        raise MalformedNote(f"checkpoint size {size_text!r} is not a canonical decimal number")
    size = int(size_text)
    if size > _UINT64_MAX:
        raise MalformedNote("checkpoint size does not fit in 64 bits")
    root = _b64decode(root_text, "checkpoint root hash")
    if len(root) != _HASH_SIZE:
        raise MalformedNote(f"checkpoint root hash must be {_HASH_SIZE} bytes, got {len(root)}")
    if any(not line for line in extensions):
        raise MalformedNote("checkpoint extension lines must not be empty")
    return Checkpoint(origin, size, root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> str:
    """The signed note of a checkpoint (the signer's name must be the origin)."""
    if signer.name != checkpoint.origin:
        raise MalformedNote(f"key name {signer.name!r} differs from origin {checkpoint.origin!r}")
    text = format_checkpoint(checkpoint)
    return Note(text, (signer.sign(text),)).to_text()


def verify_checkpoint(note: str | bytes, key: VerifierKey) -> Checkpoint:
    """Verify a signed checkpoint by the log key ``key`` and return it.

    Raises:
        MalformedNote: the note or its checkpoint body is malformed.
        InvalidSignature: no valid signature by ``key``, or the origin is not
            the key's name.
    """
    parsed = verify_note(note, key)
    checkpoint = parse_checkpoint(parsed.text)
    if checkpoint.origin != key.name:
        raise InvalidSignature(
            f"checkpoint origin {checkpoint.origin!r} is not the log key's name {key.name!r}"
        )
    return checkpoint
