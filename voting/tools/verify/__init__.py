"""The independent verifier: re-check a whole election record with nothing but the record.

``python -m voting.verify RECORD`` (docs/verifier.md). It imports only
:mod:`crypto`, the pure outcome rules :mod:`voting.rules` and the standard
library: no web framework, no database, no network (a test enforces it). It
recomputes everything a voter, a party or a journalist must be able to check
(DESIGN.md section 1): the log's Merkle root against the final cosigned
checkpoint, the trustees' ceremony, the manifest and the credential lists,
every ballot, the re-vote policy, the encrypted totals, every decryption
proof, the counts, the clerks' signatures, the sums up the tree and every
outcome.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crypto import merkle
from crypto.note import Checkpoint
from crypto.receipt import Receipt
from crypto.witness import RosterMember
from crypto.witness.cosignature import CosignerKey
from voting.tools.verify.backends import Backend
from voting.tools.verify.backends import Dask
from voting.tools.verify.backends import Inline
from voting.tools.verify.backends import Processes
from voting.tools.verify.backends import SchedulerUnreachable
from voting.tools.verify.ballots import check_ballots
from voting.tools.verify.ceremony_checks import CeremonyOutcome
from voting.tools.verify.ceremony_checks import check_ceremony
from voting.tools.verify.log_checks import check_checkpoint
from voting.tools.verify.log_checks import check_merkle_root
from voting.tools.verify.log_checks import check_receipt
from voting.tools.verify.log_checks import check_roster_records
from voting.tools.verify.log_checks import check_witnesses
from voting.tools.verify.log_checks import parse_log_key
from voting.tools.verify.log_checks import read_receipt
from voting.tools.verify.log_checks import receipt_ranges
from voting.tools.verify.log_checks import unverified_checkpoint
from voting.tools.verify.manifest_checks import ElectionFacts
from voting.tools.verify.manifest_checks import check_credentials
from voting.tools.verify.manifest_checks import check_manifest
from voting.tools.verify.manifest_checks import check_schedule
from voting.tools.verify.record import RecordFiles
from voting.tools.verify.record import UnusableRecord
from voting.tools.verify.record import load_record
from voting.tools.verify.report import Report
from voting.tools.verify.results_checks import check_channels_and_results
from voting.tools.verify.return_code_checks import Authority
from voting.tools.verify.return_code_checks import check_return_codes
from voting.tools.verify.return_code_checks import require_authorities
from voting.tools.verify.source import EntrySource
from voting.tools.verify.source import EntryTooLarge
from voting.tools.verify.store import Store
from voting.tools.verify.structure import Entries
from voting.tools.verify.structure import check_sequence
from voting.tools.verify.structure import finish_entries
from voting.tools.verify.structure import index_entry
from voting.tools.verify.tally_checks import check_tally
from voting.tools.verify.tree import Frontier

__all__ = [
    "EntrySource",
    "Options",
    "Report",
    "SchedulerUnreachable",
    "StateMismatch",
    "UnusableRecord",
    "verify_record",
]

INDEX_CHECKPOINT_ENTRIES = 50_000
"""How many entries the first pass indexes between two saved snapshots."""


class StateMismatch(UnusableRecord):
    """The ``--state`` file was made for another record or with other trust options."""


@dataclass(frozen=True)
class Options:
    """How to verify."""

    jobs: int = 1
    receipt: Path | None = None
    log_key: str | None = None
    """the log's verifier key as the observer obtained it independently (optional)"""
    witnesses: int = 1
    """how many of the roster's witnesses must have cosigned the final checkpoint"""
    roster: tuple[RosterMember, ...] | None = None
    """the witnesses the observer trusts, from their own roster file (``--roster``);
    None: only the record's own roster, and the witness check is reported unpinned"""
    cosigners: tuple[CosignerKey, ...] = ()
    """the C2SP ``cosignature/v1`` witnesses of the observer's roster file"""
    tiles: str | None = None
    """read the entries from the log's C2SP tiles at this URL or directory (``--tiles``)"""
    scheduler: str | None = None
    """a Dask ``distributed`` scheduler's address: the ballots are checked on its workers"""
    state: Path | None = None
    """a file to keep the run's progress in: a rerun with it resumes (None: a temporary file)"""
    return_code_authorities: tuple[Authority, ...] | None = None
    """the return-code authorities' names and keys as the observer obtained them
    (``--return-code-authorities``); required for a record with return codes"""


