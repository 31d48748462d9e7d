"""Observers following a log from its tiles, standing in for other hosts (issue 16).

Each observer does what a real one does with C2SP tlog-tiles
(voting/tools/tiles.py): every ``poll`` seconds it fetches ``checkpoint``,
checks its signature with the log key it was given and the edge tiles
against its root; if the log grew, it checks that the new tree extends the
one it saw last (an RFC 9162 consistency proof computed from the tiles) and
fetches and checks every new entry against its leaf hash. It fetches only
what is new: hash tiles it already holds come from its own cache, and it
counts any immutable path (every path but ``checkpoint``) fetched twice.

The machine has no second host: the observers and the static file server
run here at the lowest CPU and I/O priority (``nice 19``, ``SCHED_IDLE``,
``ionice -c 3``) and, where the cgroup file system lets us, in a CPU cgroup
with the lowest weight and a quota, so that they take only what casting
leaves idle. What remains shared (caches, memory bandwidth, the loopback
network in the kernel) is named in the benchmark's output.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from dataclasses import field
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from crypto import merkle
from crypto.errors import InvalidConsistencyProof
from crypto.note import VerifierKey
from voting.tools.tiles import HttpSource
from voting.tools.tiles import TileError
from voting.tools.tiles import open_tiled_log

CHECKPOINT = "checkpoint"
HASH_TILE_CACHE = 64
"""Hash tiles an observer keeps (8 KiB each at most); entry bundles are never needed twice."""

_POLICIES = {0: "SCHED_OTHER", 3: "SCHED_BATCH", 5: "SCHED_IDLE"}


def low_priority_command() -> list[str]:
    """The prefix that starts a program at the lowest CPU and I/O priority (what is installed)."""
    prefix = []
    if shutil.which("chrt"):
        prefix += ["chrt", "--idle", "0"]
    prefix += ["nice", "-n", "19"]
    if shutil.which("ionice"):
        prefix += ["ionice", "-c", "3"]
    return prefix


def lower_own_priority() -> None:
    """This process (and the threads it starts from now on) at the lowest priority."""
    os.nice(19)
    if hasattr(os, "SCHED_IDLE"):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    if shutil.which("ionice"):
        subprocess.run(["ionice", "-c", "3", "-p", str(os.getpid())], check=True)


def release(pid: int) -> None:
    """Back to normal priority and out of any cgroup: a starved process can then exit."""
    try:
        if hasattr(os, "SCHED_OTHER"):
            os.sched_setscheduler(pid, os.SCHED_OTHER, os.sched_param(0))
        for root in (Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup")):
            if (root / "cgroup.procs").exists():
                (root / "cgroup.procs").write_text(str(pid))
                break
    except OSError:
        pass  # gone already, or not ours to move: terminate() still asks it to stop


def priority_of(pid: int) -> dict[str, Any]:
    """The nice value, scheduling policy and I/O class a process really runs with."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    io = ""
    if shutil.which("ionice"):
        answer = subprocess.run(["ionice", "-p", str(pid)], capture_output=True, text=True)
        io = answer.stdout.strip()
    policy = int(fields[38])  # field 41
    return {"nice": int(fields[16]), "policy": _POLICIES.get(policy, str(policy)), "io": io}


class CpuGroup:
    """A CPU cgroup (v1 ``cpu`` or v2) with a quota of ``cores``, at the lowest weight or not."""

    def __init__(self, cores: float, *, lowest: bool = True) -> None:
        self.cores, self.lowest = cores, lowest
        self.path: Path | None = None
        self.refused = ""
        v1, v2 = Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup")
        name = f"urna-observer-bench-{os.getpid()}"
        quota = str(int(cores * 100_000))
        try:
            if (v1 / "cpu.cfs_quota_us").exists():
                self.path = v1 / name
                self.path.mkdir()
                (self.path / "cpu.cfs_period_us").write_text("100000")
                (self.path / "cpu.cfs_quota_us").write_text(quota)
                (self.path / "cpu.shares").write_text("2" if lowest else "1024")
            elif "cpu" in (v2 / "cgroup.controllers").read_text().split():
                self.path = v2 / name
                self.path.mkdir()
                (self.path / "cpu.max").write_text(f"{quota} 100000")
                (self.path / "cpu.weight").write_text("1" if lowest else "100")
            else:
                self.refused = "no CPU controller under /sys/fs/cgroup"
        except OSError as exc:
            self.refused = f"cgroups not writable here ({exc.strerror})"
            self.close()

    def add(self, pid: int) -> None:
        """Move process ``pid`` (all its threads, and what it starts later) into the group."""
        if self.path is not None:
            (self.path / "cgroup.procs").write_text(str(pid))

    def describe(self) -> str:
        if self.path is None:
            return f"none: {self.refused}"
        weight = "lowest weight" if self.lowest else "normal weight"
        return f"quota {self.cores} cores, {weight} ({self.path})"

    def close(self) -> None:
        """Remove the group once the processes in it have ended (a few tries)."""
        for _ in range(50):
            if self.path is None or not self.path.exists():
                break
            try:
                self.path.rmdir()
            except OSError:
                time.sleep(0.1)  # a process in it is still exiting
        self.path = None


