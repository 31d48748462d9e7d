"""Measure the bulletin board on SQLite: durable appends, and proofs on a 1,000,000-leaf log.

    python benchmarks/log_bench.py [--leaves 1000000] [--single 3000] [--json]

Figures (the bars of issue 3 in brackets):

- ``append_single_per_s``: appends one at a time, each its own committed
  transaction through ``bulletin.append`` (>= 2,000/s);
- ``append_batch_per_s``: appends in transactions of ``--batch`` records
  through ``bulletin.append_many``, measured while building the big log
  (>= 20,000/s);
- ``inclusion_proof_ms_1m`` and ``consistency_proof_ms_1m``: median time of
  ``bulletin.inclusion_proof`` / ``consistency_proof`` on the big log, at
  random indexes and sizes, in a fresh process (<= 5 ms);
- ``peak_rss_mb``: that fresh process's peak resident memory (< 200 MB).

- ``append_single_full_per_s`` and ``append_batch_full_per_s``: the same
  with ``URNA_SQLITE_SYNCHRONOUS=FULL`` (an fsync per commit), on a fresh
  log of ``--full-leaves`` leaves.

The main figures use the default of ``voting/app/dbtune.py`` (WAL,
``synchronous=NORMAL``: a commit survives any crash of the application, see
docs/log.md). Records are small ballot-like objects (about 110 bytes of
canonical JSON); real ballots are larger and cost more I/O per record.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa
import sqlalchemy.orm as so

from benchmarks._common import emit
from benchmarks._common import median_ms
from crypto import merkle
from voting.app.extensions import db
from voting.log import bulletin
from voting.models import log as log_models  # noqa: F401  (registers the log tables)

NAME = "bench"


def _record(n: int) -> dict[str, object]:
    return {"type": "ballot", "n": n, "credential": f"{n:064x}"}


def _session(path: Path) -> so.Session:
    return so.Session(sa.create_engine(f"sqlite:///{path}"))


def build(path: Path, leaves: int, single: int, batch: int) -> dict[str, float]:
    """Create the log: ``single`` appends one by one, then batches up to ``leaves``."""
    engine = sa.create_engine(f"sqlite:///{path}")
    db.metadata.create_all(engine)
    with so.Session(engine) as session:
        bulletin.create_log(session, NAME)
        start = time.perf_counter()
        for n in range(single):
            bulletin.append(session, NAME, _record(n))
        single_rate = single / (time.perf_counter() - start)
        start = time.perf_counter()
        done = single
        while done < leaves:
            count = min(batch, leaves - done)
            bulletin.append_many(session, NAME, [_record(n) for n in range(done, done + count)])
            done += count
        batch_rate = (leaves - single) / (time.perf_counter() - start)
    engine.dispose()
    return {"append_single_per_s": single_rate, "append_batch_per_s": batch_rate}


def measure_proofs(path: Path, runs: int) -> dict[str, float]:
    """Run in a fresh process: proof times and the process's peak RSS."""
    rng = random.Random(1)
    with _session(path) as session:
        size = bulletin.log_size(session, NAME)
        root = bulletin.root_at(session, NAME, size)
        index = rng.randrange(size)
        proof = bulletin.inclusion_proof(session, NAME, index, size)
        leaf = bulletin.get_entry(session, NAME, index).leaf_hash
        merkle.verify_inclusion(leaf, index, size, proof, root)  # the figures are of real proofs

        inclusion = median_ms(
            lambda: bulletin.inclusion_proof(session, NAME, rng.randrange(size), size), runs=runs
        )
        consistency = median_ms(
            lambda: bulletin.consistency_proof(session, NAME, rng.randrange(1, size), size),
            runs=runs,
        )
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "leaves": size,
        "inclusion_proof_ms_1m": inclusion,
        "consistency_proof_ms_1m": consistency,
        "peak_rss_mb": peak_kb / 1024,
    }


def _fresh_process(option: str, path: Path, args: argparse.Namespace) -> dict[str, float]:
    command = [sys.executable, __file__, option, str(path), "--runs", str(args.runs)]
    command += ["--single", str(args.single), "--batch", str(args.batch)]
    command += ["--full-leaves", str(args.full_leaves)]
    env = dict(os.environ)
    env.pop("URNA_SQLITE_SYNCHRONOUS", None)
    if option == "--measure-full":
        env["URNA_SQLITE_SYNCHRONOUS"] = "FULL"
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--single", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--full-leaves", type=int, default=100_000)
    parser.add_argument("--measure-proofs", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure-full", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_proofs:
        print(json.dumps(measure_proofs(args.measure_proofs, args.runs)))
        return
    if args.measure_full:
        rates = build(args.measure_full, args.full_leaves, args.single, args.batch)
        print(json.dumps({f"{k.removesuffix('_per_s')}_full_per_s": v for k, v in rates.items()}))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.sqlite"
        figures: dict[str, float] = build(path, args.leaves, args.single, args.batch)
        figures.update(_fresh_process("--measure-proofs", path, args))
        figures["db_mb"] = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 2**20
        figures.update(_fresh_process("--measure-full", Path(tmp) / "full.sqlite", args))
    emit(figures, as_json=args.json, title="Bulletin board on SQLite (WAL)")


if __name__ == "__main__":
    main()
