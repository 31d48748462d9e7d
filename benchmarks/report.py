"""The performance report: runs the benchmarks and writes docs/performance.md with plots.

    python benchmarks/report.py [--database-url postgresql+psycopg://.../scratch]
        [--out docs] [--quick] [--json]

Three series (issue 8), each plotted with matplotlib (``pip install -e '.[bench]'``):

1. cast throughput against the number of gunicorn workers (1, 2, 4), on
   SQLite and on PostgreSQL (benchmarks/cast_bench.py: reference ballots
   prepared before timing, 32 loopback clients), with the CPU each ballot
   cost and the throughput that CPU would give on idle cores;
2. the independent verifier's throughput against the number of ballots
   (benchmarks/e2e_bench.py: a simulated vote day, then ``python -m
   voting.tools.verify`` with 2 jobs);
3. proof time against log size (benchmarks/log_bench.py: inclusion and
   consistency proofs on SQLite logs of 10^3 to 10^6 leaves).

The machine may be shared: the load average and the share of CPU other
processes took are recorded with every cast figure. ``--quick`` runs small
sizes only (for a smoke test). The PostgreSQL database's schema is rebuilt:
use a scratch database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from benchmarks import cast_bench  # noqa: E402
from benchmarks import e2e_bench  # noqa: E402
from benchmarks import log_bench  # noqa: E402
from benchmarks._common import emit  # noqa: E402

WORKERS = (1, 2, 4)
CLIENTS = 32


def cast_series(database_url: str | None, ballots: int) -> list[dict[str, Any]]:
    rows = []
    for database in ("sqlite", "postgresql"):
        if database == "postgresql" and not database_url:
            continue
        for workers in WORKERS:
            url = database_url if database == "postgresql" else None
            figures = cast_bench.run(workers, CLIENTS, ballots, url, max_seconds=300)
            print(f"cast {database} workers={workers}: {figures['ballots_per_s']}/s", flush=True)
            rows.append(figures)
    return rows


def verify_series(sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    rows = []
    for voters in sizes:
        with tempfile.TemporaryDirectory(prefix="urna-report-verify-") as tmp:
            figures = e2e_bench.bench(voters, 2, Path(tmp), witnesses=0)
        figures["voters"] = voters
        print(f"verify {voters} voters: {figures['verify_ballots_per_s']}/s", flush=True)
        rows.append(figures)
    return rows


def proof_series(sizes: tuple[int, ...], runs: int) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="urna-report-log-") as tmp:
        path = Path(tmp) / "log.sqlite"
        built = 0
        for size in sizes:
            if built == 0:
                log_bench.build(path, size, single=min(size, 100), batch=10_000)
            else:
                _grow(path, built, size)
            built = size
            figures = log_bench.measure_proofs(path, runs)
            rows.append(
                {
                    "leaves": size,
                    "inclusion_proof_ms": round(figures["inclusion_proof_ms_1m"], 3),
                    "consistency_proof_ms": round(figures["consistency_proof_ms_1m"], 3),
                }
            )
            print(f"proofs at {size} leaves: {rows[-1]}", flush=True)
    return rows


def _grow(path: Path, start: int, end: int) -> None:
    session = log_bench._session(path)
    try:
        for first in range(start, end, 10_000):
            last = min(end, first + 10_000)
            records = [log_bench._record(n) for n in range(first, last)]
            log_bench.bulletin.append_many(session, log_bench.NAME, records)
    finally:
        session.close()
        session.get_bind().dispose()


# --- plots and the report ----------------------------------------------------------


def plot_cast(rows: list[dict[str, Any]], out: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 4))
    for database, marker, color in (("sqlite", "o", "tab:blue"), ("postgresql", "s", "tab:green")):
        mine = [r for r in rows if r["database"] == database]
        if not mine:
            continue
        workers = [r["workers"] for r in mine]
        measured = [r["ballots_per_s"] for r in mine]
        ax.plot(workers, measured, marker=marker, color=color, label=f"{database}: measured")
        projected = [_projected(r) for r in mine]
        ax.plot(workers, projected, marker=marker, color=color, linestyle="--", alpha=0.5,
                label=f"{database}: CPU per ballot, idle cores")  # fmt: skip
    ax.axhline(100, color="grey", linewidth=0.8, linestyle=":")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("gunicorn workers")
    ax.set_ylabel("ballots cast per second")
    ax.set_xticks(list(WORKERS))
    ax.set_title("Cast throughput (reference 3-question ballots)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def plot_verify(rows: list[dict[str, Any]], out: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 4))
    ballots = [r["ballots_verified"] for r in rows]
    ax.plot(ballots, [r["verify_reference_ballots_per_s"] for r in rows], marker="o",
            label="reference ballots / s (wall clock, 2 jobs)")  # fmt: skip
    ax.plot(ballots, [2 * r["verify_reference_ballots_per_cpu_s"] for r in rows], marker="s",
            linestyle="--", label="2 x reference ballots / CPU s")  # fmt: skip
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("ballots in the record")
    ax.set_ylabel("reference ballots verified per second")
    ax.set_title("Independent verifier (python -m voting.verify)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def plot_proofs(rows: list[dict[str, Any]], out: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 4))
    leaves = [r["leaves"] for r in rows]
    ax.plot(leaves, [r["inclusion_proof_ms"] for r in rows], marker="o", label="inclusion")
    ax.plot(leaves, [r["consistency_proof_ms"] for r in rows], marker="s", label="consistency")
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("log size (leaves)")
    ax.set_ylabel("median time per proof (ms)")
    ax.set_title("Proofs from the stored log (SQLite)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def _projected(row: dict[str, Any]) -> float:
    key = next(k for k in row if k.startswith("projected_ballots_per_s_on_"))
    return float(row[key] or 0.0)


def _cast_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| database | workers | ballots/s | p50 ms | p99 ms "
        "| CPU ms/ballot (workers + db + clients) "
        "| projected on idle cores | load before | cores busy | stolen | others' CPU s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cpu = r["cpu_ms_per_ballot"]
        m = r["machine"]
        lines.append(
            f"| {r['database']} | {r['workers']} | **{r['ballots_per_s']}** | {r['p50_ms']} "
            f"| {r['p99_ms']} | {cpu['total']} ({cpu['server_workers']} + {cpu['database']} "
            f"+ {cpu['clients']}) | {_projected(r)} | {m['load_average_1min_before']} "
            f"| {m['cores_busy_pct']} % | {m.get('stolen_pct', '–')} % "
            f"| {m['other_processes_cpu_s']} |"
        )
    return lines


def write_report(figures: dict[str, Any], out: Path) -> Path:
    images = out / "performance"
    images.mkdir(parents=True, exist_ok=True)
    plot_cast(figures["cast"], images / "cast_throughput.png")
    plot_verify(figures["verify"], images / "verifier_throughput.png")
    plot_proofs(figures["proofs"], images / "proof_time.png")
    env = figures["environment"]
    lines = [
        "# Performance",
        "",
        f"Measured by `python benchmarks/report.py` on {env['date']} ({env['machine']}, "
        f"{env['cores']} cores, Python {env['python']}), in {env['report_minutes']} minutes.",
        "The machine is shared with other work: every cast figure carries the load",
        "average before it, how busy the cores were, the share of the cores the",
        "hypervisor gave to other virtual machines (stolen) and how much CPU other",
        "processes took meanwhile; the CPU time each ballot cost (gunicorn workers,",
        "PostgreSQL backends and the load generator together) is what the same",
        "work needs on idle cores, whence the projection.",
        "",
        "## Casting",
        "",
        f"`benchmarks/cast_bench.py`: gunicorn (`gunicorn.conf.py`, synchronous workers), "
        f"{CLIENTS} clients on loopback, {figures['cast'][0]['ballots_sent']} reference "
        "three-question ballots per run, prepared (encrypted, proved, signed) before timing;",
        "every ballot fully verified and durably logged before its receipt.",
        "",
        "![cast throughput](performance/cast_throughput.png)",
        "",
        *_cast_table(figures["cast"]),
        "",
        "Acceptance (issue 8): gunicorn with 2 workers on PostgreSQL, at least 100",
        "ballots per second; the command is",
        "`python benchmarks/cast_bench.py --workers 2 --database-url postgresql+psycopg://…`.",
        "",
        "## The independent verifier",
        "",
        "`benchmarks/e2e_bench.py`: a simulated vote day (`flask simulate`), its record",
        "exported, then `python -m voting.verify --jobs 2`. Ballots of the rehearsal carry",
        "4 to 6 questions; the figures are in reference ballots (9 range proofs each).",
        "",
        "![verifier throughput](performance/verifier_throughput.png)",
        "",
        "| voters | ballots verified | verify total s | ballot phase s | reference ballots/s "
        "| reference ballots / CPU s | load before |",
        "|---|---|---|---|---|---|---|",
        *[
            f"| {r['voters']} | {r['ballots_verified']} | {r['verify_total_s']} "
            f"| {r['verify_ballot_phase_s']} | **{r['verify_reference_ballots_per_s']}** "
            f"| {r['verify_reference_ballots_per_cpu_s']} | {r['load_average_before'][0]} |"
            for r in figures["verify"]
        ],
        "",
        "## Proofs",
        "",
        "`benchmarks/log_bench.py`'s log on SQLite (WAL): median time of an inclusion",
        "and a consistency proof at random indexes and sizes. Each proof reads",
        "O(log n) stored subtree hashes in one query, so the time barely grows.",
        "",
        "![proof time](performance/proof_time.png)",
        "",
        "| leaves | inclusion proof ms | consistency proof ms |",
        "|---|---|---|",
        *[
            f"| {r['leaves']:,} | {r['inclusion_proof_ms']} | {r['consistency_proof_ms']} |"
            for r in figures["proofs"]
        ],
        "",
        "## Raw figures",
        "",
        "```json",
        json.dumps(figures, indent=1),
        "```",
        "",
    ]
    path = out / "performance.md"
    path.write_text("\n".join(lines))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL scratch database (schema rebuilt)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--ballots", type=int, default=1000, help="ballots per cast run")
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    started = time.monotonic()
    quick = args.quick
    figures: dict[str, Any] = {
        "environment": {
            "date": dt.date.today().isoformat(),
            "machine": platform.machine(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": round(os.getloadavg()[0], 2),
        },
        "cast": cast_series(args.database_url, 60 if quick else args.ballots),
        "verify": verify_series((20, 40) if quick else (100, 300, 1000)),
        "proofs": proof_series(
            (1000, 10_000) if quick else (1000, 10_000, 100_000, 1_000_000), 50 if quick else 300
        ),
    }
    figures["environment"]["report_minutes"] = round((time.monotonic() - started) / 60, 1)
    path = write_report(figures, args.out)
    if args.json:
        emit(figures, as_json=True, title="")
    else:
        print(f"Wrote {path} and its plots in {args.out / 'performance'}")


if __name__ == "__main__":
    main()
