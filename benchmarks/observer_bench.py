"""Casting while many observers read the log's tiles from a plain static file server (issue 16).

The vote day, the server (gunicorn as shipped) and the casting clients are
those of :mod:`benchmarks.cast_bench`. Beside the server run the two pieces of
a tiled deployment: ``flask log tiles --every 1`` (the background step that
publishes the tiles of committed leaves to ``URNA_TILES_FOLDER``) and
``python -m http.server`` serving that folder (standing in for any file
server, object store or CDN). Then two casting runs of ``--ballots`` ballots
each: alone, then while ``--observers`` observers (threads of a separate
process) follow the log from the static server. Each observer polls every
``--poll`` seconds as a real one would: it fetches the checkpoint, checks its
signature with the pinned log key and the edge tiles against its root, then
reads and checks every entry new since its last round (voting/tools/tiles.py).
The observers never reach the application or the database.

The figures: cast ballots/s, p50 and p99 of both runs and their ratios, what
the observers did (rounds, requests, bytes, entries verified, errors, the
largest size they reached), the CPU of the static server and the publisher,
and the load average around each run. The machine is shared (2 cores): the
observers' own CPU competes with the server's, which a CDN would not.

    python benchmarks/observer_bench.py [--ballots 300] [--observers 50] [--poll 1.0]
        [--clients 16] [--workers 2] [--database-url URL] [--json]

SQLite in a temporary folder by default; ``--database-url`` points at
PostgreSQL (its schema is rebuilt: use a scratch database).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _cpu  # noqa: E402
from benchmarks._common import emit  # noqa: E402
from benchmarks._vote_day import make_ballot  # noqa: E402
from benchmarks._vote_day import prepare  # noqa: E402
from benchmarks.cast_bench import _free_port  # noqa: E402
from benchmarks.cast_bench import _post_all  # noqa: E402
from benchmarks.cast_bench import _reset_postgres  # noqa: E402
from benchmarks.cast_bench import _start_gunicorn  # noqa: E402
from benchmarks.witness_attack_bench import _cast_figures  # noqa: E402
from benchmarks.witness_attack_bench import _load  # noqa: E402
from crypto.note import VerifierKey  # noqa: E402
from voting.app import create_app  # noqa: E402
from voting.tools.tiles import HttpSource  # noqa: E402
from voting.tools.tiles import TileError  # noqa: E402
from voting.tools.tiles import open_tiled_log  # noqa: E402


class CountingSource:
    """An :class:`HttpSource` that counts requests and bytes (one per observer thread)."""

    def __init__(self, url: str) -> None:
        self.source = HttpSource(url)
        self.requests = 0
        self.bytes = 0

    def fetch(self, path: str, limit: int) -> bytes:
        data = self.source.fetch(path, limit)
        self.requests += 1
        self.bytes += len(data)
        return data

    def __str__(self) -> str:
        return str(self.source)


def _observers(url: str, key: str, count: int, poll: float, stop: Event, results: Any) -> None:
    """``count`` observers following the log at ``url`` until ``stop``."""
    lock = threading.Lock()
    totals = {"rounds": 0, "requests": 0, "bytes": 0, "entries_verified": 0, "max_size": 0}
    errors: dict[str, int] = {}
    pinned = VerifierKey.parse(key)

    def observer(offset: int) -> None:
        source = CountingSource(url)
        verified = 0
        time.sleep(poll * offset / count)  # spread the polls over the interval
        while not stop.is_set():
            started = time.monotonic()
            try:
                log = open_tiled_log(source, pinned)
                for _ in log.entries(start=verified):
                    verified += 1
                with lock:
                    totals["rounds"] += 1
                    totals["max_size"] = max(totals["max_size"], log.size)
            except TileError as exc:
                with lock:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            stop.wait(max(0.0, poll - (time.monotonic() - started)))
        with lock:
            totals["requests"] += source.requests
            totals["bytes"] += source.bytes
            totals["entries_verified"] += verified

    threads = [threading.Thread(target=observer, args=(n,)) for n in range(count)]
    cpu_before = time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put({**totals, "errors": errors, "cpu_s": time.process_time() - cpu_before})


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    quiet = subprocess.DEVNULL
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=quiet, stderr=quiet)


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def run(
    *,
    ballots: int,
    observers: int,
    poll: float,
    clients: int,
    workers: int,
    database_url: str | None,
    max_seconds: float,
    warmup: int = 30,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="urna-observer-bench-") as tmp:
        url = database_url or f"sqlite:///{tmp}/urna.sqlite"
        if url.startswith("postgresql"):
            _reset_postgres(url)
        tiles = Path(tmp) / "tiles"
        tiles.mkdir()
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "URNA_INSTANCE": tmp})
        prepared = prepare(app, 2 * ballots + warmup)
        jobs = [(prepared.election, prepared.questions, code) for code in prepared.codes]
        with multiprocessing.Pool(os.cpu_count() or 2) as pool:
            bodies = pool.map(make_ballot, jobs, chunksize=32)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "URNA_INSTANCE": tmp,
            "URNA_TILES_FOLDER": str(tiles),
        }
        port, static_port = _free_port(), _free_port()
        server = _start_gunicorn(port, workers, env)
        flask = [sys.executable, "-m", "flask", "--app", "app"]
        publisher = _start([*flask, "log", "tiles", "--every", "1"], env)
        static = _start(
            [sys.executable, "-m", "http.server", "-d", str(tiles), "-b", "127.0.0.1",
             str(static_port)],
            env,
        )  # fmt: skip
        try:
            base, log = f"http://127.0.0.1:{port}", prepared.vote_day
            endpoint = f"{base}/api/vote-days/{log}/ballots"
            key = requests.get(f"{base}/api/logs/{log}/key", timeout=30).json()["verifier_key"]
            # Untimed: the workers' first requests; then the tiles are there to follow.
            _post_all(endpoint, bodies[2 * ballots :], clients, max_seconds)
            requests.get(f"{base}/api/logs/{log}/checkpoint", timeout=30)
            tiles_url = f"http://127.0.0.1:{static_port}/{log}"
            _wait_for(f"{tiles_url}/checkpoint")
            helpers = [publisher.pid, static.pid]

            def cast(bodies: list[bytes]) -> dict[str, Any]:
                load, cpu = _load(), _cpu.cpu_of([*_cpu.children(server.pid), *helpers])
                figures = _cast_figures(*_post_all(endpoint, bodies, clients, max_seconds))
                after = _cpu.cpu_of([*_cpu.children(server.pid), *helpers])
                spent = {p: after.get(p, 0.0) - cpu.get(p, 0.0) for p in after}
                workers_cpu = sum(v for p, v in spent.items() if p not in helpers)
                accepted = figures["ballots_accepted"]
                return {
                    **figures,
                    "gunicorn_cpu_s": round(workers_cpu, 2),
                    # The application's own work per ballot: observers should add none.
                    "gunicorn_cpu_ms_per_ballot": round(1000 * workers_cpu / accepted, 2)
                    if accepted
                    else None,
                    "publisher_cpu_s": round(spent.get(publisher.pid, 0.0), 2),
                    "static_server_cpu_s": round(spent.get(static.pid, 0.0), 2),
                    "load_average_before": load,
                    "load_average_after": _load(),
                }

            alone = cast(bodies[:ballots])
            context = multiprocessing.get_context("fork")
            stop, results = context.Event(), context.Queue()
            process = context.Process(
                target=_observers, args=(tiles_url, key, observers, poll, stop, results)
            )
            process.start()
            time.sleep(poll + 0.5)  # every observer has made its first round
            try:
                watched = cast(bodies[ballots : 2 * ballots])
            finally:
                stop.set()
            report = results.get(timeout=300)
            process.join(timeout=30)
            final_size = requests.get(f"{base}/api/logs/{log}/checkpoint", timeout=30).text
        finally:
            for child in (publisher, static, server):
                child.terminate()
                child.wait(timeout=30)
    ratio = (
        round(watched["ballots_per_s"] / alone["ballots_per_s"], 2)
        if alone["ballots_per_s"]
        else None
    )
    return {
        "setup": {
            "database": "postgresql" if url.startswith("postgresql") else "sqlite",
            "workers": workers,
            "cast_clients": clients,
            "ballots_per_run": ballots,
            "observers": observers,
            "poll_s": poll,
            "cpus": os.cpu_count() or 1,
        },
        "cast_alone": alone,
        "cast_with_observers": watched,
        "comparison": {
            "ballots_per_s_ratio_observed_over_alone": ratio,
            "p50_ratio_observed_over_alone": round(watched["p50_ms"] / alone["p50_ms"], 2)
            if alone["p50_ms"] and watched["p50_ms"]
            else None,
            "gunicorn_cpu_per_ballot_ratio_observed_over_alone": round(
                watched["gunicorn_cpu_ms_per_ballot"] / alone["gunicorn_cpu_ms_per_ballot"], 2
            )
            if alone["gunicorn_cpu_ms_per_ballot"] and watched["gunicorn_cpu_ms_per_ballot"]
            else None,
        },
        "observers": {
            "rounds": report["rounds"],
            "requests": report["requests"],
            "megabytes": round(report["bytes"] / 1e6, 2),
            "entries_verified": report["entries_verified"],
            "largest_size_seen": report["max_size"],
            "log_size_at_end": int(final_size.split("\n")[1]),
            "errors": report["errors"],
            "observer_process_cpu_s": round(report["cpu_s"], 2),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=300)
    parser.add_argument("--observers", type=int, default=50)
    parser.add_argument(
        "--poll", type=float, default=1.0, help="seconds between an observer's rounds"
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--database-url", help="PostgreSQL scratch database (schema is rebuilt)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(
        ballots=args.ballots,
        observers=args.observers,
        poll=args.poll,
        clients=args.clients,
        workers=args.workers,
        database_url=args.database_url,
        max_seconds=args.max_seconds,
    )
    emit(figures, as_json=args.json, title="Urna observer benchmark (tiles on a static server)")


if __name__ == "__main__":
    main()
