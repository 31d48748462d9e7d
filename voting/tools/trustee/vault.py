"""The trustee's secret file: everything secret, sealed under a passphrase.

Format ``urna-trustee-vault/1`` (docs/trustees.md, "Trustee tool"): a JSON
envelope

    {"format": "urna-trustee-vault/1",
     "kdf": {"algorithm": "argon2id", "version": 19, "salt": "<hex16>",
             "opslimit": <int>, "memlimit": <int>},
     "sealed": "<hex: 24-byte nonce ‖ XSalsa20-Poly1305 ciphertext>"}

The key is argon2id (RFC 9106, libsodium's ``crypto_pwhash`` with
``ALG_ARGON2ID13``) of the UTF-8 passphrase with the random salt and the
recorded costs; ``sealed`` is NaCl ``SecretBox`` of the contents' JSON
(:class:`VaultContents`: the trustee's polynomial and box key, the shares it
received, its key share). A wrong passphrase and a damaged file both fail the
Poly1305 check and are reported as one error. Every write goes to a fresh
file (mode 0600) that is fsynced and renamed over the old one.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from nacl.exceptions import CryptoError as NaclCryptoError
from nacl.pwhash import argon2id
from nacl.secret import SecretBox
from nacl.utils import random as random_bytes

from crypto.errors import InvalidEncoding
from crypto.group import Scalar
from crypto.trustees import KeyShare
from crypto.trustees import TrusteeSecrets

FORMAT = "urna-trustee-vault/1"
ARGON2ID_VERSION = 19
"""Argon2 version 0x13, the only one libsodium's argon2id implements."""
__all__ = [
    "DEFAULT_KDF_LEVEL",
    "FORMAT",
    "KDF_LEVELS",
    "KdfCost",
    "Vault",
    "VaultContents",
    "VaultError",
    "WrongPassphrase",
]

MIN_PASSPHRASE = 12
MAX_MEMLIMIT = 4 * 1024**3
MAX_OPSLIMIT = 64


class VaultError(Exception):
    """The secret file is missing, unreadable or not a trustee vault."""


class WrongPassphrase(VaultError):
    """The passphrase does not open the vault (or the sealed part is damaged)."""


@dataclass(frozen=True, slots=True)
class KdfCost:
    """argon2id's cost parameters, recorded in the file."""

    opslimit: int
    memlimit: int

    def check(self) -> None:
        if type(self.opslimit) is not int or not argon2id.OPSLIMIT_MIN <= self.opslimit:
            raise VaultError("the vault's argon2id opslimit is out of range")
        if self.opslimit > MAX_OPSLIMIT:
            raise VaultError("the vault's argon2id opslimit is out of range")
        if type(self.memlimit) is not int or not argon2id.MEMLIMIT_MIN <= self.memlimit:
            raise VaultError("the vault's argon2id memlimit is out of range")
        if self.memlimit > MAX_MEMLIMIT:
            raise VaultError("the vault's argon2id memlimit is out of range")


KDF_LEVELS = {
    "interactive": KdfCost(argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_INTERACTIVE),
    "moderate": KdfCost(argon2id.OPSLIMIT_MODERATE, argon2id.MEMLIMIT_MODERATE),
    "sensitive": KdfCost(argon2id.OPSLIMIT_SENSITIVE, argon2id.MEMLIMIT_SENSITIVE),
}
"""libsodium's levels: 64 MiB, 256 MiB and 1 GiB of memory."""
DEFAULT_KDF_LEVEL = "moderate"


