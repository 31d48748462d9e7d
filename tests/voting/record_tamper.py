"""Helpers to tamper with an election record the way an attacker (or a buggy server) would.

A tamperer edits the entries and then, depending on what it holds, leaves the
final checkpoint as it was, re-signs a checkpoint of the new tree with its own
key, or — an insider with the log's key and the witnesses' keys, or an honest
server that logged something wrong — re-signs and re-cosigns with the real
keys, so that only the content checks can catch the change.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crypto import merkle
from crypto.encoding import canonical_json
from crypto.note import Checkpoint
from crypto.note import NoteSigner
from crypto.note import add_signatures
from crypto.note import parse_note
from crypto.note import sign_checkpoint
from crypto.witness import WitnessSecretKey
from crypto.witness import aggregate_cosignatures
from crypto.witness import sign_checkpoint as cosign
from voting.tools.verify.__main__ import main as verify_main


@dataclass(frozen=True)
class Keys:
    """The keys of the rehearsal that made the record (the tests play the insider)."""

    log_seed: bytes
    origin: str
    witness_secrets: tuple[bytes, ...]
    roster_name: str


class Record:
    """A writable copy of a record directory."""

    def __init__(self, source: Path, target: Path) -> None:
        shutil.copytree(source, target)
        self.path = target
        self.entries = (target / "entries.jsonl").read_bytes()[:-1].split(b"\n")

    def record(self, index: int) -> dict[str, Any]:
        return dict(json.loads(self.entries[index]))

    def set_record(self, index: int, record: dict[str, Any]) -> None:
        self.entries[index] = canonical_json(record)

    def indexes(self, kind: str) -> list[int]:
        return [i for i in range(len(self.entries)) if self.record(i)["type"] == kind]

    def save(self) -> None:
        (self.path / "entries.jsonl").write_bytes(b"".join(e + b"\n" for e in self.entries))

    def reseal(self, seed: bytes, origin: str, keys: Keys | None = None) -> None:
        """Save, then sign a checkpoint of the new tree with ``seed``; cosign if ``keys``."""
        self.save()
        root = merkle.root_hash([merkle.leaf_hash(e) for e in self.entries])
        note = sign_checkpoint(
            Checkpoint(origin, len(self.entries), root), NoteSigner(origin, seed)
        )
        if keys is not None and keys.witness_secrets:
            text = parse_note(note).text
            signatures = {
                i: cosign(WitnessSecretKey.from_bytes(secret), text)
                for i, secret in enumerate(keys.witness_secrets)
            }
            note = add_signatures(note, [aggregate_cosignatures(signatures).line(keys.roster_name)])
        (self.path / "checkpoint.txt").write_text(note)

    def reseal_as_insider(self, keys: Keys) -> None:
        self.reseal(keys.log_seed, keys.origin, keys)


def run_verifier(path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    """Run ``python -m voting.verify PATH --json`` in process; return (exit code, report)."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = verify_main([str(path), "--json", "--jobs", "1", "--no-progress", *extra])
    text = out.getvalue()
    return code, json.loads(text) if text.strip() else {}


def failures(report: dict[str, Any], check: str) -> list[dict[str, Any]]:
    for item in report["checks"]:
        if item["check"] == check:
            return list(item["failures"])
    return []


def messages(report: dict[str, Any], check: str) -> str:
    return "\n".join(f["message"] for f in failures(report, check))


Tamper = Callable[[Record], None]
