"""Casting while many observers read the log's tiles from a plain static file server (issue 16).

The vote day, the server (gunicorn as shipped) and the casting clients are
those of :mod:`benchmarks.cast_bench`. Beside the server, in every run, runs
what belongs to the casting host: ``flask log tiles --every 1`` (publishes
the tiles of committed leaves to ``URNA_TILES_FOLDER``). What stands in for
other hosts runs at the lowest CPU and I/O priority, in a CPU cgroup with a
quota where the machine allows it (benchmarks/_observers.py): a plain static
file server (``python -m http.server`` over the tiles folder, as a CDN or
object store would serve it) and, in the observed runs, ``--observers``
observers following the log from it, each polling every ``--poll`` seconds,
fetching only what is new and verifying it (signature, root, consistency,
every entry).

``--runs`` casting runs of ``--ballots`` ballots alone and as many with the
observers, alternated in ABBA order (alone, with, with, alone, alone, with,
...) so that a drifting machine load and the growing log weigh on both arms
alike. Reported per run and as mean ± standard deviation per arm: ballots/s,
p50, p99, the gunicorn workers' (and PostgreSQL's) CPU ms per ballot; the
application's requests other than ballots (from the gunicorn access log: 0,
tiles never touch the app); the tiles and bytes the static server served
per second; the observers' lag behind the published log; the CPU of every
process involved, of the rest of the machine, and the load average.

The verdict rule: casting is "unchanged within noise" when the difference of
the arms' mean ballots/s is no larger than the larger of the two arms'
standard deviations (the runs' own spread); otherwise the difference is
stated as beyond noise.

    python benchmarks/observer_bench.py [--ballots 600] [--runs 3] [--observers 50]
        [--poll 1.0] [--clients 16] [--workers 2] [--cpu-quota 0.5]
        [--priority lowest|normal] [--database-url URL] [--json]

At the lowest priority the observers run only on cores nobody else wants: on
a machine busy with other work they may never start (the benchmark stops
after ``--start-timeout`` and says so); ``--priority normal`` then runs them
as one ordinary process bounded by the quota alone.

SQLite in a temporary folder by default; ``--database-url`` points at
PostgreSQL (its schema is rebuilt: use a scratch database).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _cpu  # noqa: E402
from benchmarks._casting import ServedVoteDay  # noqa: E402
from benchmarks._casting import load_average  # noqa: E402
from benchmarks._casting import served_vote_day  # noqa: E402
from benchmarks._common import emit  # noqa: E402
from benchmarks._observers import CpuGroup  # noqa: E402
from benchmarks._observers import follow  # noqa: E402
from benchmarks._observers import low_priority_command  # noqa: E402
from benchmarks._observers import priority_of  # noqa: E402
from benchmarks._observers import release  # noqa: E402
from benchmarks.cast_bench import _free_port  # noqa: E402

ALONE, OBSERVED = "alone", "with_observers"
SHARED = (
    "the observers and the static server share this machine's caches, memory bandwidth and "
    "kernel (loopback TCP, page cache) with the casting host even at the lowest priority"
)


def order(runs: int) -> list[str]:
    """ABBA: alone, with, with, alone, alone, with, ... (``runs`` of each)."""
    pairs = [(ALONE, OBSERVED) if i % 2 == 0 else (OBSERVED, ALONE) for i in range(runs)]
    return [arm for pair in pairs for arm in pair]


class Publications:
    """When each checkpoint size appeared in the tiles folder (polled every 20 ms)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.at: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        seen = 0
        while not self.stop.wait(0.02):
            try:
                stat = self.path.stat()
                if stat.st_mtime_ns != seen:
                    size = int(self.path.read_text().split("\n")[1])
                    self.at.setdefault(size, stat.st_mtime_ns / 1e9)
                    seen = stat.st_mtime_ns
            except (OSError, IndexError, ValueError):
                continue

    def wait_for(self, size: int, seconds: float = 60) -> float:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            done = [t for s, t in self.at.items() if s >= size]
            if done:
                return min(done)
            time.sleep(0.05)
        raise RuntimeError(f"the tiles of size {size} were not published within {seconds} s")


