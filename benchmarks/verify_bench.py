"""The streaming verifier on a big record: peak memory, ballots per core, and a Dask cluster.

    python benchmarks/verify_bench.py [--ballots N | --record DIR] [--jobs N] [--no-dask] [--json]

The record: ``benchmarks/big_record.py``'s (``--ballots`` reference ballots
of fresh credentials, encrypted, proven and signed, appended through the
casting service's group commit, then closed, tallied by two of three
trustees, counted by a postal clerk, published, cosigned by a witness and
exported as ``flask record export`` does), made here in a temporary
directory, or an existing record given with ``--record`` (made once with
``big_record.py``: a 100,000-ballot record takes a while to make).

Then ``python -m voting.verify --json`` runs on it in a child process:

- ``processes``: ``--jobs N`` worker processes on this machine;
- ``dask``: ``--scheduler`` the address of a ``distributed.LocalCluster`` of
  N single-threaded worker processes.

Figures: ``peak_rss_mb`` (the verifier's main process, its own ``VmHWM``:
not ``ru_maxrss``, which a child inherits from the process that starts it,
benchmarks/_memory.py), ``coordinator_rss_mb_by_progress`` (its RSS as its
progress bar passes 1,000, 10,000, 20,000, 50,000, … entries or ballots),
``peak_worker_rss_mb`` (the largest worker process: the forked children's
``ru_maxrss`` for ``processes``, each Dask worker's ``VmHWM`` for ``dask``),
``ballots_per_core_s`` (ballots over the CPU seconds the workers spent on
them: per core, load independent), ``ballots_per_s`` (wall clock, says the
load), ``coordinator_cpu_ms_per_ballot`` (the CPU time of the verifier's main
process: both passes' hashing, parsing, SQLite and the ordered checks, per
ballot: what more workers cannot shorten), and whether the two backends'
reports are identical (timing facts aside). The load (``os.getloadavg``) is
printed with the figures: the machine is shared.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import emit  # noqa: E402
from benchmarks._memory import rss_mb  # noqa: E402

TIMINGS = ("ballot_seconds", "ballot_cpu_seconds", "seconds")


def build(workdir: Path, ballots: int, jobs: int) -> tuple[Path, float]:
    """The record of ``ballots`` new voters; returns (record directory, seconds to make it)."""
    from benchmarks.big_record import generate

    started = time.perf_counter()
    record = workdir / "record"
    generate(record, ballots, jobs=jobs, workdir=workdir / "instance", seed=os.urandom(16))
    return record, time.perf_counter() - started


_PROBE = (
    "import json, resource, sys; from voting.tools.verify.__main__ import main; "
    "from benchmarks._memory import peak_rss_mb; "
    "code = main(sys.argv[1:]); "
    "print(json.dumps({'code': code, "
    "'self_mb': peak_rss_mb(), "
    "'self_cpu_s': resource.getrusage(resource.RUSAGE_SELF).ru_utime "
    "+ resource.getrusage(resource.RUSAGE_SELF).ru_stime, "
    "'children_kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}), file=sys.stderr)"
)


def _milestones(total: int) -> list[int]:
    marks = [m for m in (1_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000) if m < total]
    return [*marks, total]


def run_verifier(record: Path, *extra: str) -> dict[str, Any]:
    """The verifier in a child process; its RSS is read as its progress bar passes milestones."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", _PROBE, str(record), "--json", "--progress", *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stdout, stderr = child.stdout, child.stderr
    assert stdout is not None and stderr is not None
    out: list[bytes] = []
    reader = threading.Thread(target=lambda: out.append(stdout.read()))
    reader.start()
    rss: dict[str, float] = {}
    tail, last = b"", b""
    for block in iter(lambda: os.read(stderr.fileno(), 4096), b""):
        *bars, tail = re.split(rb"[\r\n]", tail + block)
        for bar in bars:
            last = bar if bar.startswith(b"{") else last
            found = re.match(rb"(\w+) +\[[#-]*\] (\d+)/(\d+)", bar)
            if found is None:
                continue
            stage, done, total = found[1].decode(), int(found[2]), int(found[3])
            for mark in _milestones(total):
                if done >= mark and f"{stage} {mark}" not in rss:
                    rss[f"{stage} {mark}"] = rss_mb(child.pid)
    child.wait()
    reader.join()
    seconds = time.perf_counter() - started
    if child.returncode not in (0, 1):
        raise SystemExit(f"the verifier failed: {tail.decode(errors='replace')}")
    usage = json.loads(last or tail)
    report = json.loads(out[0])
    return {"report": report, "seconds": seconds, "rss_by_progress": rss, **usage}