@dataclass
class FollowingSource:
    """Fetches from the static server, counting, and never twice the same immutable path."""

    source: HttpSource
    requests: int = 0
    received: int = 0
    cache_hits: int = 0
    refetches: int = 0
    seen: set[str] = field(default_factory=set)
    cache: OrderedDict[str, bytes] = field(default_factory=OrderedDict)

    def fetch(self, path: str, limit: int) -> bytes:
        if path in self.cache:
            self.cache.move_to_end(path)
            self.cache_hits += 1
            return self.cache[path]
        if path != CHECKPOINT:
            self.refetches += path in self.seen
            self.seen.add(path)
        data = self.source.fetch(path, limit)
        self.requests += 1
        self.received += len(data)
        if path != CHECKPOINT and "/entries/" not in path:
            self.cache[path] = data
            if len(self.cache) > HASH_TILE_CACHE:
                self.cache.popitem(last=False)
        return data

    def __str__(self) -> str:
        return str(self.source)


class Rollback(TileError):
    """The log served a checkpoint smaller than one the observer saw before."""


@dataclass
class Observer:
    """One observer's state: the last tree it verified and when it got there."""

    source: FollowingSource
    key: VerifierKey
    size: int = -1
    root: bytes = b""
    rounds: int = 0
    entries: int = 0
    consistency_checks: int = 0
    reached: list[tuple[float, int]] = field(default_factory=list)

    def round(self) -> None:
        """(1) checkpoint and edge tiles, (2) consistency with the last tree, (3) new entries."""
        log = open_tiled_log(self.source, self.key)  # (1)
        self.rounds += 1
        if self.size < 0:  # the first round: it starts from the tree it is shown
            self.size, self.root = log.size, log.checkpoint.root_hash
            return
        if log.size < self.size:
            raise Rollback(f"checkpoint size {log.size} after {self.size}")
        if log.size > self.size or log.checkpoint.root_hash != self.root:
            proof = log.consistency_proof(self.size) if self.size else []  # (2)
            merkle.verify_consistency(
                self.size, log.size, proof, self.root, log.checkpoint.root_hash
            )
            self.consistency_checks += 1
            for _ in log.entries(start=self.size):  # (3)
                self.entries += 1
            self.size, self.root = log.size, log.checkpoint.root_hash
            self.reached.append((time.time(), log.size))


def follow(
    url: str, key: str, count: int, poll: float, lowest: bool, stop: Event, started: Any,
    sizes: Any, received: Any, results: Any,
) -> None:  # fmt: skip
    """``count`` observer threads following the tiles at ``url`` until ``stop`` (a process)."""
    if lowest:
        lower_own_priority()
    pinned = VerifierKey.parse(key)
    lock = threading.Lock()
    observers = [Observer(FollowingSource(HttpSource(url)), pinned) for _ in range(count)]
    errors: dict[str, int] = {}
    examples: dict[str, str] = {}

    def run(n: int) -> None:
        observer = observers[n]
        time.sleep(poll * n / count)  # spread the polls over the interval
        while not stop.is_set():
            begun = time.monotonic()
            try:
                first = observer.size < 0
                observer.round()
                sizes[n] = observer.size
                received[n] = observer.source.received
                if first:
                    with lock:  # this process alone writes it
                        started.value += 1
            except (TileError, InvalidConsistencyProof) as exc:
                with lock:
                    name = type(exc).__name__
                    errors[name] = errors.get(name, 0) + 1
                    examples.setdefault(name, str(exc))
            stop.wait(max(0.0, poll - (time.monotonic() - begun)))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    cpu = time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(
        {
            "rounds": sum(o.rounds for o in observers),
            "requests": sum(o.source.requests for o in observers),
            "bytes": sum(o.source.received for o in observers),
            "hash_tiles_from_own_cache": sum(o.source.cache_hits for o in observers),
            "immutable_paths_fetched_twice": sum(o.source.refetches for o in observers),
            "entries_verified": sum(o.entries for o in observers),
            "consistency_proofs_checked": sum(o.consistency_checks for o in observers),
            "errors": errors,
            "error_examples": examples,
            "cpu_s": time.process_time() - cpu,
            "reached": [o.reached for o in observers],
            "final_sizes": [o.size for o in observers],
        }
    )
