"""Time Urna's cryptographic primitives and the reference ballot.

The reference ballot (issue 2): three yes/no questions where blank is allowed
(2 options, 0 or 1 selections). Figures are medians over at least 50 ballots,
measured on one core: wall-clock (``*_ms``) and the thread's CPU time
(``*_cpu_ms``, which other processes on a shared machine disturb far less),
with the load average at the start and the end of the run. The bars of issue
15 are verify <= 5 ms and encrypt <= 4 ms.

    python benchmarks/crypto_bench.py [--ballots N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import emit
from benchmarks._common import median_ms
from benchmarks._common import pin_to_one_core
from crypto.ballot import Ballot
from crypto.ballot import ElectionContext
from crypto.ballot import QuestionSpec
from crypto.ballot import encrypt_ballot
from crypto.ballot import verify_ballot
from crypto.credentials import derive_credential
from crypto.credentials import generate_code
from crypto.elgamal import encrypt
from crypto.elgamal import generate_keypair
from crypto.encoding import canonical_json
from crypto.group import G
from crypto.group import Point
from crypto.group import Scalar
from crypto.proofs import prove_range
from crypto.proofs import verify_range

REFERENCE_QUESTIONS = [QuestionSpec(f"question-{i}", 2, 0, 1) for i in range(1, 4)]
SELECTIONS = {"question-1": [1, 0], "question-2": [0, 1], "question-3": [0, 0]}


def median_cpu_ms(fn: Callable[[], object], *, runs: int, warmup: int = 3) -> float:
    """The median CPU time of ``fn`` on this thread in milliseconds over ``runs`` calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.thread_time_ns()
        fn()
        samples.append((time.thread_time_ns() - start) / 1e6)
    return statistics.median(samples)


def primitives(runs: int) -> dict[str, float]:
    key = generate_keypair()
    s = Scalar.random()
    p = Point.base_times(s)
    encoded = p.encoded
    ct, r = encrypt(1, key.public)
    proof = prove_range(ct, value=1, nonce=r, public=key.public, lo=0, hi=1, context=[b"b"])
    return {
        "base_mul_ms": median_ms(lambda: Point.base_times(s), runs=runs),
        "var_mul_ms": median_ms(lambda: p * s, runs=runs),
        "point_add_ms": median_ms(lambda: p + G, runs=runs),
        "point_decode_ms": median_ms(lambda: Point.from_bytes(encoded), runs=runs),
        "encrypt_ms": median_ms(lambda: encrypt(1, key.public), runs=runs),
        "range01_prove_ms": median_ms(
            lambda: prove_range(
                ct, value=1, nonce=r, public=key.public, lo=0, hi=1, context=[b"b"]
            ),
            runs=runs,
        ),
        "range01_verify_ms": median_ms(
            lambda: verify_range(proof, ct, public=key.public, lo=0, hi=1, context=[b"b"]),
            runs=runs,
        ),
    }


def reference_ballot(ballots: int) -> dict[str, float | int]:
    key = generate_keypair()
    election = ElectionContext("2026-03-08-ch", bytes(32), key.public)
    credential = derive_credential(generate_code(), election.vote_day_id)

    def make() -> Ballot:
        return encrypt_ballot(
            SELECTIONS, questions=REFERENCE_QUESTIONS, election=election, credential=credential
        )[0]

    wire = [json.dumps(make().to_json()) for _ in range(ballots)]
    pending = iter(wire * 4)

    def verify_one() -> None:
        # What the server does with a ballot from the wire: parse, check every
        # point, the signature and every proof.
        ballot = Ballot.from_json(json.loads(next(pending)))
        verify_ballot(ballot, questions=REFERENCE_QUESTIONS, election=election)

    return {
        "encrypt_ms": median_ms(make, runs=ballots),
        "verify_ms": median_ms(verify_one, runs=ballots, warmup=0),
        "encrypt_cpu_ms": median_cpu_ms(make, runs=ballots),
        "verify_cpu_ms": median_cpu_ms(verify_one, runs=ballots, warmup=0),
        "size_bytes": len(canonical_json(make().to_json())),
        "ballots": ballots,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=100, help="ballots to time (>= 50)")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    args = parser.parse_args()
    if args.ballots < 50:
        parser.error("--ballots must be at least 50")
    pin_to_one_core()
    load_before = os.getloadavg()[0]
    figures: dict[str, object] = {
        "primitives": primitives(runs=500),
        "reference_ballot": reference_ballot(args.ballots),
    }
    figures["load_average_1min"] = {"start": load_before, "end": os.getloadavg()[0]}
    figures["cpus"] = os.cpu_count()
    emit(figures, as_json=args.json, title="Urna crypto benchmark (medians, one core)")


if __name__ == "__main__":
    main()
