"""Import the Federal Statistical Office's full results file and check the canton electorates.

    python benchmarks/import_bench.py PATH/bfs_sd-t-17-02-20180304-eidgAbstimmung.json [--json]
        [--database-url URL] [--runs N]

Each run imports into a fresh, migrated database (a temporary SQLite file by
default; with ``--database-url`` a PostgreSQL database whose public schema is
DROPPED and rebuilt, so never point it at a database you care about). It times
the import (parse + validate + one transaction, as ``flask jurisdictions
import`` does) and compares every canton's imported electorate with the
canton row of the file. Bern is reported but allowed to differ: the file's
municipalities were remapped to 2025 boundaries (see the data's README).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from voting.app import create_app
from voting.app.extensions import db
from voting.services.jurisdiction_formats import BFS_CANTONS
from voting.services.jurisdictions import canton_electorates
from voting.services.jurisdictions import import_file

LIMIT_SECONDS = 10.0
REMAPPED = {"BE"}


def file_electorates(path: Path) -> dict[str, int]:
    document = json.loads(path.read_text(encoding="utf-8"))
    cantons = document["schweiz"]["vorlagen"][0]["kantone"]
    return {
        BFS_CANTONS[int(c["geoLevelnummer"])][0]: c["resultat"]["anzahlStimmberechtigte"]
        for c in cantons
    }


def one_run(path: Path, url: str | None) -> tuple[float, dict[str, int], int]:
    with tempfile.TemporaryDirectory() as tmp:
        database = url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": database, "URNA_INSTANCE": tmp})
        with app.app_context():
            if url:
                with db.engine.begin() as conn:
                    conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            upgrade()
            started = time.perf_counter()
            summary = import_file(db.session, path)
            elapsed = time.perf_counter() - started
            totals = canton_electorates(db.session)
            db.session.remove()
            db.engine.dispose()
    return elapsed, totals, summary.total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--database-url", help="PostgreSQL URL (its schema is rebuilt!)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    expected = file_electorates(args.path)
    times, totals, units = [], {}, 0
    for _ in range(args.runs):
        elapsed, totals, units = one_run(args.path, args.database_url)
        times.append(elapsed)
    rows = [
        {"canton": code, "file": expected[code], "imported": totals.get(code),
         "ok": totals.get(code) == expected[code] or code in REMAPPED}
        for code in expected
    ]  # fmt: skip
    mismatches = [r["canton"] for r in rows if r["file"] != r["imported"]]
    result = {
        "database": "postgresql" if args.database_url else "sqlite",
        "units": units,
        "runs": args.runs,
        "seconds_median": round(statistics.median(times), 3),
        "seconds_max": round(max(times), 3),
        "limit_seconds": LIMIT_SECONDS,
        "electorate_mismatches": mismatches,
        "cantons": rows,
    }
    ok = max(times) < LIMIT_SECONDS and all(r["ok"] for r in rows)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"database {result['database']}, {units} units, {args.runs} runs")
        print(f"import: median {result['seconds_median']} s, max {result['seconds_max']} s "
              f"(limit {LIMIT_SECONDS} s)")  # fmt: skip
        print(f"{'canton':<7}{'file':>10}{'imported':>10}  check")
        for row in rows:
            note = (
                "ok" if row["file"] == row["imported"] else "remapped" if row["ok"] else "MISMATCH"
            )
            print(f"{row['canton']:<7}{row['file']:>10}{row['imported']:>10}  {note}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
