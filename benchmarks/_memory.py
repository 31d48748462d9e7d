"""A process's resident memory, as Linux's ``/proc/PID/status`` gives it.

Why not ``resource.getrusage(...).ru_maxrss``: Linux keeps, across
``execve``, the peak of the memory the process had *before* it: a child
that a benchmark starts with :mod:`subprocess` (fork or vfork, then exec)
reports as its own peak at least the benchmark's RSS at that moment. A
benchmark that held its generated record (hundreds of MB) thus made the
verifier it started look that big (docs/performance.md, "Verifying").
``VmHWM`` belongs to the process's own address space: it starts afresh at
``execve``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["peak_rss_mb", "rss_mb"]


def _status_mb(pid: int | str, field: str) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)  # kB
    return 0.0


def rss_mb(pid: int | str = "self") -> float:
    """The process's resident set size now, in MB (0 if it is gone or not Linux)."""
    return _status_mb(pid, "VmRSS")


def peak_rss_mb(pid: int | str = "self") -> float:
    """The peak resident set size of the process since it started its program, in MB."""
    return _status_mb(pid, "VmHWM")
