"""What ``/observe/<day>/record.zip`` costs the server, before and after issue 14 (item 5).

    python benchmarks/record_bench.py [--ballots 20000] [--requests 10] [--json]

A published vote day of N ballots is made as in ``tally_bench.py`` (the
demo vote day; ballots written straight onto the log with real ciphertexts
but no proofs: this record is for timing, not for the verifier). Then:

- ``export_cpu_s``: the process CPU time of building its record once
  (``export_record``): what every anonymous request cost before, and what
  the publication now pays once;
- gunicorn (``gunicorn.conf.py``, one worker) serves the built record;
  ``first_request_cpu_ms``, ``second_request_cpu_ms`` and
  ``median_request_cpu_ms`` (and the mean, which the 10 ms tick of
  ``/proc`` makes the finer figure) are the CPU time (user + system, from
  ``/proc``) the worker process spent on each request, never wall-clock
  time; ``revalidate_304_cpu_ms`` is a request with ``If-None-Match``.

SQLite in a temporary folder.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import emit  # noqa: E402
from benchmarks._cpu import children  # noqa: E402
from benchmarks._cpu import process_cpu  # noqa: E402
from benchmarks.tally_bench import VOTE_DAY  # noqa: E402
from benchmarks.tally_bench import _write_ballots  # noqa: E402
from voting.app import create_app  # noqa: E402
from voting.app.extensions import db  # noqa: E402
from voting.app.log_signing import log_signing  # noqa: E402
from voting.app.record_files import record_folder  # noqa: E402
from voting.models.credentials import Credential  # noqa: E402
from voting.models.jurisdictions import Jurisdiction  # noqa: E402
from voting.rehearsal.demo import load_demo  # noqa: E402
from voting.rehearsal.simulation import run_local_ceremony  # noqa: E402
from voting.services import decryption  # noqa: E402
from voting.services import results  # noqa: E402
from voting.services.lifecycle import close_vote_day  # noqa: E402
from voting.services.lifecycle import open_vote_day  # noqa: E402
from voting.services.record_export import export_record  # noqa: E402
from voting.services.record_store import build_record  # noqa: E402
from voting.services.tally import start_tally  # noqa: E402


def _prepare(app: Any, voters: int) -> Any:
    """As tally_bench's, with voters spread by electorate (no unit gets more than its electors)."""
    from flask_migrate import upgrade

    upgrade()
    list(load_demo())
    signing = log_signing(app)
    trustees = run_local_ceremony(
        db.session, VOTE_DAY, trustees=("alice", "bob", "carol"), threshold=2, signing=signing
    )
    leaves = db.session.scalars(
        sa.select(Jurisdiction).where(Jurisdiction.electorate.is_not(None))
    ).all()
    rng = random.Random(7)
    chosen = rng.choices(leaves, weights=[u.electorate or 0 for u in leaves], k=voters)
    homes = {rng.randbytes(32).hex(): unit for unit in chosen}
    db.session.execute(
        sa.insert(Credential),
        [
            {"vote_day_id": VOTE_DAY, "public_key": k, "jurisdiction_id": u.id}
            for k, u in homes.items()
        ],
    )
    db.session.commit()
    open_vote_day(db.session, VOTE_DAY, signing=signing)
    return trustees, homes


def publish(tmp: Path, voters: int) -> dict[str, Any]:
    """The published vote day in ``tmp``; returns the record's figures."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'urna.sqlite'}",
            "URNA_INSTANCE": str(tmp),
            "SECRET_KEY": "bench",
        }
    )
    with app.app_context():
        trustees, homes = _prepare(app, voters)
        _write_ballots(homes)
        signing = log_signing(app)
        close_vote_day(db.session, VOTE_DAY, signing=signing)
        start_tally(db.session, VOTE_DAY, signing=signing)
        for name, share in zip(("alice", "bob"), trustees.key_shares[:2], strict=True):
            mine = decryption.trustee_shares(db.session, VOTE_DAY, share)
            decryption.submit_decryption_shares(db.session, VOTE_DAY, name, mine, signing=signing)
        results.publish_results(db.session, VOTE_DAY, signing=signing)
        start = time.process_time()
        export_record(db.session, VOTE_DAY, tmp / "once.zip", signing=signing)
        export_cpu = time.process_time() - start
        stored = build_record(db.session, VOTE_DAY, record_folder(app), signing=signing)
        db.session.remove()
        db.engine.dispose()
    return {
        "ballots": voters,
        "entries": stored.entries,
        "zip_bytes": stored.size,
        "export_cpu_s": export_cpu,
        "etag": stored.sha256,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, len(response.read())
    finally:
        conn.close()


def serve_and_measure(tmp: Path, requests: int, etag: str) -> dict[str, Any]:
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp / 'urna.sqlite'}",
        "URNA_INSTANCE": str(tmp),
        "URNA_SECRET_KEY": "bench",
        "URNA_BIND": f"127.0.0.1:{port}",
        "URNA_WORKERS": "1",
        "URNA_ACCESS_LOG": "",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(port)
        (worker,) = children(server.pid)
        path = f"/observe/{VOTE_DAY}/record.zip"
        samples = []
        sizes = set()
        for _ in range(requests):
            before = process_cpu(worker)
            status, size = _get(port, path)
            samples.append((process_cpu(worker) - before) * 1000)
            assert status == 200, status
            sizes.add(size)
        before = process_cpu(worker)
        status, _ = _get(port, path, {"If-None-Match": f'"{etag}"'})
        revalidate = (process_cpu(worker) - before) * 1000
        assert status == 304, status
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "requests": len(samples),
        "first_request_cpu_ms": samples[0],
        "second_request_cpu_ms": samples[1],
        "median_request_cpu_ms": statistics.median(samples[1:]),
        "mean_request_cpu_ms": statistics.fmean(samples[1:]),
        "revalidate_304_cpu_ms": revalidate,
        "bytes_sent": sizes.pop() if len(sizes) == 1 else sorted(sizes),
        "cpu_clock_tick_ms": 1000 / os.sysconf("SC_CLK_TCK"),
    }


def _wait(port: int) -> None:
    for _ in range(600):
        try:
            if _get(port, "/observe/")[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not answer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        record = publish(tmp, args.ballots)
        served = serve_and_measure(tmp, max(args.requests, 2), record.pop("etag"))
    emit(
        {"record": record, "served": served},
        as_json=args.json,
        title=f"record.zip of {args.ballots} ballots",
    )


if __name__ == "__main__":
    main()
