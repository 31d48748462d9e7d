"""Time the registrar's offline run: codes, public credentials and the voting-card PDF.

Generates N cards (default 1000) into a temporary directory with
``voting.registrar.generate.generate`` (what ``flask --app app credentials generate``
runs) and reports cards per second end to end, the cost of each step per
card, and the PDF's size per card. Also times one argon2id password hash at
the interactive level used for officials. One core.

    python benchmarks/cards_bench.py [--cards N] [--json]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import emit
from benchmarks._common import median_ms
from benchmarks._common import pin_to_one_core
from crypto.credentials import derive_credential
from crypto.credentials import generate_code
from voting.registrar.cards import card_url
from voting.registrar.cards import qr_runs
from voting.registrar.generate import UnitSpec
from voting.registrar.generate import generate
from voting.services.officials import hash_password

DAY = "2026-03-08-ch"
BASE = "https://vote.example.ch"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    pin_to_one_core()

    code = generate_code()
    steps = {
        "code_and_key_ms": median_ms(lambda: derive_credential(generate_code(), DAY), runs=200),
        "qr_code_ms": median_ms(lambda: qr_runs(card_url(BASE, DAY, code)), runs=50),
        "argon2id_interactive_ms": median_ms(
            lambda: hash_password("correct horse battery staple"), runs=5, warmup=1
        ),
    }
    half = args.cards // 2
    units = [
        UnitSpec("quarter:10261", half, "Zürich Kreis 1"),
        UnitSpec("municipality:351", args.cards - half, "Bern", "fr"),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = generate(
            vote_day=DAY, units=units, out_dir=Path(tmp), base_url=BASE, title="Benchmark"
        )
        seconds = time.perf_counter() - started
        pdf_bytes = result.cards_path.stat().st_size
    figures = {
        "cards": {
            "count": result.total,
            "seconds": seconds,
            "cards_per_s": result.total / seconds,
            "pdf_kib_per_card": pdf_bytes / result.total / 1024,
        },
        "per_card": steps,
    }
    emit(figures, as_json=args.json, title="Voting cards (one core)")


if __name__ == "__main__":
    main()
