"""benchmarks/browser_page_bench.py runs and reports its figures (never judged on speed)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_browser_page_bench_reports_time_and_bytes() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "browser_page_bench.py"),
            "--runs",
            "1",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    figures = json.loads(result.stdout)
    assert figures["encrypt_sign_ms"]["cold"] > 0 and figures["encrypt_sign_ms"]["median"] > 0
    downloaded = figures["bytes_to_cast"]
    assert downloaded["js_vendored_noble"] > 50_000 and downloaded["js_urna"] > 10_000
    assert downloaded["css"] > 0 and downloaded["html"] > 0 and downloaded["json_api"] > 0
    assert figures["bytes_receipt_page"]["html"] > 0
