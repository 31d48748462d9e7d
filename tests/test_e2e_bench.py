"""benchmarks/e2e_bench.py runs and reports the figures of issue 6 (never their speed)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_e2e_bench_reports_its_figures() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "e2e_bench.py"),
            "--voters",
            "4",
            "--witnesses",
            "0",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    figures = json.loads(done.stdout)
    assert figures["verify_valid"] is True
    assert figures["simulate_s"] > 0 and figures["simulate_1000_s"] is None
    assert (
        figures["verify_ballots_per_s"] > 0 and figures["ballots_verified"] >= 4
    )  # and the audited ones
    assert figures["verify_reference_ballots_per_s"] > 0
    assert figures["witnesses_cosigned"] is None
