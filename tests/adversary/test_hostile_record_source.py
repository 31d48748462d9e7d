"""A hostile record or entry source against the streaming verifier (docs/threat-model.md).

The verifier reads the entries twice (to hash and index them, then to check
the ballots) from an entry source it does not trust: a file that may change,
a zip, or a log server's tiles. A source that shows the second pass other
bytes than the first could have the verifier check ballots that are not the
logged ones; an entry of gigabytes could exhaust its memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.voting.conftest import rehearsed  # noqa: F401  (the rehearsed record fixture)
from tests.voting.record_tamper import Keys
from tests.voting.record_tamper import Record
from tests.voting.record_tamper import run_verifier
from voting.rehearsal.rehearse import RehearsalSummary
from voting.tools.verify import Options
from voting.tools.verify import verify_record
from voting.tools.verify.ballots import UnstableSource
from voting.tools.verify.record import load_record
from voting.tools.verify.source import MAX_ENTRY_BYTES
from voting.tools.verify.source import EntrySource

Rehearsed = tuple[RehearsalSummary, Keys]


class _TwoFaced:
    """Honest bytes on the first pass; on the second, leaf ``leaf`` is swapped for ``other``."""

    def __init__(self, inner: EntrySource, leaf: int, other: bytes) -> None:
        self.inner, self.leaf, self.other = inner, leaf, other
        self.description = "a two-faced log server"
        self.passes = 0

    def entries(self, start: int = 0, offset: int = 0) -> Iterator[tuple[int, bytes]]:
        self.passes += 1
        for index, data in self.inner.entries(start, offset):
            yield index, (self.other if self.passes > 1 and index == self.leaf else data)


def test_a_source_that_shows_the_ballot_pass_another_ballot_is_caught(
    rehearsed: Rehearsed,  # noqa: F811
    tmp_path: Path,
) -> None:
    # The log holds a ballot with a broken signature (an insider logged it
    # and sealed the log); the source serves the honest ballot to the pass
    # that checks ballots. Were the second pass not held to the first pass's
    # leaf hashes, the record would verify as VALID.
    summary, keys = rehearsed
    record = Record(summary.record, tmp_path / "record")
    leaf = record.indexes("ballot")[0]
    honest = record.entries[leaf]
    forged = record.record(leaf)
    signature = forged["ballot"]["signature"]
    forged["ballot"]["signature"] = signature[:-2] + ("00" if signature[-2:] != "00" else "01")
    record.set_record(leaf, forged)
    record.reseal_as_insider(keys)
    code, report = run_verifier(record.path)
    assert code == 1 and "ballots" in report["failed"]  # the logged ballot is caught ...
    source = _TwoFaced(load_record(record.path).entries, leaf, honest)
    with pytest.raises(UnstableSource, match=f"leaf {leaf} different bytes"):
        verify_record(record.path, Options(jobs=1), source=source)  # ... and the swap too
    assert source.passes == 2


def test_an_entry_of_more_than_64_mib_makes_the_record_unusable(
    rehearsed: Rehearsed,  # noqa: F811
    tmp_path: Path,
) -> None:
    # One hostile line, longer than any entry can be: the verifier stops at
    # it (exit 2, naming the leaf) instead of buffering it whole.
    summary, keys = rehearsed
    record = Record(summary.record, tmp_path / "record")
    at = record.indexes("ballot")[0]
    record.entries.insert(at, json.dumps({"type": "x" * (MAX_ENTRY_BYTES + 1)}).encode())
    record.reseal_as_insider(keys)
    code, report = run_verifier(record.path)
    assert code == 2 and report == {}
