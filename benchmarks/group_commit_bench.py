"""Appends per second through group commit on PostgreSQL: the append path of a cast alone.

    python benchmarks/group_commit_bench.py [--database-url URL] [--submitters 64]
        [--processes 1] [--seconds 10] [--json]

The ballots are pre-verified: what is timed is what a cast does after its
proofs verified, :func:`voting.services.casting.append_batch` through the
process's :class:`~voting.services.group_commit.Sequencer` — the log's lock,
the per-ballot checks under it (vote day open, first ballot of the
credential, content already on the log, the credential's attempt counted),
the leaf, subtree hashes, the cast-ballot and content rows, a checkpoint
every second, the commit. ``--submitters`` threads (split over
``--processes`` processes, each with its own sequencer, as gunicorn workers
would be) submit ballots one after the other, as fast as they are answered.

The ballots are the reference three-question ballot of
:mod:`voting.rehearsal.load_vote_day` with fresh random credentials and
ciphertext bytes: records and content rows of the real size and number, no
encryption in the timed phase. Figures:

- ``grouped_appends_per_s_pg`` and its ``p50_ms`` / ``p99_ms`` (the time a
  submitter waits for its ballot to be durable), batches and their mean size;
- ``single_appends_per_s_pg``: the same with batches of one ballot (what
  every cast did before group commit), for comparison;
- ``load_average_before``: the machine's load (other work shares the cores).

The database's schema is rebuilt: point ``--database-url`` (or
``URNA_BENCH_DATABASE_URL``) at a scratch database.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _cpu  # noqa: E402
from benchmarks._common import emit  # noqa: E402
from benchmarks._vote_day import make_ballot  # noqa: E402
from benchmarks._vote_day import prepare  # noqa: E402
from crypto.ballot import Ballot  # noqa: E402
from voting.app import create_app  # noqa: E402
from voting.app.log_signing import log_signing  # noqa: E402
from voting.log import bulletin  # noqa: E402
from voting.log.keys import LogSigning  # noqa: E402
from voting.services import casting  # noqa: E402
from voting.services import throttle  # noqa: E402
from voting.services.group_commit import Sequencer  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/urna_bench"
LIMIT = throttle.Limit(attempts=20, window=15 * 60)


class Template:
    """A real ballot's record, in which the credential and ciphertexts are replaced."""

    def __init__(self, ballot_json: dict[str, Any]) -> None:
        ballot = Ballot.from_json(ballot_json)
        self.record = bulletin.encode_record({"type": "ballot", "ballot": ballot_json})
        self.credential = ballot.credential.hex()
        self.keys = len(casting._content_keys(ballot))
        self.hexes = [
            value
            for answer in ballot_json["answers"]
            for ciphertext in answer["ciphertexts"]
            for value in ciphertext.values()
        ]

    def fresh(self) -> casting._Pending:
        """A ballot of a new credential with new content (the same size)."""
        record = self.record.replace(self.credential.encode(), secrets.token_hex(32).encode())
        for value in self.hexes:
            record = record.replace(value.encode(), secrets.token_hex(len(value) // 2).encode())
        credential = secrets.token_hex(32)
        counter = casting._Counter(f"cast:{credential}", LIMIT, int(time.time()))
        keys = tuple(secrets.token_hex(32) for _ in range(self.keys))
        return casting._Pending("ballot", record, credential, keys, "first-counts", counter, None)


def _submitters(
    url: str,
    vote_day: str,
    template: Template,
    signing: LogSigning,
    threads: int,
    seconds: float,
    max_batch: int,
    results: Any,
) -> None:
    """One process: ``threads`` submitters through this process's sequencer."""
    engine = sa.create_engine(url, pool_size=threads + 2, max_overflow=0)
    factory = so.sessionmaker(engine)
    sequencer: Sequencer[casting._Pending, bulletin.Appended] = Sequencer(max_batch=max_batch)
    # Ballots are made before the clock starts (about 25 µs each).
    per_thread = [[template.fresh() for _ in range(int(8000 * seconds / threads) + 50)]]
    per_thread += [[template.fresh() for _ in per_thread[0]] for _ in range(threads - 1)]
    latencies: list[list[float]] = [[] for _ in range(threads)]
    refused: list[int] = [0] * threads
    backends: list[int] = []
    ready = threading.Barrier(threads + 1)
    start_at = stop_at = 0.0

    def submit(n: int) -> None:
        session = factory()
        if url.startswith("postgresql"):  # whose CPU the database spends for us
            backends.append(int(session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()))
            session.commit()
        ready.wait()

        def run(batch: Any) -> Any:
            return casting.append_batch(session, vote_day, batch, signing=signing)

        time.sleep(max(0.0, start_at - time.monotonic()))
        for pending in per_thread[n]:
            if time.monotonic() >= stop_at:
                break
            begun = time.perf_counter()
            try:
                sequencer.submit(vote_day, pending, run)
            except casting.BallotRefused:
                refused[n] += 1
                continue
            latencies[n].append((time.perf_counter() - begun) * 1000)
        session.close()

    workers = [threading.Thread(target=submit, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    start_at = time.monotonic() + 0.5
    stop_at = start_at + seconds
    ready.wait()
    time.sleep(max(0.0, start_at - time.monotonic()))
    client_before, db_before = time.process_time(), sum(_cpu.cpu_of(backends).values())
    held = dataclasses.replace(bulletin.LOCK_STATS)
    paths = dataclasses.replace(casting.PIPELINE_STATS)
    for worker in workers:
        worker.join()
    client_cpu = time.process_time() - client_before
    db_cpu = sum(_cpu.cpu_of(backends).values()) - db_before
    held_s = bulletin.LOCK_STATS.held_s - held.held_s
    after = casting.PIPELINE_STATS
    engine.dispose()
    stats = sequencer.stats
    results.put(
        {
            "latencies": [x for xs in latencies for x in xs],
            "refused": sum(refused),
            "batches": stats.batches,
            "largest": stats.largest,
            "client_cpu_s": client_cpu,
            "db_cpu_s": db_cpu,
            "lock_held_s": held_s,
            "pipelined": after.pipelined - paths.pipelined,
            "moved": after.moved - paths.moved,
            "replays": after.replays - paths.replays,
        }
    )


def measure(
    url: str,
    vote_day: str,
    template: Template,
    signing: LogSigning,
    *,
    submitters: int,
    processes: int,
    seconds: float,
    max_batch: int,
) -> dict[str, Any]:
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    per_process = [submitters // processes + (i < submitters % processes) for i in range(processes)]
    load = os.getloadavg()
    children = [
        context.Process(
            target=_submitters,
            args=(url, vote_day, template, signing, n, seconds, max_batch, results),
        )
        for n in per_process
    ]
    for child in children:
        child.start()
    parts = [results.get() for _ in children]
    for child in children:
        child.join()
    latencies = sorted(x for part in parts for x in part["latencies"])
    batches = sum(part["batches"] for part in parts)
    appended = len(latencies)
    client_us = 1e6 * sum(part["client_cpu_s"] for part in parts) / max(1, appended)
    db_us = 1e6 * sum(part["db_cpu_s"] for part in parts) / max(1, appended)
    cpu_us = client_us + db_us if appended else None
    cores = os.cpu_count() or 1
    return {
        "appends_per_s": round(appended / seconds, 1),
        "appended": appended,
        "refused": sum(part["refused"] for part in parts),
        "p50_ms": round(statistics.median(latencies), 2) if latencies else None,
        "p99_ms": round(latencies[min(appended - 1, int(appended * 0.99))], 2)
        if latencies
        else None,
        "batches": batches,
        "mean_batch": round(appended / batches, 1) if batches else None,
        "largest_batch": max(part["largest"] for part in parts),
        # Wall time the log's lock was held (from the lock's answer to the
        # commit's) per append: the serial part of the path, which caps one
        # log's appends at 1e6 / lock_held_us_per_append per second.
        "lock_held_us_per_append": round(
            1e6 * sum(part["lock_held_s"] for part in parts) / max(1, appended), 1
        ),
        "batches_pipelined": sum(part["pipelined"] for part in parts),
        "batches_run_again_log_moved": sum(part["moved"] for part in parts),
        "batches_run_again_replay": sum(part["replays"] for part in parts),
        # CPU of the submitting processes and their database backends per
        # append (not the WAL writer's): what the same work needs on idle cores.
        "cpu_us_per_append": round(cpu_us, 1) if cpu_us else None,
        "cpu_us_per_append_submitters": round(client_us, 1),
        "cpu_us_per_append_database": round(db_us, 1),
        f"projected_appends_per_s_on_{cores}_idle_cores": round(1e6 * cores / cpu_us, 1)
        if cpu_us
        else None,
        "load_average_before": [round(x, 2) for x in load],
    }


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("URNA_BENCH_DATABASE_URL", DEFAULT_URL),
        help="a scratch database: its schema is rebuilt (default: %(default)s)",
    )
    parser.add_argument("--submitters", type=int, default=64)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--max-batch", type=int, default=casting.SEQUENCER.max_batch)
    parser.add_argument("--skip-single", action="store_true", help="no batches-of-one run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    url = args.database_url
    with tempfile.TemporaryDirectory(prefix="urna-group-commit-") as tmp:
        if url.startswith("postgresql"):
            _reset_postgres(url)
        elif url == "sqlite":
            url = f"sqlite:///{tmp}/urna.sqlite"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "URNA_INSTANCE": tmp})
        prepared = prepare(app, 1)
        template = Template(
            json.loads(make_ballot((prepared.election, prepared.questions, prepared.codes[0])))
        )
        signing = log_signing(app)
        with app.app_context():
            from voting.app.extensions import db

            db.engine.dispose()  # no connection of the parent's crosses the fork
        kind = "pg" if url.startswith("postgresql") else "sqlite"
        options = {
            "submitters": args.submitters,
            "processes": args.processes,
            "seconds": args.seconds,
        }
        grouped = measure(
            url, prepared.vote_day, template, signing, max_batch=args.max_batch, **options
        )
        figures: dict[str, Any] = {
            f"grouped_appends_per_s_{kind}": grouped["appends_per_s"],
            "grouped": grouped,
        }
        if not args.skip_single:
            single = measure(url, prepared.vote_day, template, signing, max_batch=1, **options)
            figures[f"single_appends_per_s_{kind}"] = single["appends_per_s"]
            figures["single"] = single
        engine = sa.create_engine(url)
        with so.Session(engine) as session:
            figures["log_size_after"] = bulletin.log_size(session, prepared.vote_day)
        engine.dispose()
        figures["options"] = options
    emit(figures, as_json=args.json, title="Group commit: appends of pre-verified ballots")


if __name__ == "__main__":
    main()
