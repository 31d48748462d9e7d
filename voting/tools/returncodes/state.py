"""A return-code authority's directory: its keys, its pinned setup, its answers.

docs/return-codes.md, "Running an authority"::

    secret.json      name, 32-byte secret s_j, Ed25519 signing seed (0600)
    identity.json    name and Ed25519 public key (what the registrar and verifier pin)
    state.sqlite3    the pinned vote day, the voters of setup, every answer given
    answers.jsonl    every answer, one signed JSON object a line, append-only
    lock             flock'ed by setup and serve: one process answers at a time

An answer is appended to ``answers.jsonl`` and fsync'ed, then committed to the
database, then sent. :meth:`AuthorityState.recover` restores into the
database any logged answer a crash kept out of it, and drops a torn last line
(an answer that was never sent).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from crypto.encoding import canonical_json

FILE_MODE = 0o600
SCHEMA = """
CREATE TABLE IF NOT EXISTS setup (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    vote_day TEXT NOT NULL,
    header TEXT NOT NULL,
    request_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS voters (
    credential BLOB PRIMARY KEY,
    voter_key BLOB NOT NULL,
    questions TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS choice_answers (
    credential BLOB PRIMARY KEY,
    request_hash TEXT NOT NULL,
    answer TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS confirm_answers (
    credential BLOB NOT NULL,
    request_hash TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    answer TEXT NOT NULL,
    PRIMARY KEY (credential, request_hash),
    UNIQUE (credential, attempt)
);
CREATE TABLE IF NOT EXISTS refusals (
    credential BLOB NOT NULL,
    reason TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (credential, reason)
);
"""


class StateError(Exception):
    """The authority's directory is missing, unreadable, malformed or in use."""


@dataclass(frozen=True)
class AuthorityKeys:
    """The authority's name, secret and signing key (never logged, never sent)."""

    name: str
    secret: bytes
    signing_key: SigningKey

    def __repr__(self) -> str:
        return f"AuthorityKeys({self.name!r}, <secret>)"

    @property
    def public_key(self) -> bytes:
        return bytes(self.signing_key.verify_key)

    def identity(self) -> dict[str, str]:
        return {"authority": self.name, "public_key": self.public_key.hex()}


def create(directory: Path, name: str, *, random: bytes) -> AuthorityKeys:
    """Make a new authority directory from 64 random bytes (secret ‖ signing seed).

    Raises:
        StateError: the directory already holds an authority.
    """
    directory.mkdir(parents=True, exist_ok=True)
    secret_path = directory / "secret.json"
    if secret_path.exists():
        raise StateError(f"{directory} already holds an authority; refusing to overwrite it")
    keys = AuthorityKeys(name, random[:32], SigningKey(random[32:64]))
    payload = {"name": name, "secret": keys.secret.hex(), "signing_seed": random[32:64].hex()}
    fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "w") as out:
        json.dump(payload, out)
        out.flush()
        os.fsync(out.fileno())
    (directory / "identity.json").write_text(json.dumps(keys.identity(), indent=2) + "\n")
    return keys


def load_keys(directory: Path) -> AuthorityKeys:
    """Read the authority's keys.

    Raises:
        StateError: no authority here, or a malformed or world-readable secret file.
    """
    path = directory / "secret.json"
    try:
        mode = path.stat().st_mode & 0o777
        data = json.loads(path.read_text())
        secret = bytes.fromhex(data["secret"])
        seed = bytes.fromhex(data["signing_seed"])
        name = data["name"]
    except FileNotFoundError as exc:
        raise StateError(f"no authority in {directory}: run init first") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StateError(f"{path} is unreadable or malformed: {exc}") from exc
    if mode & 0o077:
        raise StateError(f"{path} is readable by others (mode {mode:o}); chmod 600 it")
    if len(secret) != 32 or len(seed) != 32 or not isinstance(name, str):
        raise StateError(f"{path} is malformed")
    return AuthorityKeys(name, secret, SigningKey(seed))


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold the directory's lock (one setup or serve at a time).

    Raises:
        StateError: another process holds it.
    """
    fd = os.open(directory / "lock", os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise StateError(f"{directory} is in use by another setup or serve") from exc
        yield
    finally:
        os.close(fd)


class AuthorityState:
    """The database and the answer log of one authority directory."""

    def __init__(self, directory: Path, *, readonly: bool = False) -> None:
        self.directory = directory
        self.lock = threading.RLock()
        """serve's threads share one connection: every use of it holds this lock"""
        self.log_path = directory / "answers.jsonl"
        path = directory / "state.sqlite3"
        if readonly:
            if not path.exists():
                raise StateError(f"no state in {directory}: run setup first")
            self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        else:
            self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        with self.lock:
            return self.db.execute(sql, params).fetchone()

    def _all(self, sql: str) -> list[Any]:
        with self.lock:
            return self.db.execute(sql).fetchall()

    def voter_count(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM voters")[0])

    def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        with self.lock:
            self.db.execute(sql, params)

    # --- setup ---------------------------------------------------------------

    def pinned(self) -> tuple[dict[str, Any], str] | None:
        """The setup header the authority pinned and its request hash, if any."""
        row = self._one("SELECT header, request_hash FROM setup WHERE id = 1")
        return (json.loads(row[0]), row[1]) if row else None

    def voter(self, credential: bytes) -> tuple[bytes, list[str]] | None:
        row = self._one(
            "SELECT voter_key, questions FROM voters WHERE credential = ?", (credential,)
        )
        return (row[0], json.loads(row[1])) if row else None

    # --- answers -------------------------------------------------------------

    def choice_answer(self, credential: bytes) -> tuple[str, dict[str, Any]] | None:
        row = self._one(
            "SELECT request_hash, answer FROM choice_answers WHERE credential = ?", (credential,)
        )
        return (row[0], json.loads(row[1])) if row else None

    def confirm_answer(self, credential: bytes, request_hash: str) -> dict[str, Any] | None:
        row = self._one(
            "SELECT answer FROM confirm_answers WHERE credential = ? AND request_hash = ?",
            (credential, request_hash),
        )
        return json.loads(row[0]) if row else None

    def attempts(self, credential: bytes) -> int:
        row = self._one("SELECT COUNT(*) FROM confirm_answers WHERE credential = ?", (credential,))
        return int(row[0])

    def record(self, answer: dict[str, Any]) -> None:
        """Log ``answer`` durably, then commit it to the database (before it is sent)."""
        line = canonical_json(answer) + b"\n"
        with self.lock, open(self.log_path, "ab") as log:
            log.write(line)
            log.flush()
            os.fsync(log.fileno())
        self._store(answer)

    def _store(self, answer: dict[str, Any]) -> None:
        credential = bytes.fromhex(answer["credential"])
        text = json.dumps(answer)
        if answer["type"] == "rc-choice-codes":
            self._write(
                "INSERT OR IGNORE INTO choice_answers VALUES (?, ?, ?)",
                (credential, answer["request"], text),
            )
        else:
            self._write(
                "INSERT OR IGNORE INTO confirm_answers VALUES (?, ?, ?, ?)",
                (credential, answer["request"], answer["attempt"], text),
            )

    def refuse(self, credential: bytes, reason: str) -> None:
        """Count a refusal for a known credential (bounded: one row per credential and reason)."""
        self._write(
            "INSERT INTO refusals VALUES (?, ?, 1) "
            "ON CONFLICT (credential, reason) DO UPDATE SET count = count + 1",
            (credential, reason),
        )

    def recover(self) -> int:
        """Restore logged answers the database lacks; drop a torn last line. Returns how many.

        Raises:
            StateError: a complete line of the log is not an answer.
        """
        if not self.log_path.exists():
            return 0
        data = self.log_path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end != len(data):  # a write the crash cut short: it was never answered
            with open(self.log_path, "r+b") as log:
                log.truncate(end)
                os.fsync(log.fileno())
        restored = 0
        for number, line in enumerate(data[:end].splitlines(), start=1):
            try:
                answer = json.loads(line)
                credential = bytes.fromhex(answer["credential"])
                kind, request = answer["type"], answer["request"]
                if kind not in ("rc-choice-codes", "rc-confirm") or (
                    kind == "rc-confirm" and type(answer["attempt"]) is not int
                ):
                    raise ValueError(kind)
            except (ValueError, KeyError, TypeError) as exc:
                raise StateError(f"{self.log_path} line {number} is not an answer") from exc
            known = (
                self.choice_answer(credential)
                if kind == "rc-choice-codes"
                else self.confirm_answer(credential, request)
            )
            if known is None:
                self._store(answer)
                restored += 1
        return restored

    # --- status --------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """Counts of voters, answers and refusals, and the log's head."""

        def count(sql: str) -> int:
            return int(self._one(sql)[0])

        pinned = self.pinned()
        refusals = dict(self._all("SELECT reason, SUM(count) FROM refusals GROUP BY reason"))
        return {
            "vote_day": pinned[0]["vote_day"] if pinned else None,
            "voters": count("SELECT COUNT(*) FROM voters"),
            "choice_codes_answered": count("SELECT COUNT(*) FROM choice_answers"),
            "confirmations": count("SELECT COUNT(*) FROM confirm_answers"),
            "confirmed_credentials": count(
                "SELECT COUNT(DISTINCT credential) FROM confirm_answers"
            ),
            "refusals": refusals,
            "log": log_head(self.log_path),
        }


def log_head(path: Path) -> dict[str, Any]:
    """The log's line count and the SHA-256 of the whole file (hex)."""
    if not path.exists():
        return {"lines": 0, "sha256": hashlib.sha256(b"").hexdigest()}
    digest = hashlib.sha256()
    lines = 0
    with open(path, "rb") as log:
        for chunk in iter(lambda: log.read(1 << 20), b""):
            digest.update(chunk)
            lines += chunk.count(b"\n")
    return {"lines": lines, "sha256": digest.hexdigest()}
