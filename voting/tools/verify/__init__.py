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

import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from crypto import merkle
from crypto.witness import RosterMember
from crypto.witness.cosignature import CosignerKey
from voting.tools.verify.ballots import check_ballots
from voting.tools.verify.ceremony_checks import CeremonyOutcome
from voting.tools.verify.ceremony_checks import check_ceremony
from voting.tools.verify.log_checks import check_checkpoint
from voting.tools.verify.log_checks import check_merkle_root
from voting.tools.verify.log_checks import check_receipt
from voting.tools.verify.log_checks import check_roster_records
from voting.tools.verify.log_checks import check_witnesses
from voting.tools.verify.log_checks import parse_log_key
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
from voting.tools.verify.structure import Entries
from voting.tools.verify.structure import check_sequence
from voting.tools.verify.structure import parse_entries
from voting.tools.verify.tally_checks import check_tally

__all__ = ["Options", "Report", "UnusableRecord", "verify_record"]


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


Progress = Callable[[str, int, int], None]
"""progress(stage, done, total)"""


def verify_record(
    path: str | Path, options: Options = Options(), progress: Progress | None = None
) -> Report:
    """Verify the record at ``path`` (a directory or a zip file).

    Returns:
        The report; ``report.valid`` is False if any check failed.

    Raises:
        UnusableRecord: a file is missing or unreadable (nothing could be checked).
    """
    tick = progress or (lambda stage, done, total: None)
    files = load_record(path, tiles=options.tiles, log_key=options.log_key)
    key = parse_log_key(files.log_key)
    final = unverified_checkpoint(files.checkpoint)
    report = Report()
    report.facts["entries"] = len(files.entries)
    tick("hashing", 0, len(files.entries))
    leaf_hashes = [merkle.leaf_hash(data) for data in files.entries]
    check_merkle_root(report, leaf_hashes, final)
    signed = check_checkpoint(report, files.checkpoint, key, options.log_key)
    with _stage(report, "witnesses"):
        check_witnesses(
            report, files, key, options.witnesses, signed, options.roster, options.cosigners
        )
    entries = parse_entries(report, files.entries)
    with _stage(report, "witnesses"):
        check_roster_records(report, files, entries)
    first = entries.records[0] if entries.records else None
    with _stage(report, "sequence"):
        check_sequence(report, entries, (first or {}).get("vote_day"))
    ceremony = CeremonyOutcome(None, None)
    with _stage(report, "ceremony"):
        ceremony = check_ceremony(report, entries, leaf_hashes)
    facts = None
    with _stage(report, "manifest"):
        facts = check_manifest(report, entries, ceremony, key)
    if facts is not None:
        _check_election(report, files, entries, facts, ceremony, options.jobs, tick)
    else:
        for name in ("schedule", "credentials", "ballots", "encrypted-totals", "results"):
            report.skip(name, "no usable manifest")
    if options.receipt is not None:
        check_receipt(report, options.receipt, leaf_hashes, files, key)
    return report


def _check_election(
    report: Report,
    files: RecordFiles,
    entries: Entries,
    facts: ElectionFacts,
    ceremony: CeremonyOutcome,
    jobs: int,
    tick: Progress,
) -> None:
    """Everything that rests on the manifest: schedule, credentials, ballots, tally, results."""
    with _stage(report, "schedule"):
        check_schedule(report, entries, facts)
    with _stage(report, "credentials"):
        check_credentials(report, entries, facts)
    total = len(entries.of("ballot")) + len(entries.of("spoiled"))
    done = 0

    def ballot_progress(count: int) -> None:
        nonlocal done
        done += count
        tick("ballots", done, total)

    tick("ballots", 0, total)
    started = time.perf_counter()
    sums = None
    with _stage(report, "ballots"):
        sums = check_ballots(
            report, entries, files.entries, facts, jobs=jobs, progress=ballot_progress
        )
    report.facts["ballot_seconds"] = round(time.perf_counter() - started, 3)
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
    except UnusableRecord:
        raise
    except Exception as exc:
        report.fail(check, f"cannot be checked: malformed content ({type(exc).__name__}: {exc})")
