"""The streaming verifier: no size cap, bounded memory, resume, and three backends, one report."""

from __future__ import annotations

import io
import os
import tracemalloc
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.voting.record_tamper import Keys
from voting.rehearsal.rehearse import RehearsalSummary
from voting.tools.verify import Options
from voting.tools.verify import StateMismatch
from voting.tools.verify import UnusableRecord
from voting.tools.verify import backends
from voting.tools.verify import ballots
from voting.tools.verify import verify_record
from voting.tools.verify.record import load_record
from voting.tools.verify.source import MAX_ENTRY_BYTES
from voting.tools.verify.source import DirectorySource
from voting.tools.verify.source import EntrySource
from voting.tools.verify.source import EntryTooLarge
from voting.tools.verify.source import _lines

Rehearsed = tuple[RehearsalSummary, Keys]
OLD_CAP = 4 << 30
TIMINGS = ("ballot_seconds", "ballot_cpu_seconds")


def _report(record: Path, options: Options, **kw: Any) -> dict[str, Any]:
    report = verify_record(record, options, **kw).to_json()
    for timing in TIMINGS:
        assert report["facts"].pop(timing) >= 0
    return report


@pytest.fixture(scope="module")
def reference(rehearsed: Rehearsed) -> dict[str, Any]:
    """The in-process report of the rehearsed record."""
    return _report(rehearsed[0].record, Options(jobs=1))


# --- no size cap ---------------------------------------------------------------


class _Synthetic(io.RawIOBase):
    """A read-only stream of ``size`` bytes: 1 MiB lines, generated, never stored."""

    LINE = b"x" * ((1 << 20) - 1) + b"\n"

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        block = self.LINE[: min(len(self.LINE), self.left)]
        self.left -= len(block)
        return block