def _comparable(report: dict[str, Any]) -> dict[str, Any]:
    facts = {k: v for k, v in report["facts"].items() if k not in TIMINGS}
    return {**report, "facts": facts}


def _worker_peak_mb() -> float:
    """A Dask worker's own peak RSS (run on each worker with ``Client.run``)."""
    from benchmarks._memory import peak_rss_mb

    return peak_rss_mb()


def run_dask(record: Path, jobs: int) -> dict[str, Any]:
    """The verifier on a local cluster of ``jobs`` single-threaded worker processes."""
    from distributed import Client
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        remote = run_verifier(record, "--scheduler", cluster.scheduler_address)
        with Client(cluster) as client:
            remote["workers_mb"] = max(client.run(_worker_peak_mb).values())
    return remote


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--record", type=Path, help="verify this record instead of making one")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask cluster run")
    parser.add_argument(
        "--together",
        action="store_true",
        help="run both backends at once (less wall time on a shared machine; the per-core "
        "figures are CPU time, the wall-clock ones then share the cores)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures: dict[str, Any] = {"jobs": args.jobs}
    with tempfile.TemporaryDirectory(prefix="urna-verify-bench-") as scratch:
        record = args.record
        if record is None:
            record, made_s = build(Path(scratch), args.ballots, args.jobs)
            figures["generate_s"] = round(made_s, 1)
        figures["record_mb"] = round((record / "entries.jsonl").stat().st_size / 1e6, 1)
        figures["load_before"] = [round(x, 2) for x in os.getloadavg()]
        with concurrent.futures.ThreadPoolExecutor(2 if args.together else 1) as runs:
            processes = runs.submit(run_verifier, record, "--jobs", str(args.jobs))
            dask = None if args.no_dask else runs.submit(run_dask, record, args.jobs)
            local = processes.result()
            remote = None if dask is None else dask.result()
        ballots = local["report"]["facts"]["ballots"]["cast"]
        figures["ballots"] = ballots
        figures["entries"] = local["report"]["facts"]["entries"]
        figures.update(_figures("processes", local, ballots))
        figures["valid"] = local["report"]["valid"]
        if remote is not None:
            figures.update(_figures("dask", remote, ballots))
            figures["dask_same_report"] = _comparable(remote["report"]) == _comparable(
                local["report"]
            )
        figures["load_after"] = [round(x, 2) for x in os.getloadavg()]
    emit(figures, as_json=args.json, title=f"verify_bench: {record.name}, {args.jobs} jobs")


def _figures(name: str, run: dict[str, Any], ballots: int) -> dict[str, Any]:
    facts = run["report"]["facts"]
    cpu = facts.get("ballot_cpu_seconds") or 0.0
    return {
        f"{name}_seconds": round(run["seconds"], 1),
        f"{name}_ballots_per_s": round(ballots / run["seconds"], 1),
        f"{name}_ballots_per_core_s": round(ballots / cpu, 1) if cpu else None,
        f"{name}_worker_cpu_s": round(cpu, 1),
        f"{name}_peak_rss_mb": run["self_mb"],
        f"{name}_peak_worker_rss_mb": run.get("workers_mb", round(run["children_kb"] / 1024, 1)),
        f"{name}_coordinator_cpu_s": round(run["self_cpu_s"], 1),
        f"{name}_coordinator_cpu_ms_per_ballot": round(1000 * run["self_cpu_s"] / ballots, 3),
        f"{name}_coordinator_rss_mb_by_progress": run["rss_by_progress"],
    }


if __name__ == "__main__":
    main()
