"""Ballots per second cast through the HTTP API under gunicorn.

The reference three-question ballot; ballots are prepared (encrypted,
proved, signed) before the timed phase, so the clients do not steal the
server's CPU. Then many concurrent clients on loopback post them, each ballot
once, bounded in count (``--ballots``) and time (``--max-seconds``).

    python benchmarks/cast_bench.py [--workers 2] [--clients 32] [--ballots 2000]
        [--database-url URL] [--json] [--return-codes]

``--return-codes`` runs it without, then with return codes (4 local
authorities; benchmarks/_return_codes.py) and prints both and their ratio.

SQLite in a temporary folder by default; ``--database-url`` points at
PostgreSQL (its schema is rebuilt: use a scratch database).
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _cpu  # noqa: E402
from benchmarks._common import emit  # noqa: E402
from benchmarks._vote_day import make_ballot  # noqa: E402
from benchmarks._vote_day import prepare  # noqa: E402
from voting.app import create_app  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def _start_gunicorn(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    # gunicorn.conf.py as deployed; the access log (on by default) is written
    # to /dev/null so that it costs what it costs without garbling the output.
    command = [
        sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", str(workers),
        "-b", f"127.0.0.1:{port}", "--log-level", "warning", "app:app",
    ]  # fmt: skip
    env = {"URNA_ACCESS_LOG": os.devnull, **env}
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=5)
            return process
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start within 60 s")


class _Client:
    """One simulated voter: posts ballots, each on a new connection or over a kept-alive one.

    gthread workers keep an idle connection open for ``keepalive`` seconds
    (gunicorn.conf.py); a kept-alive connection the server closed is reopened.
    """

    def __init__(self, url: urllib.parse.SplitResult, *, keep_alive: bool) -> None:
        self.url = url
        self.keep_alive = keep_alive
        self.connection: http.client.HTTPConnection | None = None

    def post(self, body: bytes) -> int:
        headers = {"Content-Type": "application/json"}
        if not self.keep_alive:
            headers["Connection"] = "close"
        while True:
            reused = self.connection is not None
            if self.connection is None:
                host = self.url.hostname or "127.0.0.1"
                self.connection = http.client.HTTPConnection(host, self.url.port, timeout=60)
            try:
                self.connection.request("POST", self.url.path, body, headers)
                response = self.connection.getresponse()
                response.read()
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                self.close()
                if reused:
                    continue  # the server closed the idle connection: send on a new one
                raise
            if response.will_close:
                self.close()
            return response.status

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _post_all(
    url: str, bodies: list[bytes], clients: int, max_seconds: float, *, keep_alive: bool = False
) -> tuple[list[float], dict[int, int], float]:
    """Post every body from ``clients`` threads; latencies, statuses and elapsed seconds.

    ``keep_alive`` reuses each client's connection; by default every ballot
    opens its own. Kept-alive connections stay with the worker that accepted
    them (measured: 60/40 between two workers) and cost PostgreSQL three times
    the CPU per ballot (smaller group-commit batches), for 0.1 ms less of the
    clients' CPU (docs/performance.md, "Cast throughput: the request path").
    """
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    queue = iter(bodies)
    stop_at = time.monotonic() + max_seconds

    parsed = urllib.parse.urlsplit(url)

    def client() -> None:
        # http.client, not requests: the load generator shares the server's two
        # cores, and requests costs about 1 ms of CPU more per ballot.
        voter = _Client(parsed, keep_alive=keep_alive)
        try:
            while time.monotonic() < stop_at:
                with lock:
                    body = next(queue, None)
                if body is None:
                    return
                start = time.perf_counter()
                status = voter.post(body)
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    latencies.append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1
        finally:
            voter.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, statuses, time.perf_counter() - start


def run(
    workers: int,
    clients: int,
    ballots: int,
    database_url: str | None,
    max_seconds: float,
    *,
    keep_alive: bool = False,
) -> dict:
    with tempfile.TemporaryDirectory(prefix="urna-cast-bench-") as tmp:
        url = database_url or f"sqlite:///{tmp}/urna.sqlite"
        if url.startswith("postgresql"):
            _reset_postgres(url)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "URNA_INSTANCE": tmp})
        prepared = prepare(app, ballots)
        jobs = [(prepared.election, prepared.questions, code) for code in prepared.codes]
        start = time.perf_counter()
        with multiprocessing.Pool(os.cpu_count() or 2) as pool:
            bodies = pool.map(make_ballot, jobs, chunksize=32)
        prepare_s = time.perf_counter() - start
        env = {**os.environ, "DATABASE_URL": url, "URNA_INSTANCE": tmp}
        port = _free_port()
        server = _start_gunicorn(port, workers, env)
        try:
            endpoint = f"http://127.0.0.1:{port}/api/vote-days/{prepared.vote_day}/ballots"
            # CPU before and after the timed phase: workers, database backends, clients.
            worker_pids = _cpu.children(server.pid)
            before = _cpu.cpu_of([*worker_pids, *_cpu.postgres_backends(url)])
            everyone_before = _cpu.all_processes()
            machine_before, client_before = _cpu.MachineSample.now(), time.process_time()
            load_before = os.getloadavg()[0]
            latencies, statuses, elapsed = _post_all(
                endpoint, bodies, clients, max_seconds, keep_alive=keep_alive
            )
            client_cpu = time.process_time() - client_before
            machine_after = _cpu.MachineSample.now()
            everyone_after = _cpu.all_processes()
            machine_cpu, machine_pct = _cpu.machine_busy(machine_before, machine_after)
            stolen = _cpu.stolen_pct(machine_before, machine_after)
            each_worker = [v - before.get(p, 0.0) for p, v in _cpu.cpu_of(worker_pids).items()]
            workers_cpu = sum(each_worker)
            backends = _cpu.postgres_backends(url)
            db_cpu = sum(v - before.get(p, 0.0) for p, v in _cpu.cpu_of(backends).items())
            our_pids = [*worker_pids, *before, *backends, os.getpid()]
            others = _cpu.busiest_others(everyone_before, everyone_after, our_pids)
        finally:
            server.terminate()
            server.wait(timeout=30)
    accepted = statuses.get(201, 0)
    ordered = sorted(latencies)
    ours = workers_cpu + db_cpu + client_cpu
    cpu_ms = 1000 * ours / accepted if accepted else None
    cores = os.cpu_count() or 1
    return {
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "workers": workers,
        "clients": clients,
        "keep_alive": keep_alive,
        "ballots_sent": len(latencies),
        "ballots_accepted": accepted,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "elapsed_s": round(elapsed, 3),
        "ballots_per_s": round(accepted / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(statistics.median(ordered), 1) if ordered else None,
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1)
        if ordered
        else None,
        "prepare_ballots_s": round(prepare_s, 1),
        "cpu_ms_per_ballot": {
            "server_workers": round(1000 * workers_cpu / accepted, 2) if accepted else None,
            "database": round(1000 * db_cpu / accepted, 2) if accepted else None,
            "clients": round(1000 * client_cpu / accepted, 2) if accepted else None,
            "total": round(cpu_ms, 2) if cpu_ms else None,
        },
        # How the work fell on the workers (a kept-alive connection stays with one).
        "cpu_s_per_worker": sorted((round(v, 2) for v in each_worker), reverse=True),
        # What the same work would reach with every core free for it.
        f"projected_ballots_per_s_on_{cores}_idle_cores": round(1000 * cores / cpu_ms, 1)
        if cpu_ms
        else None,
        "machine": {
            "load_average_1min_before": round(load_before, 2),
            "cores_busy_pct": round(machine_pct, 1),
            # A virtual machine's cores are shared with other guests: time stolen
            # by the hypervisor is part of "busy" and is lost to every process here.
            "stolen_pct": round(stolen, 1),
            "other_processes_cpu_s": round(max(0.0, machine_cpu - ours), 1),
            # The busiest of them by command name (gunicorn's arbiter, PostgreSQL's
            # WAL writer and checkpointer, the kernel's threads, other people's work).
            "busiest_other_processes_cpu_s": others,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--ballots", type=int, default=2000)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--database-url", help="PostgreSQL scratch database (schema is rebuilt)")
    parser.add_argument(
        "--keep-alive",
        action="store_true",
        help="each client keeps its connection (default: a new connection per ballot)",
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--return-codes",
        action="store_true",
        help="also with return codes, 4 local authorities (benchmarks/_return_codes.py)",
    )
    args = parser.parse_args()
    if args.return_codes:
        from benchmarks._return_codes import run_with_return_codes

        figures = run_with_return_codes(
            args.workers, args.clients, args.ballots, args.database_url, args.max_seconds
        )
        emit({"cast": figures}, as_json=args.json, title="Urna cast benchmark with return codes")
        return
    figures = run(
        args.workers,
        args.clients,
        args.ballots,
        args.database_url,
        args.max_seconds,
        keep_alive=args.keep_alive,
    )
    emit({"cast": figures}, as_json=args.json, title="Urna cast benchmark (gunicorn, loopback)")


if __name__ == "__main__":
    main()