Progress = Callable[[str, int, int], None]
"""progress(stage, done, total)"""


def verify_record(
    path: str | Path,
    options: Options = Options(),
    progress: Progress | None = None,
    source: EntrySource | None = None,
) -> Report:
    """Verify the record at ``path`` (a directory or a zip file).

    The entries are streamed twice from ``source`` (default: the record's
    ``entries.jsonl``), never held: memory does not grow with the record.
    With ``options.state`` the run saves its progress there and a rerun
    continues where it stopped, ending with the same report.

    Returns:
        The report; ``report.valid`` is False if any check failed.

    Raises:
        UnusableRecord: a file is missing or unreadable (nothing could be checked).
        StateMismatch: ``options.state`` belongs to another record or other options.
    """
    tick = progress or (lambda stage, done, total: None)
    files = load_record(path, tiles=options.tiles, log_key=options.log_key)
    entry_source = source or files.entries
    key = parse_log_key(files.log_key)
    final = unverified_checkpoint(files.checkpoint)
    receipt = read_receipt(options.receipt) if options.receipt is not None else None
    with _store(options.state) as store:
        run = store.snapshot()
        fingerprint = _fingerprint(files, options, receipt)
        if run is not None and run["fingerprint"] != fingerprint:
            raise StateMismatch(
                f"the state file {options.state} was made for another record or with other "
                "options (--log-key, --roster, --witnesses, --receipt): use a new one"
            )
        if run is None or run["phase"] == "index":
            run = _index(store, files, entry_source, final, receipt, run, fingerprint, tick)
        report: Report = run["report"]
        if run["phase"] == "done":
            return report
        tree: Frontier = run["tree"]
        entries = Entries(store, run["lifecycle"])
        store.size = tree.size
        if run["phase"] == "prelude":
            run = _prelude(store, run, files, entries, key, options)
        facts: ElectionFacts | None = run["facts"]
        if facts is not None:
            facts.credentials = store.credentials()
            backend = _backend(options)
            _check_election(report, store, run, entries, facts, entry_source, backend, tick)
        if receipt is not None:
            check_receipt(report, receipt, tree, files, key)
        store.save({"phase": "done", "fingerprint": fingerprint, "report": report})
    return report


@contextmanager
def _store(path: Path | None) -> Iterator[Store]:
    if path is not None:
        store = Store(path)
        try:
            yield store
        finally:
            store.close()
        return
    with tempfile.TemporaryDirectory(prefix="urna-verify-") as scratch:
        store = Store(Path(scratch) / "state.sqlite")
        try:
            yield store
        finally:
            store.close()


def _fingerprint(files: RecordFiles, options: Options, receipt: Receipt | None) -> str:
    parts = [
        files.checkpoint,
        files.log_key,
        repr(sorted(files.meta.items())),
        repr(options.log_key),
        repr(options.witnesses),
        repr(options.roster),
        repr(options.cosigners),
        repr(options.tiles),
        repr(receipt.to_json() if receipt is not None else None),
        repr(options.return_code_authorities),
    ]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _backend(options: Options) -> Backend:
    if options.scheduler is not None:
        return Dask(options.scheduler)
    return Processes(options.jobs) if options.jobs > 1 else Inline()


def _index(
    store: Store,
    files: RecordFiles,
    source: EntrySource,
    final: Checkpoint,
    receipt: Receipt | None,
    run: dict[str, Any] | None,
    fingerprint: str,
    tick: Progress,
) -> dict[str, Any]:
    """Pass 1: hash every entry into the tree and index it into the store."""
    if run is None:
        ranges = receipt_ranges(receipt, final) if receipt is not None else []
        run = {
            "phase": "index",
            "fingerprint": fingerprint,
            "report": Report(),
            "tree": Frontier([*ranges, (0, 1)]),
            "offset": 0,
        }
    report: Report = run["report"]
    tree: Frontier = run["tree"]
    store.discard_after(tree.size)
    store.size = tree.size
    tick("indexing", tree.size, final.size)
    try:
        for index, data in source.entries(tree.size, run["offset"]):
            tree.add(merkle.leaf_hash(data))
            index_entry(report, store, index, data)
            run["offset"] += len(data) + 1
            if tree.size % INDEX_CHECKPOINT_ENTRIES == 0:
                store.save(run)
                tick("indexing", tree.size, final.size)
    except EntryTooLarge as exc:
        raise UnusableRecord(str(exc)) from exc
    except OSError as exc:
        raise UnusableRecord(f"cannot read the entries of {source.description}: {exc}") from exc
    tick("indexing", tree.size, final.size)
    report.facts["entries"] = tree.size
    check_merkle_root(report, tree, final)
    finish_entries(report, Entries(store))
    run["phase"] = "prelude"
    run["lifecycle"] = {}
    store.save(run)
    return run


