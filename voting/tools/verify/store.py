"""What the streaming verifier remembers between entries, on disk (sqlite3, standard library).

The verifier's memory is bounded by the number of units and questions, not
by ballots or voters: everything that grows with them lives in one SQLite
file (a temporary file, or ``--state FILE`` to resume):

- ``records``: the non-ballot entries (lifecycle, ceremony, manifest,
  credential lists, tally, results), raw bytes, parsed again on demand;
- ``casting``: one row per ``ballot`` or ``spoiled`` leaf: its type, its
  credential, its leaf hash (the second pass must be given the same bytes)
  and whether it is the counted ballot of that credential;
- ``credentials``: every registered credential and its unit;
- ``content``: a 16-byte digest of every ballot content key and the first
  leaf that held it (the replay check, :mod:`voting.tools.verify.ballots`);
- ``deferred``: the results of the audited ballots, applied after the cast
  ones so that failures are listed in the same order as ever;
- ``progress``: a pickled snapshot of the run (phase, next leaf, Merkle
  frontier, partial report and sums), written in the same transaction as the
  rows it covers, so a run interrupted at any point resumes from its last
  snapshot and ends with the same report.

The state file is the verifier's own scratch space: it is trusted like
the verifier's memory (do not verify with a state file someone else gave you).
"""

from __future__ import annotations

import functools
import json
import pickle
import sqlite3
from collections.abc import Iterator
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from voting.tools.verify.record import UnusableRecord

__all__ = ["CredentialMap", "Store", "UnusableState"]


class UnusableState(UnusableRecord):
    """The ``--state`` file cannot be opened or is not a SQLite database of the verifier."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (leaf INTEGER PRIMARY KEY, kind TEXT, data BLOB);
CREATE INDEX IF NOT EXISTS records_kind ON records (kind, leaf);
CREATE TABLE IF NOT EXISTS casting (
    leaf INTEGER PRIMARY KEY, kind TEXT NOT NULL, credential TEXT, hash BLOB NOT NULL,
    counted INTEGER DEFAULT 0
);
CREATE INDEX IF NOT EXISTS casting_credential ON casting (credential, leaf);
CREATE TABLE IF NOT EXISTS credentials (key TEXT PRIMARY KEY, unit TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS content (key BLOB PRIMARY KEY, leaf INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deferred (leaf INTEGER PRIMARY KEY, result BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS progress (name TEXT PRIMARY KEY, value BLOB NOT NULL);
"""