def test_the_reader_streams_past_the_old_4_gib_cap_in_bounded_memory() -> None:
    # What this proves: the line reader every line-framed source uses reads
    # more than the old cap (4 GiB + 64 MiB of newline-framed entries, made on
    # the fly) front to back and never holds more than about one read block.
    # It does not prove a real 4 GiB record verifies (test_benchmarks and
    # benchmarks/verify_bench.py cover the verifier's memory per ballot).
    size = OLD_CAP + (64 << 20)
    tracemalloc.start()
    try:
        count = sum(1 for _ in _lines(_Synthetic(size), 0, "synthetic"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == size >> 20
    assert peak < 8 << 20


def test_a_record_over_the_old_cap_is_opened_and_read_up_to_a_hostile_entry(
    rehearsed: Rehearsed, tmp_path: Path
) -> None:
    # A sparse entries.jsonl of 4 GiB + the real entries' size: the real
    # entries, then a hole (zeros, no newline). The old verifier refused the
    # file by its size before reading it; this one streams the real entries
    # and stops at the hole, naming the first leaf that is not an entry.
    record = tmp_path / "record"
    record.mkdir()
    for item in rehearsed[0].record.iterdir():
        (record / item.name).write_bytes(item.read_bytes())
    entries = record / "entries.jsonl"
    real = entries.read_bytes().count(b"\n")
    with open(entries, "r+b") as stream:
        stream.truncate(OLD_CAP + stream.seek(0, os.SEEK_END))
    assert entries.stat().st_size > OLD_CAP
    read = []
    with pytest.raises(EntryTooLarge, match=f"entry {real} "):
        for index, _ in load_record(record).entries.entries():
            read.append(index)
    assert read == list(range(real))
    with pytest.raises(UnusableRecord, match=f"entry {real} .* longer than {MAX_ENTRY_BYTES}"):
        verify_record(record, Options(jobs=1))


def test_the_hole_of_a_sparse_file_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "entries.jsonl"
    with open(path, "wb") as stream:
        stream.truncate(OLD_CAP)
    tracemalloc.start()
    try:
        with pytest.raises(EntryTooLarge, match="entry 0 "):
            list(DirectorySource(path).entries())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * MAX_ENTRY_BYTES  # one over-long entry (and its buffer's growth), not 4 GiB


# --- bounded memory --------------------------------------------------------------


class _Tracked(bytearray):
    """An entry whose lifetime the test can watch (bytes cannot be weakly referenced)."""


class _Watching:
    """An entry source that counts the entries it gave out that are still alive."""

    def __init__(self, inner: EntrySource) -> None:
        self.inner = inner
        self.description = inner.description
        self.alive = 0
        self.most_alive = 0
        self.given = 0

    def _gone(self) -> None:
        self.alive -= 1

    def entries(self, start: int = 0, offset: int = 0) -> Iterator[tuple[int, bytes]]:
        for index, data in self.inner.entries(start, offset):
            entry = _Tracked(data)
            weakref.finalize(entry, self._gone)
            self.alive += 1
            self.given += 1
            self.most_alive = max(self.most_alive, self.alive)
            yield index, entry


def test_the_verifier_holds_a_few_entries_at_a_time(
    rehearsed: Rehearsed, reference: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The old verifier held every entry (and its parsed record) to the end:
    # here at most the chunk of ballots being applied, the next one being
    # filled and the entry being read are alive (2 × 2 + 1), of 79 entries.
    monkeypatch.setattr(backends.Inline, "chunk", 2)
    record = rehearsed[0].record
    source = _Watching(load_record(record).entries)
    assert _report(record, Options(jobs=1), source=source) == reference
    entries = reference["facts"]["entries"]
    assert entries > 50
    assert source.given == 2 * entries  # two passes: index, then check the ballots
    assert source.most_alive <= 2 * 2 + 1, source.most_alive


# --- resume ---------------------------------------------------------------------------


class Killed(BaseException):
    """The verifier's process stops here (as on SIGKILL: nothing after it runs)."""


class _Dying:
    """An entry source that kills the run after ``after`` entries in pass ``on_pass``."""

    def __init__(self, inner: EntrySource, on_pass: int, after: int) -> None:
        self.inner, self.on_pass, self.after = inner, on_pass, after
        self.description = inner.description
        self.passes = 0
        self.given = 0

    def entries(self, start: int = 0, offset: int = 0) -> Iterator[tuple[int, bytes]]:
        self.passes += 1
        for count, item in enumerate(self.inner.entries(start, offset)):
            if self.passes == self.on_pass and count == self.after:
                raise Killed
            self.given += 1
            yield item


@pytest.mark.parametrize("on_pass", [1, 2], ids=["while-indexing", "while-checking-ballots"])
def test_a_rerun_with_the_state_file_continues_and_gives_the_same_report(
    rehearsed: Rehearsed,
    reference: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    on_pass: int,
) -> None:
    import voting.tools.verify as verifier

    monkeypatch.setattr(verifier, "INDEX_CHECKPOINT_ENTRIES", 10)
    monkeypatch.setattr(ballots, "CHECKPOINT_SECONDS", 0.0)
    monkeypatch.setattr(backends.Inline, "chunk", 3)
    record = rehearsed[0].record
    state = tmp_path / "state.sqlite"
    options = Options(jobs=1, state=state)
    entries = reference["facts"]["entries"]
    dying = _Dying(load_record(record).entries, on_pass, after=entries // 2)
    with pytest.raises(Killed):
        verify_record(record, options, source=dying)
    again = _Dying(load_record(record).entries, 0, 0)
    assert _report(record, options, source=again) == reference
    assert (
        again.given < 2 * entries - entries // 3
    )  # it continued: it did not read everything again
    done = _Dying(load_record(record).entries, 0, 0)
    assert _report(record, options, source=done) == reference
    assert done.given == 0  # a finished state gives the report without reading anything


def test_a_state_file_of_other_options_is_refused(rehearsed: Rehearsed, tmp_path: Path) -> None:
    record = rehearsed[0].record
    state = tmp_path / "state.sqlite"
    verify_record(record, Options(jobs=1, state=state))
    with pytest.raises(StateMismatch, match="other options"):
        verify_record(record, Options(jobs=1, state=state, witnesses=2))


def test_a_state_file_that_is_not_one_is_named(rehearsed: Rehearsed, tmp_path: Path) -> None:
    state = tmp_path / "notes.txt"
    state.write_text("my notes, not a database\n" * 100)
    with pytest.raises(UnusableRecord, match=r"cannot use .*notes\.txt as the verifier's state"):
        verify_record(rehearsed[0].record, Options(jobs=1, state=state))
    assert state.read_text().startswith("my notes")


# --- backends ---------------------------------------------------------------------------


def test_worker_processes_give_the_in_process_report(
    rehearsed: Rehearsed, reference: dict[str, Any]
) -> None:
    assert _report(rehearsed[0].record, Options(jobs=2)) == reference


def test_a_dask_cluster_gives_the_in_process_report(
    rehearsed: Rehearsed, reference: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two in-process workers behind a real scheduler on a TCP port: the
    # tasks and their results cross the scheduler's protocol (chunks of 4
    # ballots, so several tasks are in flight on both workers at once).
    from distributed import LocalCluster

    monkeypatch.setattr(backends.Dask, "chunk", 4)
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://")
        report = _report(rehearsed[0].record, Options(scheduler=cluster.scheduler_address))
    assert report == reference


def _count(context: Any, chunk: list[bytes]) -> int:
    return len(chunk)


def test_the_dask_client_keeps_no_log_of_the_chunks_it_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Dask's client kept its last 1,000 messages (each task a chunk of ballots,
    # ≈400 KB): the verifier grew by ≈4 MB per 1,000 ballots on 100,000.
    import distributed
    from distributed import LocalCluster

    clients: list[Any] = []

    class Recorded(distributed.Client):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            clients.append(self)

    chunks = (([b"ballot"] * 3, leaf, leaf) for leaf in range(30))
    with LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        monkeypatch.setattr(distributed, "Client", Recorded)
        monkeypatch.setattr(backends, "verify_chunk", _count)
        results = []
        for *_, result in backends.Dask(cluster.scheduler_address).run(None, chunks):
            results.append(result)
            held = len(clients[0].scheduler_comm.recent_message_log)
            assert held <= backends.Dask.message_log, held
    assert results == [3] * 30


def test_an_unreachable_scheduler_is_named(
    rehearsed: Rehearsed, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from voting.tools.verify.__main__ import main

    monkeypatch.setattr(backends.Dask, "timeout", 1.0)
    code = main([str(rehearsed[0].record), "--scheduler", "tcp://127.0.0.1:9", "--no-progress"])
    assert code == 2
    assert "cannot reach the scheduler tcp://127.0.0.1:9" in capsys.readouterr().err
