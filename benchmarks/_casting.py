"""A served vote day to cast into while something else happens (shared by two benchmarks).

:mod:`benchmarks.witness_attack_bench` (casting under invalid witness
submissions) and :mod:`benchmarks.observer_bench` (casting while observers
read the tiles) need the same stage: a scratch database, the benchmark vote
day with ``count`` ballots prepared (encrypted, proved, signed) before
anything is timed, gunicorn as shipped in front of it, untimed warm-up
ballots, and the same figures for every casting run. The vote day, the
server and the casting clients are those of :mod:`benchmarks.cast_bench`.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._vote_day import PreparedVoteDay  # noqa: E402
from benchmarks._vote_day import make_ballot  # noqa: E402
from benchmarks._vote_day import prepare  # noqa: E402
from benchmarks.cast_bench import _free_port  # noqa: E402
from benchmarks.cast_bench import _post_all  # noqa: E402
from benchmarks.cast_bench import _reset_postgres  # noqa: E402
from benchmarks.cast_bench import _start_gunicorn  # noqa: E402
from voting.app import create_app  # noqa: E402


@dataclass(frozen=True)
class ServedVoteDay:
    """The running stage: gunicorn at ``base``, the vote day, its prepared ballots."""

    folder: Path
    database_url: str
    base: str
    vote_day: str
    bodies: list[bytes]
    server: subprocess.Popen[bytes]
    env: dict[str, str]

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])

    @property
    def endpoint(self) -> str:
        return f"{self.base}/api/vote-days/{self.vote_day}/ballots"

    @property
    def database(self) -> str:
        return "postgresql" if self.database_url.startswith("postgresql") else "sqlite"

    def cast(self, bodies: list[bytes], clients: int, max_seconds: float) -> dict[str, Any]:
        """Post ``bodies`` with ``clients`` concurrent clients; the figures of the run."""
        return cast_figures(*_post_all(self.endpoint, bodies, clients, max_seconds))


@contextmanager
def served_vote_day(
    *,
    ballots: int,
    database_url: str | None,
    workers: int,
    prefix: str,
    env: Mapping[str, str] | None = None,
    setup: Callable[[Flask, PreparedVoteDay], None] | None = None,
) -> Iterator[ServedVoteDay]:
    """A vote day with ``ballots`` ballots ready, served by ``workers`` gunicorn workers.

    ``database_url`` None or ``"sqlite"``: SQLite in the temporary folder;
    a PostgreSQL URL has its schema rebuilt (a scratch database). ``env``
    is added to the server's environment (``{folder}`` in a value is the
    temporary folder); ``setup`` runs on the app before the server starts.
    """
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        url = database_url or "sqlite"
        url = f"sqlite:///{tmp}/urna.sqlite" if url == "sqlite" else url
        if url.startswith("postgresql"):
            _reset_postgres(url)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "URNA_INSTANCE": tmp})
        prepared = prepare(app, ballots)
        if setup is not None:
            setup(app, prepared)
        jobs = [(prepared.election, prepared.questions, code) for code in prepared.codes]
        with multiprocessing.Pool(os.cpu_count() or 2) as pool:
            bodies = pool.map(make_ballot, jobs, chunksize=32)
        extra = {k: v.replace("{folder}", tmp) for k, v in (env or {}).items()}
        server_env = {**os.environ, "DATABASE_URL": url, "URNA_INSTANCE": tmp, **extra}
        port = _free_port()
        server = _start_gunicorn(port, workers, server_env)
        try:
            yield ServedVoteDay(
                folder=Path(tmp),
                database_url=url,
                base=f"http://127.0.0.1:{port}",
                vote_day=prepared.vote_day,
                bodies=bodies,
                server=server,
                env=server_env,
            )
        finally:
            server.terminate()
            server.wait(timeout=30)


def cast_figures(
    latencies: list[float], statuses: dict[int, int], elapsed: float
) -> dict[str, Any]:
    """Ballots sent and accepted, statuses, ballots/s, p50 and p99 of one casting run."""
    ordered = sorted(latencies)
    accepted = statuses.get(201, 0)
    return {
        "ballots_sent": len(latencies),
        "ballots_accepted": accepted,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "elapsed_s": round(elapsed, 3),
        "ballots_per_s": round(accepted / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(statistics.median(ordered), 1) if ordered else None,
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1)
        if ordered
        else None,
    }


def load_average() -> list[float]:
    """The machine's 1, 5 and 15 minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]
