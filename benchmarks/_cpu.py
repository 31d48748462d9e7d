"""CPU accounting for benchmarks on a shared machine (Linux /proc).

Wall-clock throughput depends on what else the machine runs; the CPU time
spent per operation by the processes involved (server workers, database
backends, the load generator) does much less. ``projected`` turns it into
the throughput the same work would reach on ``cores`` idle cores.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of one process (0 if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14, 15)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def cpu_of(pids: Iterable[int]) -> dict[int, float]:
    return {pid: process_cpu(pid) for pid in pids}


def postgres_backends(url: str) -> list[int]:
    """PIDs of the server processes connected to the database of ``url`` (not ours)."""
    if not url.startswith("postgresql"):
        return []
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            return [int(r[0]) for r in rows]
    finally:
        engine.dispose()


@dataclass(frozen=True)
class MachineSample:
    busy: float
    total: float
    steal: float = 0.0
    """Time the hypervisor gave to other guests while ours wanted to run (a VM's noise)."""

    @classmethod
    def now(cls) -> MachineSample:
        """Jiffies of the whole machine (all cores): busy, total and stolen, from /proc/stat."""
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        total = sum(values[:8])
        return cls((total - idle) / TICKS, total / TICKS, values[7] / TICKS)


def machine_busy(before: MachineSample, after: MachineSample) -> tuple[float, float]:
    """(busy CPU seconds of every process on the machine, percent of all cores busy).

    Busy time includes stolen time (see :func:`stolen_pct`).
    """
    busy = after.busy - before.busy
    total = after.total - before.total
    return busy, (100 * busy / total if total else 0.0)


def stolen_pct(before: MachineSample, after: MachineSample) -> float:
    """Percent of all cores' time stolen by the hypervisor between two samples."""
    total = after.total - before.total
    return 100 * (after.steal - before.steal) / total if total else 0.0


def all_processes() -> dict[int, tuple[str, float]]:
    """Every process on the machine: its command name and CPU seconds (user + system)."""
    found: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        found[int(entry.name)] = (name, (int(fields[11]) + int(fields[12])) / TICKS)
    return found


def busiest_others(
    before: dict[int, tuple[str, float]],
    after: dict[int, tuple[str, float]],
    ours: Iterable[int],
    *,
    top: int = 5,
) -> dict[str, float]:
    """CPU seconds taken between two :func:`all_processes` samples by processes not in ``ours``.

    Grouped by command name, the ``top`` busiest first. A process started
    after ``before`` counts all of its CPU; one gone by ``after`` is missed.
    """
    mine = set(ours)
    totals: dict[str, float] = {}
    for pid, (name, cpu) in after.items():
        if pid in mine:
            continue
        spent = cpu - before.get(pid, (name, 0.0))[1]
        if spent > 0:
            totals[name] = totals.get(name, 0.0) + spent
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])[:top]
    return {name: round(cpu, 2) for name, cpu in ranked}
