"""benchmarks/cards_bench.py runs and reports its figures (never checks speed)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_cards_bench_reports_figures() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "cards_bench.py"), "--cards", "10", "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    figures = json.loads(result.stdout)
    assert figures["cards"]["count"] == 10
    assert figures["cards"]["cards_per_s"] > 0
    assert figures["per_card"]["qr_code_ms"] > 0
