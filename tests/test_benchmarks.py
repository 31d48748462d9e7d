"""The benchmark scripts run and print the figures the issues ask for.

Only the presence and sanity of the figures is checked, never their speed.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(script: str, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args, "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(result.stdout)


def test_crypto_bench_reports_reference_ballot() -> None:
    figures = _run("crypto_bench.py", "--ballots", "50")
    ballot = figures["reference_ballot"]
    assert ballot["encrypt_ms"] > 0
    assert ballot["verify_ms"] > 0
    assert 1000 < ballot["size_bytes"] <= 5000


def test_record_bench_reports_the_server_cpu_of_record_requests() -> None:
    figures = _run("record_bench.py", "--ballots", "60", "--requests", "3")
    assert figures["record"]["entries"] > 60 and figures["record"]["export_cpu_s"] > 0
    served = figures["served"]
    assert served["requests"] == 3 and served["bytes_sent"] == figures["record"]["zip_bytes"]
    assert served["second_request_cpu_ms"] >= 0 and served["revalidate_304_cpu_ms"] >= 0
