"""A witness's files: its keys, its per-log state and its evidence (docs/witnesses.md).

Everything lives in one directory the operator controls::

    key.json      the BLS secret key, the Ed25519 cosigner seed, the name (0600)
    state.json    per log origin: the last cosigned checkpoint (0600)
    lock          taken (flock) around every read-check-write of state.json
    evidence/     one JSON file per refused rollback or fork (0600)

Writes are atomic and durable: a temporary file is written and fsync'ed,
renamed over the old one, and the directory is fsync'ed. The state is
written before any cosignature leaves the process (C2SP tlog-witness).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nacl.signing

from crypto.witness import WitnessSecretKey
from crypto.witness import prove_possession
from crypto.witness import witness_verifier_key
from crypto.witness.requests import registration_message
from crypto.witness.requests import sign_request
from crypto.witness.requests import submission_message

STATE_VERSION = 1
_FILE_MODE = 0o600


class StateError(Exception):
    """The witness directory is missing, unreadable or malformed."""


@dataclass(frozen=True)
class WitnessKeys:
    """The witness's name and secret keys (never logged, never sent)."""

    name: str
    bls: WitnessSecretKey
    ed25519: nacl.signing.SigningKey

    def __repr__(self) -> str:
        return f"WitnessKeys({self.name!r}, <secret>)"

    def public(self) -> dict[str, str]:
        """The public keys, as the witness publishes them (for observers' ``--roster`` files)."""
        public_key = self.bls.public_key()
        return {
            "name": self.name,
            "public_key": public_key.hex(),
            "cosigner_key": bytes(self.ed25519.verify_key).hex(),
            "verifier_key": witness_verifier_key(self.name, public_key),
        }

    def registration(self, log: str) -> dict[str, str]:
        """The signed request to join the roster of ``log`` (public data only)."""
        public_key = self.bls.public_key().data
        proof = prove_possession(self.bls)
        cosigner_key = bytes(self.ed25519.verify_key)
        message = registration_message(log, self.name, public_key, proof, cosigner_key)
        return {
            "name": self.name,
            "public_key": public_key.hex(),
            "proof_of_possession": proof.hex(),
            "cosigner_key": cosigner_key.hex(),
            "signature": sign_request(self.ed25519, message).hex(),
        }

    def submission_auth(self, log: str, checkpoint_text: str, signature: bytes) -> bytes:
        """The Ed25519 signature that authenticates a cosignature submitted to ``log``."""
        message = submission_message(log, self.name, checkpoint_text, signature)
        return sign_request(self.ed25519, message)


@dataclass(frozen=True)
class LogState:
    """The latest checkpoint this witness cosigned for one log."""

    verifier_key: str
    size: int
    root: str
    """base64 root hash, as in the checkpoint"""
    checkpoint: str
    """the signed note as received (kept as evidence should the log fork later)"""
    cosigned_at: int
    submitted: bool = False
    """whether the log acknowledged our cosignature (``follow`` only)"""


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` durably (temp file, fsync, rename, fsync dir)."""
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, _FILE_MODE)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise StateError(f"{what} {path} does not exist: run 'init --state DIR' first") from exc
    except (OSError, ValueError) as exc:
        raise StateError(f"cannot read {what} {path}: {exc}") from exc
    if not isinstance(value, dict) or value.get("version") != STATE_VERSION:
        raise StateError(f"{what} {path} is not a version {STATE_VERSION} witness file")
    return value


class WitnessDirectory:
    """The witness's directory: keys, state and evidence."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.key_file = self.path / "key.json"
        self.state_file = self.path / "state.json"
        self.evidence_dir = self.path / "evidence"

    def initialise(self, name: str, *, rng_seed: bytes | None = None) -> WitnessKeys:
        """Create the directory with fresh keys and an empty state.

        Raises:
            StateError: the directory already holds a witness key.
        """
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.key_file.exists():
            raise StateError(f"{self.key_file} exists already; refusing to overwrite a key")
        seed = rng_seed if rng_seed is not None else os.urandom(64)
        bls = WitnessSecretKey.generate(rng=lambda n: seed[:n])
        keys = WitnessKeys(name, bls, nacl.signing.SigningKey(seed[32:64]))
        document = {
            "version": STATE_VERSION,
            "name": name,
            "bls_secret_key": bls.to_bytes().hex(),
            "ed25519_seed": bytes(keys.ed25519).hex(),
        }
        write_atomically(self.key_file, json.dumps(document, indent=1).encode())
        self.save({})
        return keys

    def load_keys(self) -> WitnessKeys:
        document = _read_json(self.key_file, "key file")
        try:
            bls = WitnessSecretKey.from_bytes(bytes.fromhex(document["bls_secret_key"]))
            ed25519 = nacl.signing.SigningKey(bytes.fromhex(document["ed25519_seed"]))
            return WitnessKeys(str(document["name"]), bls, ed25519)
        except (KeyError, ValueError, TypeError) as exc:
            raise StateError(f"key file {self.key_file} is malformed") from exc

    def load(self) -> dict[str, LogState]:
        """The state of every log, keyed by origin."""
        document = _read_json(self.state_file, "state file")
        try:
            return {origin: LogState(**entry) for origin, entry in document["logs"].items()}
        except (KeyError, TypeError, AttributeError) as exc:
            raise StateError(f"state file {self.state_file} is malformed") from exc

    def save(self, logs: dict[str, LogState]) -> None:
        document = {"version": STATE_VERSION, "logs": {o: asdict(s) for o, s in logs.items()}}
        write_atomically(self.state_file, json.dumps(document, indent=1, sort_keys=True).encode())

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the directory's exclusive lock (serialises follow and serve)."""
        fd = os.open(self.path / "lock", os.O_RDWR | os.O_CREAT, _FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def record_evidence(self, kind: str, origin: str, **details: Any) -> Path:
        """Keep the conflicting signed checkpoints; return the evidence file's path."""
        self.evidence_dir.mkdir(mode=0o700, exist_ok=True)
        now = time.time_ns()
        path = self.evidence_dir / f"{now}-{kind}.json"
        document = {"kind": kind, "origin": origin, "detected_at_ns": now, **details}
        write_atomically(path, json.dumps(document, indent=1, sort_keys=True).encode())
        return path