@dataclass
class VaultContents:
    """What the vault holds (secret); each part is filled in as the ceremony goes."""

    vote_day: str
    trustee: str
    ceremony_id: bytes | None = None
    secrets: TrusteeSecrets | None = None
    received: dict[int, Scalar] = field(default_factory=dict)
    """f_i(j) from each sender i whose boxed share checked out"""
    revealed: set[int] = field(default_factory=set)
    """the j whose f_i(j) this trustee has published in answer to a complaint"""
    key_share: KeyShare | None = None

    def __repr__(self) -> str:
        return f"VaultContents(vote_day={self.vote_day!r}, trustee={self.trustee!r}, <hidden>)"

    def to_json(self) -> dict[str, Any]:
        return {
            "vote_day": self.vote_day,
            "trustee": self.trustee,
            "ceremony_id": None if self.ceremony_id is None else self.ceremony_id.hex(),
            "secrets": None if self.secrets is None else self.secrets.to_json(),
            "received": {str(i): s.hex() for i, s in sorted(self.received.items())},
            "revealed": sorted(self.revealed),
            "key_share": None if self.key_share is None else self.key_share.to_json(),
        }

    @classmethod
    def from_json(cls, value: Any) -> VaultContents:
        try:
            return cls(
                vote_day=str(value["vote_day"]),
                trustee=str(value["trustee"]),
                ceremony_id=None
                if value["ceremony_id"] is None
                else bytes.fromhex(value["ceremony_id"]),
                secrets=None
                if value["secrets"] is None
                else TrusteeSecrets.from_json(value["secrets"]),
                received={int(i): Scalar.from_hex(s) for i, s in value["received"].items()},
                revealed={int(j) for j in value["revealed"]},
                key_share=None
                if value["key_share"] is None
                else KeyShare.from_json(value["key_share"]),
            )
        except (InvalidEncoding, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise VaultError(f"the vault's contents are not understood: {exc}") from exc


class Vault:
    """An opened vault file: the derived key stays in memory to save changes."""

    def __init__(self, path: Path, key: bytes, salt: bytes, cost: KdfCost) -> None:
        self.path = path
        self._box = SecretBox(key)
        self._salt = salt
        self.cost = cost

    def __repr__(self) -> str:
        return f"Vault({str(self.path)!r}, <key hidden>)"

    @classmethod
    def create(
        cls, path: Path, passphrase: str, contents: VaultContents, *, cost: KdfCost
    ) -> Vault:
        """Seal ``contents`` into a new file (refused if ``path`` exists).

        Raises:
            VaultError: a passphrase shorter than :data:`MIN_PASSPHRASE`, or the file exists.
        """
        if len(passphrase) < MIN_PASSPHRASE:
            raise VaultError(f"choose a passphrase of at least {MIN_PASSPHRASE} characters")
        if path.exists():
            raise VaultError(f"{path} exists already; it is never overwritten by init")
        cost.check()
        salt = random_bytes(argon2id.SALTBYTES)
        vault = cls(path, derive_key(passphrase, salt, cost), salt, cost)
        vault.save(contents)
        return vault

    @classmethod
    def open(cls, path: Path, passphrase: str) -> tuple[Vault, VaultContents]:
        """Unseal the file.

        Raises:
            WrongPassphrase: the passphrase does not open it (or it is damaged).
            VaultError: no such file, or not a vault.
        """
        salt, cost, sealed = _read_envelope(path)
        vault = cls(path, derive_key(passphrase, salt, cost), salt, cost)
        try:
            plaintext = vault._box.decrypt(sealed)
        except NaclCryptoError as exc:
            raise WrongPassphrase(
                f"wrong passphrase for {path} (or the file is damaged: restore it from a backup)"
            ) from exc
        try:
            document = json.loads(plaintext)
        except ValueError as exc:
            raise VaultError(f"{path}: the sealed contents are not JSON") from exc
        return vault, VaultContents.from_json(document)

    def save(self, contents: VaultContents) -> None:
        """Seal ``contents`` with a fresh nonce and replace the file atomically."""
        sealed = self._box.encrypt(json.dumps(contents.to_json()).encode())
        envelope = {
            "format": FORMAT,
            "kdf": {
                "algorithm": "argon2id",
                "version": ARGON2ID_VERSION,
                "salt": self._salt.hex(),
                "opslimit": self.cost.opslimit,
                "memlimit": self.cost.memlimit,
            },
            "sealed": bytes(sealed).hex(),
        }
        write_private(self.path, (json.dumps(envelope, indent=2) + "\n").encode())


def derive_key(passphrase: str, salt: bytes, cost: KdfCost) -> bytes:
    """argon2id(passphrase, salt, cost) → 32 bytes for SecretBox."""
    return bytes(
        argon2id.kdf(
            SecretBox.KEY_SIZE,
            passphrase.encode(),
            salt,
            opslimit=cost.opslimit,
            memlimit=cost.memlimit,
        )
    )


def _read_envelope(path: Path) -> tuple[bytes, KdfCost, bytes]:
    try:
        envelope = json.loads(path.read_bytes())
    except FileNotFoundError as exc:
        raise VaultError(f"{path} does not exist: run init first") from exc
    except (OSError, ValueError) as exc:
        raise VaultError(f"{path} is not readable JSON: {exc}") from exc
    try:
        kdf = envelope["kdf"]
        if envelope["format"] != FORMAT or kdf["algorithm"] != "argon2id":
            raise VaultError(f"{path} is not a {FORMAT} file")
        if kdf["version"] != ARGON2ID_VERSION:
            raise VaultError(f"{path}: argon2id version {kdf['version']} is not supported")
        salt = bytes.fromhex(kdf["salt"])
        sealed = bytes.fromhex(envelope["sealed"])
        cost = KdfCost(kdf["opslimit"], kdf["memlimit"])
    except (KeyError, TypeError, ValueError) as exc:
        raise VaultError(f"{path} is not a {FORMAT} file: {exc}") from exc
    if len(salt) != argon2id.SALTBYTES:
        raise VaultError(f"{path}: the salt is not {argon2id.SALTBYTES} bytes")
    cost.check()
    return salt, cost, sealed


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a new 0600 file, fsync, rename, fsync the folder."""
    temporary = path.with_name(f".{path.name}.{random_bytes(8).hex()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
