"""End to end: a rehearsed vote day of 1,000 voters, then the independent verifier on its record.

    python benchmarks/e2e_bench.py [--voters 1000] [--jobs 2] [--json]

1. ``flask --app app simulate --voters N --record DIR`` (a fresh SQLite
   database; ceremony, N voters over HTTP with audits and refused second
   ballots, postal counts, tally by 2 of 3 trustees, results, record), timed
   from the command's start to its end: ``simulate_1000_s`` (for N = 1000).
2. ``python -m voting.verify DIR --jobs 2 --json``, timed as a whole and per
   phase. ``verify_ballots_per_s`` = ballots and audited ballots verified per
   second of the ballot phase; ``verify_reference_ballots_per_s`` the same in
   reference ballots (issue 2: three yes/no questions = 9 range proofs), since
   the rehearsal's ballots carry 4 to 6 questions (12 to 19 range proofs).
   ``verify_reference_ballots_per_cpu_s`` divides by the CPU time the workers
   actually got: on a shared machine, jobs × that figure is what idle cores give.

Bars (issue 6): the 1,000-voter rehearsal within 180 s; at least 150
reference ballots per second with 2 jobs. The machine's load average is
reported with the figures: the cores may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import emit  # noqa: E402

REFERENCE_PROOFS = 9
"""Range proofs in a reference ballot: 3 questions x (2 options + 1 sum)."""


def _run(args: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0,):
        raise SystemExit(f"{args[:4]} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return elapsed, done.stdout


def _phases(output: str) -> dict[str, float]:
    phases = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == "s":
            try:
                phases[parts[0]] = float(parts[1])
            except ValueError:
                continue
    return phases


def _proofs(record: Path) -> tuple[int, int]:
    """(ballots + audited ballots, range proofs in them) of a record."""
    ballots = proofs = 0
    with open(record / "entries.jsonl", "rb") as fh:
        for line in fh:
            entry = json.loads(line)
            if entry["type"] in ("ballot", "spoiled"):
                ballots += 1
                proofs += sum(len(a["proofs"]) + 1 for a in entry["ballot"]["answers"])
    return ballots, proofs


def bench(voters: int, jobs: int, workdir: Path, witnesses: int = 2) -> dict[str, Any]:
    record = workdir / "record"
    load_before = os.getloadavg()
    simulate_s, output = _run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "app",
            "simulate",
            "--voters",
            str(voters),
            "--record",
            str(record),
            "--seed",
            "e2e-bench",
            "--witnesses",
            str(witnesses),
            "--workdir",
            str(workdir / "instance"),
        ]
    )
    verify_s, report_text = _run(
        [
            sys.executable,
            "-m",
            "voting.tools.verify",
            str(record),
            "--jobs",
            str(jobs),
            "--json",
            "--no-progress",
            "--witnesses",
            str(min(witnesses, 1)),
        ]
    )
    report = json.loads(report_text)
    ballots, proofs = _proofs(record)
    ballot_s = report["facts"]["ballot_seconds"]
    cpu_s = report["facts"]["ballot_cpu_seconds"]
    return {
        "voters": voters,
        "simulate_s": round(simulate_s, 2),
        "simulate_1000_s": round(simulate_s, 2) if voters == 1000 else None,
        "simulate_phases_s": _phases(output),
        "verify_valid": report["valid"],
        "verify_total_s": round(verify_s, 2),
        "verify_ballot_phase_s": ballot_s,
        "verify_jobs": jobs,
        "ballots_verified": ballots,
        "range_proofs_per_ballot": round(proofs / ballots, 2),
        "verify_ballots_per_s": round(ballots / ballot_s, 1),
        "verify_reference_ballots_per_s": round(proofs / REFERENCE_PROOFS / ballot_s, 1),
        "verify_ballots_per_s_whole_run": round(ballots / verify_s, 1),
        "verify_ballot_cpu_s": cpu_s,
        "verify_reference_ballots_per_cpu_s": round(proofs / REFERENCE_PROOFS / cpu_s, 1),
        "entries": report["facts"]["entries"],
        "witnesses_cosigned": report["facts"].get("witnesses_cosigned"),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cores": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voters", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--witnesses", type=int, default=2, help="witnesses cosigning (default 2)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="urna-e2e-") as tmp:
        figures = bench(args.voters, args.jobs, Path(tmp), args.witnesses)
    emit(
        figures,
        as_json=args.json,
        title=f"End to end: {args.voters} voters, verify --jobs {args.jobs}",
    )


if __name__ == "__main__":
    main()
