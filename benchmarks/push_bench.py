"""What pushing ``add-checkpoint`` to C2SP witnesses costs the log (issue 16).

    python benchmarks/push_bench.py [--witnesses 1,8,32] [--entries 1000] [--pushes 5] [--json]

For each count, that many witnesses written from the spec
(tests/interop/c2sp_witness.py: PyNaCl, no Urna code) run behind real HTTP
servers on 127.0.0.1; a log (SQLite, in a temporary folder) lists them and
grows by ``--entries`` entries before each push
(:func:`voting.log.cosigners.push`: consistency proofs, parallel POSTs, the
answers' cosignatures verified and stored). Reported per push: the median
wall-clock time and the log process's CPU time (the witnesses run in the
same process, in threads: their Ed25519 signing is included, so the CPU
figure is an upper bound for the log). Then one more push with a witness
that answers only after ``--slow`` seconds, with ``--timeout``: the push
takes about twice the timeout, whatever the witness does.

The load average is printed with the figures: this machine is shared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import emit  # noqa: E402
from tests.interop.c2sp_witness import SpecWitness  # noqa: E402
from tests.interop.spec_server import WitnessServer  # noqa: E402
from voting.app import create_app  # noqa: E402
from voting.app.extensions import db  # noqa: E402
from voting.app.log_signing import log_signing  # noqa: E402
from voting.log import bulletin  # noqa: E402
from voting.log import cosigners  # noqa: E402


def _grow(app: Any, name: str, count: int) -> None:
    start = bulletin.log_size(db.session, name)
    entries = [{"type": "ballot", "n": i} for i in range(start, start + count)]
    bulletin.append_many(db.session, name, entries)
    bulletin.issue_checkpoint(db.session, name, log_signing(app), interval=dt.timedelta(0))


def run_count(app: Any, count: int, entries: int, pushes: int) -> dict[str, Any]:
    """``pushes`` pushes of a growing log to ``count`` witnesses."""
    name = f"bench-{count}"
    signing = log_signing(app)
    origin = signing.origin_for(name)
    bulletin.create_log(db.session, name, origin=origin)
    vkey = str(signing.verifier_key(origin))
    walls, cpus = [], []
    with ExitStack() as stack:
        for i in range(count):
            witness = SpecWitness(f"w{i}.bench.example/w", bytes([i + 1]) * 32, vkey)
            server = stack.enter_context(WitnessServer(witness).running())
            cosigners.add_cosigner(
                db.session, name, witness.vkey(), server.url, approved_by="bench", signing=signing
            )
        for _ in range(pushes):
            _grow(app, name, entries)
            wall, cpu = time.perf_counter(), time.process_time()
            outcomes = cosigners.push(db.session, name, timeout=10)
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            if not all(o.cosigned for o in outcomes) or len(outcomes) != count:
                raise SystemExit(f"a push failed: {outcomes}")
    return {
        "witnesses": count,
        "log_size": bulletin.log_size(db.session, name),
        "push_wall_ms_median": round(statistics.median(walls), 1),
        "push_cpu_ms_median": round(statistics.median(cpus), 1),
    }


def run_slow(app: Any, slow: float, timeout: float) -> dict[str, Any]:
    name = "bench-slow"
    signing = log_signing(app)
    origin = signing.origin_for(name)
    bulletin.create_log(db.session, name, origin=origin)
    vkey = str(signing.verifier_key(origin))
    with ExitStack() as stack:
        for i, delay in enumerate([0.0, slow]):
            server = stack.enter_context(
                WitnessServer(
                    SpecWitness(f"s{i}.bench.example/w", bytes([99 + i]) * 32, vkey)
                ).running()
            )
            server.delay = delay
            cosigners.add_cosigner(
                db.session, name, server.witness.vkey(), server.url, approved_by="bench",
                signing=signing,
            )  # fmt: skip
        _grow(app, name, 10)
        wall = time.perf_counter()
        outcomes = cosigners.push(db.session, name, timeout=timeout)
        took = time.perf_counter() - wall
    return {
        "slow_witness_answers_after_s": slow,
        "timeout_s": timeout,
        "push_wall_s": round(took, 2),
        "cosigned": [o.witness for o in outcomes if o.cosigned],
        "refused": {o.witness: o.error for o in outcomes if not o.cosigned},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--witnesses", default="1,8,32", help="comma-separated witness counts")
    parser.add_argument("--entries", type=int, default=1000, help="entries added before a push")
    parser.add_argument("--pushes", type=int, default=5, help="pushes per count")
    parser.add_argument("--slow", type=float, default=3.0, help="the slow witness's delay (s)")
    parser.add_argument("--timeout", type=float, default=0.5, help="timeout for the slow run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'urna.sqlite'}",
                "URNA_INSTANCE": str(tmp),
                "URNA_LOG_KEY_PATH": str(tmp / "log-signing.key"),
                "SECRET_KEY": "bench",
            }
        )
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            counts = [int(c) for c in args.witnesses.split(",")]
            figures: dict[str, Any] = {
                f"{c}_witnesses": run_count(app, c, args.entries, args.pushes) for c in counts
            }
            figures["slow_witness"] = run_slow(app, args.slow, args.timeout)
            figures["load_average"] = list(os.getloadavg())
            db.engine.dispose()
    emit(figures, as_json=args.json, title="add-checkpoint pushes to C2SP witnesses")
    return 0


if __name__ == "__main__":
    sys.exit(main())