class Store:
    """One SQLite database; ``path`` None keeps it in memory (small records, tests)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        try:
            self.db = sqlite3.connect(":memory:" if path is None else str(path))
            self.db.execute("PRAGMA journal_mode = WAL" if path else "PRAGMA journal_mode = MEMORY")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.executescript(_SCHEMA)
            self.db.commit()
        except sqlite3.Error as exc:
            raise UnusableState(f"cannot use {path} as the verifier's state file: {exc}") from exc
        self.size = 0
        self._record = functools.lru_cache(maxsize=16)(self._load)

    def close(self) -> None:
        self.db.close()

    # --- the run's snapshot ------------------------------------------------

    def snapshot(self) -> dict[str, Any] | None:
        row = self.db.execute("SELECT value FROM progress WHERE name = 'run'").fetchone()
        return pickle.loads(row[0]) if row else None  # noqa: S301 (the user's own state file)

    def save(self, snapshot: dict[str, Any]) -> None:
        """Commit the snapshot together with every row written since the last one."""
        self.db.execute(
            "INSERT OR REPLACE INTO progress VALUES ('run', ?)", (pickle.dumps(snapshot),)
        )
        self.db.commit()

    def discard_after(self, leaf: int) -> None:
        """Forget rows of leaves from ``leaf`` on (an interrupted pass wrote, never committed)."""
        for table in ("records", "casting"):
            self.db.execute(f"DELETE FROM {table} WHERE leaf >= ?", (leaf,))  # noqa: S608

    # --- entries ------------------------------------------------------------

    def add_record(self, leaf: int, kind: str | None, data: bytes | None) -> None:
        self.db.execute("INSERT INTO records VALUES (?, ?, ?)", (leaf, kind, data))

    def add_casting(self, leaf: int, kind: str, credential: str | None, leaf_hash: bytes) -> None:
        self.db.execute(
            "INSERT INTO casting (leaf, kind, credential, hash) VALUES (?, ?, ?, ?)",
            (leaf, kind, credential, leaf_hash),
        )

    def record(self, leaf: int) -> dict[str, Any] | None:
        return self._record(leaf)

    def _load(self, leaf: int) -> dict[str, Any] | None:
        row = self.db.execute("SELECT kind, data FROM records WHERE leaf = ?", (leaf,)).fetchone()
        if row is None:
            kind = self.db.execute("SELECT kind FROM casting WHERE leaf = ?", (leaf,)).fetchone()
            return {"type": kind[0]} if kind else None
        if row[1] is None:
            return None
        record: dict[str, Any] = json.loads(row[1])
        return record

    def of(self, kind: str) -> list[int]:
        table = "casting" if kind in ("ballot", "spoiled") else "records"
        rows = self.db.execute(
            f"SELECT leaf FROM {table} WHERE kind = ? ORDER BY leaf",  # noqa: S608
            (kind,),
        )
        return [leaf for (leaf,) in rows]

    def count(self, kind: str) -> int:
        row = self.db.execute("SELECT COUNT(*) FROM casting WHERE kind = ?", (kind,)).fetchone()
        return int(row[0])

    def casting_outside(self, kind: str, lo: int, hi: int) -> tuple[list[int], list[int]]:
        """The ``kind`` leaves before ``lo`` and after ``hi``."""
        early = self.db.execute(
            "SELECT leaf FROM casting WHERE kind = ? AND leaf < ? ORDER BY leaf", (kind, lo)
        )
        before = [leaf for (leaf,) in early]
        late = self.db.execute(
            "SELECT leaf FROM casting WHERE kind = ? AND leaf > ? ORDER BY leaf", (kind, hi)
        )
        return before, [leaf for (leaf,) in late]

    # --- ballots --------------------------------------------------------------

    def mark_counted(self, policy: str) -> None:
        pick = "MIN" if policy == "first-counts" else "MAX"
        self.db.execute("UPDATE casting SET counted = 0")
        self.db.execute(
            f"UPDATE casting SET counted = 1 WHERE leaf IN (SELECT {pick}(leaf) FROM casting "  # noqa: S608
            "WHERE kind = 'ballot' AND credential IS NOT NULL GROUP BY credential)"
        )

    def uncount_except(self, leaves: set[int]) -> None:
        """Count no ballot outside ``leaves`` (return codes: only confirmed ballots count)."""
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (leaf INTEGER PRIMARY KEY)")
        self.db.execute("DELETE FROM keep")
        self.db.executemany("INSERT INTO keep VALUES (?)", [(leaf,) for leaf in sorted(leaves)])
        self.db.execute("UPDATE casting SET counted = 0 WHERE leaf NOT IN (SELECT leaf FROM keep)")

    def casting_hash(self, leaf: int) -> bytes | None:
        """The leaf hash of the ``ballot`` at ``leaf`` (None: no ballot there)."""
        row = self.db.execute(
            "SELECT hash FROM casting WHERE leaf = ? AND kind = 'ballot'", (leaf,)
        ).fetchone()
        return bytes(row[0]) if row else None

    def repeated(self) -> Iterator[tuple[str, list[int]]]:
        """Credentials with more than one ballot, in the order of their first ballot."""
        rows = self.db.execute(
            "SELECT credential, group_concat(leaf) FROM (SELECT credential, leaf FROM casting "
            "WHERE kind = 'ballot' AND credential IS NOT NULL ORDER BY leaf) "
            "GROUP BY credential HAVING COUNT(*) > 1 ORDER BY MIN(leaf)"
        )
        for credential, leaves in rows:
            yield credential, sorted(int(x) for x in leaves.split(","))

    def counted_stats(self) -> tuple[int, int]:
        """(counted ballots, ballots with a credential)."""
        row = self.db.execute(
            "SELECT SUM(counted), COUNT(*) FROM casting "
            "WHERE kind = 'ballot' AND credential IS NOT NULL"
        ).fetchone()
        return int(row[0] or 0), int(row[1])

    def counted_per_unit(self) -> dict[str, int]:
        rows = self.db.execute(
            "SELECT r.unit, COUNT(*) FROM casting c JOIN credentials r ON r.key = c.credential "
            "WHERE c.counted = 1 GROUP BY r.unit ORDER BY r.unit"
        )
        return {unit: count for unit, count in rows}

    def units_cast(self) -> list[str]:
        rows = self.db.execute(
            "SELECT DISTINCT r.unit FROM casting c JOIN credentials r ON r.key = c.credential "
            "ORDER BY r.unit"
        )
        return [unit for (unit,) in rows]

    def casting_from(
        self, leaf: int, page: int = 4096
    ) -> Iterator[tuple[int, str, str | None, bool, bytes]]:
        """(leaf, kind, unit, counted, leaf hash) of every casting leaf from ``leaf`` on."""
        while True:
            rows = self.db.execute(
                "SELECT c.leaf, c.kind, r.unit, c.counted, c.hash FROM casting c "
                "LEFT JOIN credentials r ON r.key = c.credential WHERE c.leaf >= ? "
                "ORDER BY c.leaf LIMIT ?",
                (leaf, page),
            ).fetchall()
            for row in rows:
                yield row[0], row[1], row[2], bool(row[3]), row[4]
            if len(rows) < page:
                return
            leaf = rows[-1][0] + 1

    def first_holder(self, key: bytes, leaf: int) -> int:
        """Record that ``leaf`` holds content ``key``; return the first leaf that held it."""
        cursor = self.db.execute("INSERT OR IGNORE INTO content VALUES (?, ?)", (key, leaf))
        if cursor.rowcount == 1:
            return leaf
        row = self.db.execute("SELECT leaf FROM content WHERE key = ?", (key,)).fetchone()
        return int(row[0])

    def defer(self, leaf: int, result: Any) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO deferred VALUES (?, ?)", (leaf, pickle.dumps(result))
        )

    def deferred(self) -> Iterator[tuple[int, Any]]:
        last = -1
        while True:
            rows = self.db.execute(
                "SELECT leaf, result FROM deferred WHERE leaf > ? ORDER BY leaf LIMIT 1024", (last,)
            ).fetchall()
            for leaf, blob in rows:
                yield leaf, pickle.loads(blob)  # noqa: S301 (the user's own state file)
            if len(rows) < 1024:
                return
            last = rows[-1][0]

    def credentials(self) -> CredentialMap:
        return CredentialMap(self)


class CredentialMap(MutableMapping[str, str]):
    """The registered credentials (public key hex → unit), in the store, not in memory."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __getstate__(self) -> dict[str, Any]:
        return {}  # reattached to the store on resume (never pickled with its connection)

    def __getitem__(self, key: str) -> str:
        row = self.store.db.execute("SELECT unit FROM credentials WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return str(row[0])

    def __contains__(self, key: object) -> bool:
        return (
            self.store.db.execute("SELECT 1 FROM credentials WHERE key = ?", (key,)).fetchone()
            is not None
        )

    def __setitem__(self, key: str, unit: str) -> None:
        self.store.db.execute("INSERT OR REPLACE INTO credentials VALUES (?, ?)", (key, unit))

    def __delitem__(self, key: str) -> None:
        self.store.db.execute("DELETE FROM credentials WHERE key = ?", (key,))

    def __iter__(self) -> Iterator[str]:
        return (key for (key,) in self.store.db.execute("SELECT key FROM credentials"))

    def __len__(self) -> int:
        return int(self.store.db.execute("SELECT COUNT(*) FROM credentials").fetchone()[0])
