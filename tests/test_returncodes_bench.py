"""benchmarks/returncodes_bench.py runs and prints its figures (never asserting speed)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_returncodes_bench_reports_the_authoritys_throughput_and_cpu() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "returncodes_bench.py"),
         "--voters", "6", "--requests", "6", "--clients", "2", "--runs", "3", "--json"],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    figures = json.loads(result.stdout)
    serve = figures["serve"]
    assert serve["statuses"] == {"200": 6} and serve["requests_per_s"] > 0
    assert serve["p99_ms"] >= serve["p50_ms"] > 0 and serve["authority_cpu_ms_per_request"] > 0
    crypto = figures["crypto_reference_ballot"]
    assert crypto["authority_checks_cpu_ms"] > 0 and crypto["device_partial_codes_ms"] > 0
    assert len(figures["load_average"]["start"]) == 3
