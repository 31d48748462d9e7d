"""Where the ballot checks run: this process, worker processes, or a Dask cluster.

The expensive part of verifying a record is the ballots' proofs. A backend
takes chunks of ballot tasks (each a leaf's bytes, its unit, whether it is
counted) and yields each chunk's result **in the order the chunks were
given**, keeping only a bounded number in flight: the ordered checks (the
Merkle tree, duplicates, the re-vote policy, the sums) stay in the main
process and see the same results in the same order whichever backend ran
them, so the report is the same.

- :class:`Inline`: in this process (``--jobs 1``);
- :class:`Processes`: a pool of worker processes on this machine (default,
  ``--jobs N``);
- :class:`Dask`: the workers of a Dask ``distributed`` scheduler
  (``--scheduler tcp://host:8786``); every worker needs Urna installed (the
  verifier's code: :mod:`crypto`, :mod:`voting.tools.verify`). Dask is
  imported only when this backend is used.
"""

from __future__ import annotations

import collections
import concurrent.futures
import multiprocessing
from collections.abc import Iterable
from collections.abc import Iterator
from typing import Any
from typing import Protocol
from typing import TypeVar

from voting.tools.verify.ballots import Chunk
from voting.tools.verify.ballots import verify_chunk

__all__ = ["Backend", "Dask", "Inline", "Processes", "SchedulerUnreachable"]

T = TypeVar("T")


class SchedulerUnreachable(Exception):
    """The Dask scheduler given with ``--scheduler`` cannot be reached or has no worker."""


class Backend(Protocol):
    chunk: int
    """ballots per task sent to a worker"""

    def run(self, context: Any, chunks: Iterable[tuple[Chunk, int, int]]) -> Iterator[Any]:
        """Yield ``(chunk, next leaf, offset, result)`` for each chunk, in the given order."""
        ...


class Inline:
    chunk = 25

    def run(self, context: Any, chunks: Iterable[tuple[Chunk, int, int]]) -> Iterator[Any]:
        for chunk, leaf, offset in chunks:
            yield chunk, leaf, offset, verify_chunk(context, chunk)


def _ordered(submit: Any, chunks: Iterable[tuple[Chunk, int, int]], window: int) -> Iterator[Any]:
    """Submit chunks, at most ``window`` in flight, and yield their results in order."""
    flight: collections.deque[tuple[Chunk, int, int, Any]] = collections.deque()
    for chunk, leaf, offset in chunks:
        flight.append((chunk, leaf, offset, submit(chunk)))
        if len(flight) >= window:
            chunk, leaf, offset, future = flight.popleft()
            yield chunk, leaf, offset, future.result()
    while flight:
        chunk, leaf, offset, future = flight.popleft()
        yield chunk, leaf, offset, future.result()


class Processes:
    """``jobs`` worker processes on this machine."""

    chunk = 25

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs

    def run(self, context: Any, chunks: Iterable[tuple[Chunk, int, int]]) -> Iterator[Any]:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        with concurrent.futures.ProcessPoolExecutor(
            self.jobs, mp_context=multiprocessing.get_context(method)
        ) as pool:
            yield from _ordered(
                lambda chunk: pool.submit(verify_chunk, context, chunk), chunks, 4 * self.jobs
            )


class Dask:
    """The workers of a Dask ``distributed`` scheduler (``tcp://host:port``).

    The client keeps no log of the messages it sent: Dask's default keeps the
    last 1,000 (``distributed.admin.low-level-log-length``), each task a
    chunk of ballots (≈400 KB of reference ballots), so the verifier's memory
    grew by ≈4 MB per 1,000 ballots up to ≈400 MB (≈700 MB for ballots of 4
    to 6 questions), measured on 100,000 ballots.
    """

    chunk = 100
    timeout = 30.0
    """seconds to wait for the scheduler"""
    message_log = 8
    """messages the client keeps for debugging (Dask's ``low-level-log-length``)"""

    def __init__(self, scheduler: str) -> None:
        self.scheduler = scheduler

    def run(self, context: Any, chunks: Iterable[tuple[Chunk, int, int]]) -> Iterator[Any]:
        import dask.config
        from distributed import Client

        try:
            with dask.config.set({"distributed.admin.low-level-log-length": self.message_log}):
                client = Client(self.scheduler, timeout=self.timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise SchedulerUnreachable(
                f"cannot reach the scheduler {self.scheduler}: {exc}"
            ) from exc
        try:
            threads = sum(client.nthreads().values())
            if threads == 0:
                raise SchedulerUnreachable(f"the scheduler {self.scheduler} has no worker")
            [shared] = client.scatter([context], broadcast=True)
            yield from _ordered(
                lambda chunk: client.submit(verify_chunk, shared, chunk, pure=False),
                chunks,
                4 * threads,
            )
        finally:
            client.close()
