"""Group commit: requests that arrive while an append is in flight are appended together.

A log's appends are serialized by its lock (:func:`voting.log.bulletin.locked_log`):
one transaction at a time holds it, and each pays a lock acquisition, a few
round trips and a commit flush. A :class:`Sequencer` lets the requests of one
process that want the same lock share those costs (docs/log.md, "Group
commit"), as Trillian's and Tessera's sequencers do:

- a request queues its item under a key (the database and the log) and, if
  no batch of that key is in flight in this process, becomes the *leader*;
  otherwise it waits on an event;
- the leader takes every queued item (at most :attr:`Sequencer.max_batch`),
  runs the batch with its own database session (one lock, one transaction,
  one commit), and hands each waiter its own outcome: a result, or the
  exception that refused that item alone;
- if items queued meanwhile, the leader hands the lead to the first of them
  before it returns, so no request serves more than the batch it is in.

An outcome is handed out only after the batch's ``run`` returned, that is
after its transaction committed: a waiter never answers for an item that is
not durable. If ``run`` raises, nothing of the batch was committed (the
transaction is rolled back) and every item of it gets that exception.

A leader may hand the lead on before its batch is done
(:func:`hand_on`): once its batch holds the log's lock and only its writes
and commit are left, the next batch can prepare meanwhile (its reads, checks
and hashes) and queue for the lock (docs/log.md, "Pipelined batches"). At
most that one next batch runs beside it: the one after waits for the next to
hand on in turn. A batch that starts beside a running one takes at most half
of the items of both (but at least :data:`SPLIT_FROM`): with a fixed number
of requests in flight, batches of 1 and 63 would otherwise follow each other
for ever (each batch's requests come back for the batch after next).

Across processes nothing changes: each process's batches take the log's
lock in turn. Works with gunicorn's sync workers (a batch of one) and
gthread workers (a batch of up to the worker's threads).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from collections.abc import Hashable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Generic
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def _held_lock() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass(eq=False)
class _Waiter(Generic[Item]):
    item: Item
    wake: threading.Lock = field(default_factory=_held_lock)
    """Held from the start, released once to wake the waiter (a bare lock: an
    ``Event`` costs a condition variable and a fresh lock per wait)."""
    outcome: object = None
    lead: bool = False
    """Woken to lead the next batch rather than with an outcome."""


@dataclass(eq=False)
class _Queue:
    waiting: list[_Waiter[object]] = field(default_factory=list)
    busy: bool = False
    """A leader is running a batch of this key (then ``waiting`` is its next batch)."""


SPLIT_FROM = 16
"""A batch that starts beside a running one takes at least this many items (if
queued): a small batch is not worth its lock's fixed costs (round trips, flush)."""
_leading = threading.local()
"""The current thread's way to hand the lead on, while it runs a batch."""


def beside_running() -> bool:
    """Whether the current thread's batch started while a batch it was handed on by ran."""
    return bool(getattr(_leading, "beside", False))


def hand_on() -> None:
    """Let the next batch of the current thread's batch's key start now (once; else nothing).

    Called from inside a sequencer's ``run``: the items queued meanwhile form
    the next batch, led by their first, while this batch finishes. Outcomes
    are still handed out only when ``run`` returns. Outside a batch, or
    called twice, it does nothing.
    """
    release = getattr(_leading, "hand_on", None)
    if release is not None:
        release()


@dataclass
class BatchStats:
    """What a sequencer has done (for tests and benchmarks)."""

    batches: int = 0
    items: int = 0
    largest: int = 0


class Sequencer(Generic[Item, Result]):
    """Runs the items submitted concurrently under one key as batches (see the module)."""

    def __init__(self, max_batch: int = 256) -> None:
        if max_batch < 1:
            raise ValueError("a batch holds at least one item")
        self.max_batch = max_batch
        self.stats = BatchStats()
        self._lock = threading.Lock()
        self._queues: dict[Hashable, _Queue] = {}
        self._running: dict[Hashable, int] = {}
        """Items in the batches of a key that are running (two once one handed on)."""

    def submit(
        self,
        key: Hashable,
        item: Item,
        run: Callable[[Sequence[Item]], Sequence[Result | BaseException]],
    ) -> Result:
        """Run ``item`` in the next batch of ``key``; return its result or raise its refusal.

        ``run`` is called by this thread only if it leads a batch: it gets the
        batch's items in their order of arrival and returns one outcome per
        item (its result, or the exception refusing it alone), once they are
        durable.
        """
        waiter: _Waiter[object] = _Waiter(item)
        with self._lock:
            queue = self._queues.setdefault(key, _Queue())
            queue.waiting.append(waiter)
            lead = not queue.busy
            queue.busy = True
        if not lead:
            waiter.wake.acquire()
            if not waiter.lead:
                return self._unwrap(waiter.outcome)
        self._lead(key, queue, run)
        return self._unwrap(waiter.outcome)

    def _lead(
        self,
        key: Hashable,
        queue: _Queue,
        run: Callable[[Sequence[Item]], Sequence[Result | BaseException]],
    ) -> None:
        with self._lock:  # the leader is first in line: always in its own batch
            running = self._running.get(key, 0)
            size = min(self.max_batch, len(queue.waiting))
            if running:  # a batch handed on is still running: share the items with it
                size = min(size, max(SPLIT_FROM, (running + len(queue.waiting)) // 2))
            batch = queue.waiting[:size]
            del queue.waiting[:size]
            self._running[key] = running + size
        handed = False

        def release() -> None:
            nonlocal handed
            if handed:
                return
            handed = True
            self._pass_lead(key, queue)

        outcomes: Sequence[object]
        _leading.hand_on, _leading.beside = release, bool(running)
        try:
            outcomes = run([w.item for w in batch])  # type: ignore[misc]
            if len(outcomes) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} gave {len(outcomes)} outcomes")
        except BaseException as exc:  # nothing of the batch is committed
            outcomes = [exc] * len(batch)
        finally:
            _leading.hand_on, _leading.beside = None, False
        with self._lock:
            self.stats.batches += 1
            self.stats.items += len(batch)
            self.stats.largest = max(self.stats.largest, len(batch))
            self._running[key] -= len(batch)
            if not self._running[key]:
                del self._running[key]
        for waiter, outcome in zip(batch, outcomes, strict=True):
            waiter.outcome = outcome
            waiter.wake.release()  # once per waiter (the leader never waits on its own)
        release()

    def _pass_lead(self, key: Hashable, queue: _Queue) -> None:
        """Wake the first item queued under ``key`` to lead the next batch, or free the key."""
        with self._lock:
            successor = queue.waiting[0] if queue.waiting else None
            if successor is None:
                queue.busy = False
                if self._queues.get(key) is queue:
                    del self._queues[key]
            else:
                successor.lead = True
        if successor is not None:
            successor.wake.release()

    @staticmethod
    def _unwrap(outcome: object) -> Result:
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome  # type: ignore[return-value]