def _prelude(
    store: Store,
    run: dict[str, Any],
    files: RecordFiles,
    entries: Entries,
    key: Any,
    options: Options,
) -> dict[str, Any]:
    """The checks that need every non-ballot entry: the log, the ceremony, the manifest."""
    report: Report = run["report"]
    tree: Frontier = run["tree"]
    signed = check_checkpoint(report, files.checkpoint, key, options.log_key)
    with _stage(report, "witnesses"):
        check_witnesses(
            report, files, key, options.witnesses, signed, options.roster, options.cosigners
        )
    with _stage(report, "witnesses"):
        check_roster_records(report, files, entries)
    first = entries.records[0] if entries.records else None
    with _stage(report, "sequence"):
        check_sequence(report, entries, (first or {}).get("vote_day"))
    ceremony = CeremonyOutcome(None, None)
    leaf0 = tree.leaf(0)
    with _stage(report, "ceremony"):
        ceremony = check_ceremony(report, entries, [leaf0] if leaf0 is not None else [])
    facts = None
    with _stage(report, "manifest"):
        facts = check_manifest(report, entries, ceremony, key)
    if facts is not None:
        require_authorities(facts, options.return_code_authorities)
        facts.credentials = store.credentials()
        with _stage(report, "schedule"):
            check_schedule(report, entries, facts)
        with _stage(report, "credentials"):
            check_credentials(report, entries, facts)
    else:
        for name in ("schedule", "credentials", "ballots", "encrypted-totals", "results"):
            report.skip(name, "no usable manifest")
    if facts is not None and "return_codes" not in facts.manifest:
        report.skip("return-codes", "the vote day has no return codes")
    elif facts is not None and options.return_code_authorities is not None:
        facts.confirmed = set()
        with _stage(report, "return-codes"):
            facts.confirmed = check_return_codes(
                report, entries, facts, options.return_code_authorities
            )
    run.update(phase="ballots", lifecycle=entries.lifecycle, facts=facts, ceremony=ceremony)
    run["ballots"] = None
    store.save(run)
    return run


def _check_election(
    report: Report,
    store: Store,
    run: dict[str, Any],
    entries: Entries,
    facts: ElectionFacts,
    source: EntrySource,
    backend: Backend,
    tick: Progress,
) -> None:
    """Everything that rests on the ballots: the ballots, the tally, the results."""
    total = store.count("ballot") + store.count("spoiled")
    done = run["ballots"]["checked"] if run["ballots"] else 0

    def ballot_progress(count: int) -> None:
        nonlocal done
        done += count
        tick("ballots", done, total)

    def save(state: dict[str, Any]) -> None:
        run["ballots"] = state
        store.save(run)

    tick("ballots", done, total)
    started = time.perf_counter()
    sums = None
    with _stage(report, "ballots"):
        try:
            sums = check_ballots(
                report,
                entries,
                source,
                facts,
                backend=backend,
                progress=ballot_progress,
                resume=run["ballots"],
                checkpoint=save,
            )
        except EntryTooLarge as exc:
            raise UnusableRecord(str(exc)) from exc
    report.facts["ballot_seconds"] = round(time.perf_counter() - started, 3)
    ceremony: CeremonyOutcome = run["ceremony"]
    if sums is not None:
        with _stage(report, "encrypted-totals"):
            check_tally(report, entries, facts, ceremony, sums)
    with _stage(report, "results"):
        check_channels_and_results(report, entries, facts)


@contextmanager
def _stage(report: Report, check: str) -> Iterator[None]:
    """Run a check; content it cannot even read fails it (the verifier never crashes on it)."""
    try:
        yield
    except (UnusableRecord, SchedulerUnreachable):
        raise
    except Exception as exc:
        report.fail(check, f"cannot be checked: malformed content ({type(exc).__name__}: {exc})")