def _lines_since(path: Path, offset: int) -> tuple[list[str], int]:
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read()
    return data.decode(errors="replace").splitlines(), offset + len(data)


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _settled(path: Path, quiet: float = 0.5, at_most: float = 10.0) -> int:
    """The size of a log file once it has stopped growing for ``quiet`` seconds."""
    size, since, deadline = _size(path), time.monotonic(), time.monotonic() + at_most
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.05)
        if _size(path) != size:
            size, since = _size(path), time.monotonic()
    return size


def _checkpoint_size(served: ServedVoteDay) -> int:
    """Sign a checkpoint now (the last ballots of a run), outside the timed window."""
    note = requests.get(f"{served.base}/api/logs/{served.vote_day}/checkpoint", timeout=30).text
    return int(note.split("\n")[1])


def _stats(values: list[float]) -> dict[str, Any]:
    return {
        "mean": round(statistics.mean(values), 2),
        "sd": round(statistics.stdev(values), 2) if len(values) > 1 else None,
        "runs": values,
    }


def _verdict(alone: list[float], observed: list[float]) -> dict[str, Any]:
    if len(alone) < 2 or len(observed) < 2:
        return {"verdict": "undecided: at least 2 runs per arm are needed for a spread"}
    diff = statistics.mean(observed) - statistics.mean(alone)
    noise = max(statistics.stdev(alone), statistics.stdev(observed))
    pct = 100 * diff / statistics.mean(alone)
    if abs(diff) <= noise:
        verdict = "unchanged within noise"
    else:
        verdict = f"{'faster' if diff > 0 else 'slower'} by {abs(pct):.1f} %, beyond noise"
    return {
        "difference_of_means": round(diff, 2),
        "difference_pct": round(pct, 1),
        "noise_larger_sd": round(noise, 2),
        "verdict": verdict,
    }


