"""``python -m voting.verify RECORD [--log-key KEY] [--roster FILE] [--json]`` (docs/verifier.md).

``--jobs N`` checks the ballots in N worker processes (default: every core),
``--scheduler tcp://HOST:PORT`` on the workers of a Dask cluster instead;
``--state FILE`` keeps the progress there, and the same command again
continues where an interrupted run stopped.

Exit codes: 0 the record is valid, 1 it is not (each failed check is named
with the leaf indexes of the entries involved), 2 the input is unusable.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TextIO

from crypto.errors import InvalidEncoding
from crypto.witness import RosterMember
from crypto.witness import parse_pinned_roster
from crypto.witness.cosignature import CosignerKey
from voting.tools.verify import Options
from voting.tools.verify import SchedulerUnreachable
from voting.tools.verify import UnusableRecord
from voting.tools.verify import verify_record
from voting.tools.verify.return_code_checks import Authority
from voting.tools.verify.return_code_checks import parse_authorities

EXIT_VALID, EXIT_INVALID, EXIT_UNUSABLE = 0, 1, 2


class ProgressBar:
    """A one-line progress bar on a terminal (stderr)."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        filled = self.WIDTH * done // total if total else self.WIDTH
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        elapsed = now - self.started
        self.stream.write(f"\r{stage:8} [{bar}] {done}/{total} {elapsed:6.1f} s")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


EXAMPLES = """\
Examples (the demo's published record; LOG_KEY as the authority publishes it, not
taken from the record; my-witnesses.txt the keys of the witnesses you trust):
  curl -O http://127.0.0.1:5000/observe/2026-06-14-ch/record.zip
  python -m voting.verify record.zip
  python -m voting.verify record.zip --log-key "$LOG_KEY" \\
      --roster my-witnesses.txt --witnesses 1 --receipt receipt.json
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m voting.verify",
        description="Verify an Urna election record (a directory or a zip file) with "
        "nothing but the record itself: the log's tree and signature, the witnesses' "
        "cosignatures, the key ceremony, every ballot's proofs, the tally and the results. "
        "Prints each check and the results; exit status 0 when the record is valid, 1 when "
        "a check fails, 2 on unusable input.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("record", type=Path, help="the record directory or zip file")
    parser.add_argument("--receipt", type=Path, help="also check that this receipt (JSON) is in it")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes (default: all cores)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="check the ballots on the workers of this Dask distributed scheduler "
        "(each worker needs Urna installed) instead of local processes",
    )
    parser.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="keep the run's progress in FILE (SQLite): run the same command again to "
        "continue after an interruption (default: a temporary file, deleted at the end)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--log-key", help="the log's verifier key as you obtained it (else the record's is used)"
    )
    parser.add_argument(
        "--roster",
        type=Path,
        help="the witnesses you trust: a file of witness verifier keys, one per line, "
        "Urna BLS witnesses' keys and C2SP cosignature/v1 vkeys alike (without it the "
        "witness check is not independently checked)",
    )
    parser.add_argument(
        "--witnesses",
        type=int,
        default=1,
        help="how many witnesses (of your --roster) must have cosigned the final "
        "checkpoint (default 1)",
    )
    parser.add_argument(
        "--tiles",
        metavar="URL|DIR",
        help="read the entries from the log's C2SP tlog-tiles at this URL or directory "
        "(checked against their checkpoint with the log key) instead of entries.jsonl",
    )
    parser.add_argument(
        "--return-code-authorities",
        type=Path,
        metavar="FILE",
        help='the return-code authorities as you obtained them, {"authorities": [{"name": '
        '..., "key": <hex Ed25519 key>}, ...]}: required for a vote day with return codes '
        "(their answers are checked against these keys, never the record's)",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar on stderr (default: when stderr is a terminal)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.jobs < 1 or args.witnesses < 0:
        print("error: --jobs must be at least 1 and --witnesses at least 0", file=sys.stderr)
        return EXIT_UNUSABLE
    roster: tuple[RosterMember, ...] | None = None
    cosigners: tuple[CosignerKey, ...] = ()
    if args.roster is not None:
        try:
            pinned = parse_pinned_roster(args.roster.read_text())
            roster, cosigners = pinned.bls, pinned.cosigners
        except (OSError, UnicodeDecodeError, InvalidEncoding) as exc:
            print(f"error: --roster {args.roster}: {exc}", file=sys.stderr)
            return EXIT_UNUSABLE
    authorities: tuple[Authority, ...] | None = None
    if args.return_code_authorities is not None:
        try:
            authorities = parse_authorities(args.return_code_authorities.read_text())
        except (OSError, UnicodeDecodeError, InvalidEncoding, ValueError) as exc:
            print(
                f"error: --return-code-authorities {args.return_code_authorities}: {exc}",
                file=sys.stderr,
            )
            return EXIT_UNUSABLE
    show = sys.stderr.isatty() if args.progress is None else args.progress
    bar = ProgressBar(sys.stderr) if show else None
    options = Options(
        jobs=args.jobs,
        receipt=args.receipt,
        log_key=args.log_key,
        witnesses=args.witnesses,
        roster=roster,
        cosigners=cosigners,
        tiles=args.tiles,
        scheduler=args.scheduler,
        state=args.state,
        return_code_authorities=authorities,
    )
    started = time.monotonic()
    try:
        report = verify_record(args.record, options, bar)
    except UnusableRecord as exc:
        if bar:
            bar.close()
        print(f"error: unusable record: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except SchedulerUnreachable as exc:
        if bar:
            bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    if bar:
        bar.close()
    report.facts["seconds"] = round(time.monotonic() - started, 3)
    if args.json:
        print(json.dumps(report.to_json(), indent=2, sort_keys=True))
    else:
        sys.stdout.write(report.to_text())
    return EXIT_VALID if report.valid else EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
