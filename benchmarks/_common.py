"""Helpers shared by the benchmark scripts: timing and printing figures."""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any


def median_ms(fn: Callable[[], object], *, runs: int, warmup: int = 3) -> float:
    """The median wall-clock time of ``fn`` in milliseconds over ``runs`` calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def pin_to_one_core() -> None:
    """Run on a single core, as the bars are stated per core (Linux only)."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def emit(figures: dict[str, Any], *, as_json: bool, title: str) -> None:
    """Print the figures as JSON or as an aligned table."""
    if as_json:
        print(json.dumps(figures, indent=2))
        return
    print(title)
    print("=" * len(title))
    for section, values in figures.items():
        if isinstance(values, dict):
            print(f"\n{section}")
            width = max(len(k) for k in values)
            for key, value in values.items():
                print(f"  {key:<{width}}  {_fmt(value)}")
        else:
            print(f"{section}: {_fmt(values)}")


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)