def _lag(report: dict[str, Any], published: dict[int, float]) -> dict[str, Any]:
    lags = sorted(
        t - published[size]
        for reached in report["reached"]
        for t, size in reached
        if size in published
    )
    if not lags:
        return {"checkpoints_followed": 0}
    return {
        "checkpoints_followed": len(lags),
        "mean_s": round(statistics.mean(lags), 2),
        "p50_s": round(lags[len(lags) // 2], 2),
        "p95_s": round(lags[min(len(lags) - 1, int(len(lags) * 0.95))], 2),
        "max_s": round(lags[-1], 2),
    }


class Stage:
    """The processes around the served vote day, and where to read what they did."""

    def __init__(
        self, served: ServedVoteDay, *, cpu_quota: float, observers: int, lowest: bool
    ) -> None:
        self.served, self.observers, self.lowest = served, observers, lowest
        self.tiles = served.folder / "tiles"
        self.access_log = served.folder / "access.log"
        self.static_log = served.folder / "static.log"
        self.group = CpuGroup(cpu_quota, lowest=lowest) if cpu_quota > 0 else None
        quiet = subprocess.DEVNULL
        flask = [sys.executable, "-m", "flask", "--app", "app"]
        self.publisher = subprocess.Popen(
            [*flask, "log", "tiles", "--every", "1"], cwd=ROOT, env=served.env,
            stdout=quiet, stderr=quiet,
        )  # fmt: skip
        self.tiles.mkdir(exist_ok=True)
        self.static_port = _free_port()
        prefix = low_priority_command() if lowest else []
        with open(self.static_log, "wb") as log:
            self.static = subprocess.Popen(
                [*prefix, sys.executable, "-m", "http.server", "-d",
                 str(self.tiles), "-b", "127.0.0.1", str(self.static_port)],
                cwd=ROOT, env=served.env, stdout=quiet, stderr=log,
            )  # fmt: skip
        if self.group is not None:
            self.group.add(self.static.pid)
        self.url = f"http://127.0.0.1:{self.static_port}/{served.vote_day}"
        self.publications = Publications(self.tiles / served.vote_day / "checkpoint")

    def close(self) -> None:
        self.publications.stop.set()
        release(self.static.pid)
        for child in (self.publisher, self.static):
            child.terminate()
            child.wait(timeout=30)
        if self.group is not None:
            self.group.close()

    def helpers(self) -> dict[str, int]:
        return {"publisher": self.publisher.pid, "static_server": self.static.pid}


def _cpu_now(stage: Stage, extra: dict[str, int]) -> dict[str, dict[int, float]]:
    """CPU seconds so far, by role and PID (PostgreSQL backends come and go)."""
    served = stage.served
    named = {**stage.helpers(), **extra}
    return {
        "gunicorn_workers": _cpu.cpu_of(_cpu.children(served.server.pid)),
        "postgresql": _cpu.cpu_of(_cpu.postgres_backends(served.database_url)),
        **{name: {pid: _cpu.process_cpu(pid)} for name, pid in named.items()},
        "benchmark_clients": {os.getpid(): time.process_time()},
    }


def _cpu_spent(
    before: dict[str, dict[int, float]], stage: Stage, extra: dict[str, int]
) -> dict[str, float]:
    """CPU seconds each role spent since ``before`` (a process that ended since is not counted)."""
    after = _cpu_now(stage, extra)
    return {
        role: sum(v - before[role].get(pid, 0.0) for pid, v in pids.items())
        for role, pids in after.items()
    }


def _app_requests(lines: list[str]) -> dict[str, Any]:
    """What reached the app in a run: only ballots, if tiles never touch it."""
    other = [
        line for line in lines if not ('"POST /api/vote-days/' in line and "/ballots " in line)
    ]
    logs = sum(1 for line in other if " /logs/" in line or " /api/logs/" in line)
    found: dict[str, Any] = {"other_than_ballots": len(other), "to_log_paths": logs}
    if other:
        found["examples"] = [line.split('"')[1] for line in other[:5] if '"' in line]
    return found


def _start_observers(stage: Stage, key: str, poll: float, timeout: float) -> tuple[Any, ...]:
    context = multiprocessing.get_context("fork")
    stop, results = context.Event(), context.Queue()
    # Lock-free shared memory: the process at the lowest priority must never hold a
    # lock this one waits for (a starved holder would stall the benchmark).
    started, sizes = context.RawValue("i", 0), context.RawArray("q", stage.observers)
    received = context.RawArray("q", stage.observers)  # bytes so far, per observer
    process = context.Process(
        target=follow,
        args=(
            stage.url,
            key,
            stage.observers,
            poll,
            stage.lowest,
            stop,
            started,
            sizes,
            received,
            results,
        ),
    )
    process.start()
    if stage.group is not None and process.pid is not None:
        stage.group.add(process.pid)
    deadline = time.monotonic() + timeout
    while started.value < stage.observers:  # every observer holds a verified tree
        if time.monotonic() > deadline or not process.is_alive():
            _end(stage, (process, stop, results, sizes, received))
            raise RuntimeError(
                f"only {started.value} of {stage.observers} observers made their first round "
                f"within {timeout} s (at the lowest priority on a machine this busy: "
                f"load average {load_average()})"
            )
        time.sleep(0.1)
    return process, stop, results, sizes, received


def _end(stage: Stage, observers: tuple[Any, ...]) -> None:
    """Stop the observers now (back at normal priority, so that a starved process can exit)."""
    process, stop = observers[0], observers[1]
    stop.set()
    if process.pid is not None and process.is_alive():
        release(process.pid)
        process.terminate()
    process.join(timeout=30)


def cast_run(
    stage: Stage, arm: str, bodies: list[bytes], *, key: str, poll: float, clients: int,
    max_seconds: float, start_timeout: float,
) -> dict[str, Any]:  # fmt: skip
    """One casting run, alone or with the observers following the tiles."""
    observers = _start_observers(stage, key, poll, start_timeout) if arm == OBSERVED else None
    try:
        result = _measure(stage, arm, bodies, clients, max_seconds, observers)
    except BaseException:
        if observers:
            _end(stage, observers)
        raise
    return result


def _measure(
    stage: Stage, arm: str, bodies: list[bytes], clients: int, max_seconds: float,
    observers: tuple[Any, ...] | None,
) -> dict[str, Any]:  # fmt: skip
    served = stage.served
    extra = {"observers": observers[0].pid} if observers else {}
    app_at, static_at = _settled(stage.access_log), _size(stage.static_log)
    received = sum(observers[4]) if observers else 0
    load, machine, cpu = load_average(), _cpu.MachineSample.now(), _cpu_now(stage, extra)
    figures = served.cast(bodies, clients, max_seconds)
    spent = _cpu_spent(cpu, stage, extra)
    received = (sum(observers[4]) if observers else 0) - received
    machine_busy, machine_pct = _cpu.machine_busy(machine, _cpu.MachineSample.now())
    _settled(stage.access_log)  # the access log's last lines
    app_lines, _ = _lines_since(stage.access_log, app_at)
    static_lines, _ = _lines_since(stage.static_log, static_at)
    accepted, elapsed = figures["ballots_accepted"], figures["elapsed_s"]
    result: dict[str, Any] = {
        "arm": arm,
        **figures,
        "workers_cpu_ms_per_ballot": round(1000 * spent["gunicorn_workers"] / accepted, 2)
        if accepted
        else None,
        "postgresql_cpu_ms_per_ballot": round(1000 * spent["postgresql"] / accepted, 2)
        if accepted
        else None,
        "cpu_s": {k: round(v, 2) for k, v in spent.items()},
        "other_processes_cpu_s": round(max(0.0, machine_busy - sum(spent.values())), 2),
        "cores_busy_pct": round(machine_pct, 1),
        "app_requests": _app_requests(app_lines),
        "static_server": {
            "requests": len(static_lines),
            "requests_per_s": round(len(static_lines) / elapsed, 1) if elapsed else None,
            # What the observers received from it while the ballots were cast.
            "megabytes_per_s": round(received / 1e6 / elapsed, 2) if elapsed else None,
        },
        "load_average_before": load,
        "load_average_after": load_average(),
    }
    final = _checkpoint_size(served)  # the run's last ballots, for the next run and the lag
    published = stage.publications.wait_for(final)
    if observers:
        result["observers"] = _stop_observers(stage, observers, final, published, elapsed)
    return result


def _stop_observers(
    stage: Stage, observers: tuple[Any, ...], final: int, published: float, elapsed: float
) -> dict[str, Any]:
    process, stop, results, sizes, _ = observers
    priority = priority_of(process.pid)
    deadline = time.monotonic() + 120
    while min(sizes[:]) < final and time.monotonic() < deadline and process.is_alive():
        time.sleep(0.05)
    stop.set()
    report = results.get(timeout=300)
    process.join(timeout=30)
    reached = [min((t for t, size in r if size >= final), default=-1.0) for r in report["reached"]]
    caught_up = None if -1.0 in reached else max(reached) - published
    return {
        "rounds": report["rounds"],
        "requests": report["requests"],
        "megabytes": round(report["bytes"] / 1e6, 2),
        "hash_tiles_from_own_cache": report["hash_tiles_from_own_cache"],
        "immutable_paths_fetched_twice": report["immutable_paths_fetched_twice"],
        "entries_verified": report["entries_verified"],
        "consistency_proofs_checked": report["consistency_proofs_checked"],
        "errors": report["errors"],
        "error_examples": report["error_examples"],
        "priority": priority,
        "all_reached_size": final if caught_up is not None else None,
        "last_caught_up_s_after_final_publication": round(caught_up, 2)
        if caught_up is not None
        else None,
        "lag_behind_publication": _lag(report, stage.publications.at),
        "process_cpu_s": round(report["cpu_s"], 2),
    }


def run(
    *,
    ballots: int,
    runs: int,
    observers: int,
    poll: float,
    clients: int,
    workers: int,
    cpu_quota: float,
    database_url: str | None,
    max_seconds: float,
    start_timeout: float = 300.0,
    lowest: bool = True,
    warmup: int = 30,
) -> dict[str, Any]:
    arms = order(runs)
    with served_vote_day(
        ballots=len(arms) * ballots + warmup,
        database_url=database_url,
        workers=workers,
        prefix="urna-observer-bench-",
        env={"URNA_TILES_FOLDER": "{folder}/tiles", "URNA_ACCESS_LOG": "{folder}/access.log"},
    ) as served:
        stage = Stage(served, cpu_quota=cpu_quota, observers=observers, lowest=lowest)
        try:
            bodies = served.bodies
            served.cast(bodies[len(arms) * ballots :], clients, max_seconds)  # untimed warm-up
            stage.publications.wait_for(_checkpoint_size(served))
            key = requests.get(f"{served.base}/api/logs/{served.vote_day}/key", timeout=30)
            verifier_key = key.json()["verifier_key"]
            results = []
            for i, arm in enumerate(arms):
                chunk = bodies[i * ballots : (i + 1) * ballots]
                done = cast_run(
                    stage, arm, chunk,
                    key=verifier_key, poll=poll, clients=clients, max_seconds=max_seconds,
                    start_timeout=start_timeout,
                )  # fmt: skip
                results.append(done)
            priority = {name: priority_of(pid) for name, pid in stage.helpers().items()}
            observed = [r for r in results if r["arm"] == OBSERVED]
            if observed:
                priority["observers"] = observed[0]["observers"]["priority"]
            group = stage.group.describe() if stage.group else "none (--cpu-quota 0)"
        finally:
            stage.close()
    return _report(results, served, priority, group, ballots=ballots, observers=observers,
                   poll=poll, clients=clients, workers=workers)  # fmt: skip


def _report(
    results: list[dict[str, Any]], served: ServedVoteDay, priority: dict[str, Any], group: str,
    **setup: Any,
) -> dict[str, Any]:  # fmt: skip
    by_arm = {arm: [r for r in results if r["arm"] == arm] for arm in (ALONE, OBSERVED)}

    def metric(name: str) -> dict[str, Any]:
        return {arm: _stats([r[name] for r in rs]) for arm, rs in by_arm.items()}

    speed = metric("ballots_per_s")
    verdict = _verdict(speed[ALONE]["runs"], speed[OBSERVED]["runs"])
    line = (
        f"casting with {setup['observers']} observers: {verdict['verdict']} "
        f"({speed[ALONE]['mean']} ± {speed[ALONE]['sd']} ballots/s alone, "
        f"{speed[OBSERVED]['mean']} ± {speed[OBSERVED]['sd']} with them)"
    )
    return {
        "verdict_line": line,
        "setup": {
            "database": served.database,
            **setup,
            "runs_per_arm": len(by_arm[ALONE]),
            "order": " ".join("A" if r["arm"] == ALONE else "O" for r in results),
            "cpus": os.cpu_count() or 1,
            "publisher": "flask log tiles --every 1, normal priority, in every run",
            "static_server": "python -m http.server over URNA_TILES_FOLDER",
            "priority": priority,
            "observers_and_static_server_cgroup": group,
            "still_shared": SHARED,
        },
        "ballots_per_s": speed,
        "workers_cpu_ms_per_ballot": metric("workers_cpu_ms_per_ballot"),
        "p50_ms": metric("p50_ms"),
        "verdict": {
            "rule": "unchanged within noise when |mean(with) - mean(alone)| of ballots/s "
            "<= the larger of the two arms' standard deviations",
            "ballots_per_s": verdict,
            "workers_cpu_ms_per_ballot": _verdict(
                *(metric("workers_cpu_ms_per_ballot")[arm]["runs"] for arm in (ALONE, OBSERVED))
            ),
            "app_requests_other_than_ballots": sum(
                r["app_requests"]["other_than_ballots"] for r in results
            ),
        },
        "runs": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=600, help="ballots per casting run")
    parser.add_argument("--runs", type=int, default=3, help="casting runs per arm (ABBA order)")
    parser.add_argument("--observers", type=int, default=50)
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between rounds")
    parser.add_argument("--clients", type=int, default=16, help="concurrent casting clients")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--cpu-quota", type=float, default=0.5,
        help="cores the observers and the static server may use (a cgroup; 0: none)",
    )  # fmt: skip
    parser.add_argument(
        "--priority", choices=("lowest", "normal"), default="lowest",
        help="the observers' and the static server's CPU and I/O priority (normal: for a "
        "machine so busy that the lowest never runs; then only the quota bounds them)",
    )  # fmt: skip
    parser.add_argument("--max-seconds", type=float, default=300.0, help="per casting run")
    parser.add_argument(
        "--start-timeout", type=float, default=300.0,
        help="seconds the observers may take to make their first round (lowest priority)",
    )  # fmt: skip
    parser.add_argument("--database-url", help="PostgreSQL scratch database (schema is rebuilt)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    # A terminated benchmark still stops its servers and removes its cgroup.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    figures = run(
        ballots=args.ballots,
        runs=args.runs,
        observers=args.observers,
        poll=args.poll,
        clients=args.clients,
        workers=args.workers,
        cpu_quota=args.cpu_quota,
        database_url=args.database_url,
        max_seconds=args.max_seconds,
        start_timeout=args.start_timeout,
        lowest=args.priority == "lowest",
    )
    emit(figures, as_json=args.json, title="Urna casting with observers on tiles (static server)")


if __name__ == "__main__":
    main()
