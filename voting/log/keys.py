"""The log's Ed25519 signing key: kept in a file outside the database.

The file holds the 32-byte Ed25519 seed as 64 hex digits and a newline. It
is created only when asked to (``flask log init-key``, or while the database
holds no signed checkpoint yet: the first log of an empty database), with
mode 0600 (written aside and hard-linked into place, so two workers starting
at once cannot both create it), and is never logged or shown. A key that does
not match the key the stored checkpoints were signed with is refused
(:func:`check_key_matches`): a server never signs under a second key. One
key signs the checkpoints of every log of the deployment; each log signs
under its own key name, its origin (default ``urna.local/log/<name>``).
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from crypto.errors import CryptoError
from crypto.note import MalformedNote
from crypto.note import NoteSigner
from crypto.note import VerifierKey
from crypto.note import key_id
from crypto.note import parse_checkpoint
from crypto.note import parse_note
from crypto.note import verify_note

DEFAULT_ORIGIN_TEMPLATE = "urna.local/log/{name}"
MAX_ORIGIN_CHARS = 200
"""The longest origin a log row holds (``logs.origin``)."""
SEED_SIZE = 32


class LogKeyError(Exception):
    """The key file is unreadable, malformed or readable by others."""


@dataclass(frozen=True)
class LogSigning:
    """The log key and the origin template of new logs."""

    seed: bytes = field(repr=False)
    origin_template: str = DEFAULT_ORIGIN_TEMPLATE

    def origin_for(self, name: str) -> str:
        """The origin (key name) a new log called ``name`` gets."""
        return self.origin_template.format(name=name)

    def signer(self, origin: str) -> NoteSigner:
        return NoteSigner(origin, self.seed)

    def verifier_key(self, origin: str) -> VerifierKey:
        return self.signer(origin).verifier


class LogKeyMissing(LogKeyError):
    """The key file does not exist and creating one was not allowed."""


class LogKeyMismatch(LogKeyError):
    """The key file holds another key than the one the stored checkpoints were signed with."""


def load_log_signing(
    path: str | Path, origin_template: str = DEFAULT_ORIGIN_TEMPLATE, *, create: bool = False
) -> LogSigning:
    """Read the key file; with ``create``, make it (mode 0600) with a fresh key if missing.

    Raises:
        LogKeyMissing: the file does not exist (and ``create`` is false).
        LogKeyError: the file is malformed or readable by group or others.
        LogKeyError: the origin template is unusable (see :func:`check_origin_template`).
    """
    check_origin_template(origin_template)
    path = Path(path)
    if create:
        return LogSigning(_read_or_create(path), origin_template)
    try:
        return LogSigning(_read(path), origin_template)
    except FileNotFoundError as exc:
        raise LogKeyMissing(
            f"the log key file {path} does not exist; create it with "
            "'flask --app app log init-key' (or set URNA_LOG_KEY_PATH to the existing key)"
        ) from exc


def check_key_matches(signing: LogSigning | None, path: str | Path, signed_note: str) -> None:
    """Refuse a log key that did not sign ``signed_note`` (a stored checkpoint).

    ``signing`` is None when the key file is missing.

    Raises:
        LogKeyMismatch: the key's ID for the checkpoint's origin is not the ID
            the checkpoint was signed with, or the signature does not verify;
            the message names both key IDs.
        LogKeyMissing: the key file is missing although checkpoints were signed.
    """
    note = parse_note(signed_note)
    origin = parse_checkpoint(note.text).origin
    signed_ids = [s.key_id.hex() for s in note.signatures if s.name == origin]
    stored = ", ".join(signed_ids) or "none"
    if signing is None:
        raise LogKeyMissing(
            f"the log key file {path} does not exist, but the database holds checkpoints "
            f"of {origin} signed with key ID {stored}: restore that key file (or point "
            "URNA_LOG_KEY_PATH at it); a new key would make every signed checkpoint unverifiable"
        )
    verifier = signing.verifier_key(origin)
    try:
        verify_note(signed_note, verifier)
    except CryptoError as exc:  # MalformedNote and InvalidSignature
        raise LogKeyMismatch(
            f"the log key in {path} (key ID {verifier.key_id.hex()} for {origin}) is not the "
            f"key the stored checkpoints were signed with (key ID {stored}): start the server "
            "with the key file that signed them (URNA_LOG_KEY_PATH)"
        ) from exc


def check_origin_template(template: object) -> str:
    """Refuse an origin template that cannot name every log (``URNA_LOG_ORIGIN``).

    A template is the deployment's public name for its logs with ``{name}``
    once where the vote day's id goes, e.g. ``votes.example.ch/log/{name}``;
    the origin it makes is a signed-note key name (no spaces, ``+`` or
    control characters; at most 200 characters, the log row's column, and 255
    bytes with the longest log name).

    Raises:
        LogKeyError: a message saying what is wrong with the template.
    """
    if not isinstance(template, str) or template.count("{name}") != 1:
        raise LogKeyError(f"the log origin template must contain '{{name}}' once: {template!r}")
    if "{" in template.replace("{name}", "") or "}" in template.replace("{name}", ""):
        raise LogKeyError(f"the log origin template may use no braces but '{{name}}': {template!r}")
    longest = template.format(name="x" * 64)  # log names are at most 64 characters
    if len(longest) > MAX_ORIGIN_CHARS or len(longest.encode()) > 255:
        raise LogKeyError(
            f"the log origin template is too long: an origin is at most {MAX_ORIGIN_CHARS} "
            f"characters with a 64-character vote day id: {template!r}"
        )
    try:
        key_id(longest, 1, bytes(32))  # checks the key name's characters
    except MalformedNote as exc:
        raise LogKeyError(f"the log origin template makes a bad key name: {exc}") from exc
    return template


def _read_or_create(path: Path) -> bytes:
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    seed = secrets.token_bytes(SEED_SIZE)
    # Write a private temporary file, then link it into place: the key file
    # appears complete or not at all, and a concurrent creator loses cleanly.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(seed.hex() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)
    except FileExistsError:  # another worker created it first
        return _read(path)
    finally:
        tmp.unlink(missing_ok=True)
    return seed


def _read(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise LogKeyError(f"log key file {path} must not be accessible by group or others")
    text = path.read_text().strip()
    try:
        seed = bytes.fromhex(text)
    except ValueError:
        seed = b""
    if len(seed) != SEED_SIZE or text != text.lower():
        raise LogKeyError(f"log key file {path} must hold {2 * SEED_SIZE} lowercase hex digits")
    return seed
