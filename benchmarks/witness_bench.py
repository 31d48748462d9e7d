"""Time the witnesses' BLS12-381 operations (py-ecc) and aggregate verification by roster size.

    python benchmarks/witness_bench.py [--runs N] [--sizes 10,100,1000] [--json]

Figures are medians of CPU time (process time), in milliseconds.

For ``n`` signers, the aggregate of ``n`` cosignatures of one message equals
one signature by the sum of their secret keys, so the benchmark makes it with
one ``Sign`` instead of ``n`` (the verification is what is timed).

Per roster size ``n`` (every member signing):

- ``roster_build_n_ms``: building the :class:`Roster`, which validates each
  key once (done when the log or a verifier loads the roster, not per check);
- ``aggregate_verify_n_ms``: decoding the aggregate line's payload (the
  signature's subgroup check) and verifying it, the first time this bitmap
  is seen (the keys are summed);
- ``aggregate_verify_again_n_ms``: the same for the next checkpoint with the
  same signers (the summed key is remembered).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from py_ecc.optimized_bls12_381 import curve_order

from benchmarks._common import emit
from benchmarks._common import pin_to_one_core
from crypto.note import Checkpoint
from crypto.note import format_checkpoint
from crypto.witness import AggregateCosignature
from crypto.witness import Roster
from crypto.witness import RosterMember
from crypto.witness import WitnessSecretKey
from crypto.witness import _keys
from crypto.witness import aggregate_signatures
from crypto.witness import encode_bitmap
from crypto.witness import prove_possession
from crypto.witness import sign_checkpoint
from crypto.witness import verify_aggregate_cosignature
from crypto.witness import verify_checkpoint_cosignature
from crypto.witness import verify_possession


def median_ms(fn: Callable[[], object], *, runs: int, warmup: int = 1) -> float:
    """Median CPU time of ``fn`` in ms: the machine is shared, so CPU time, not wall time."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.process_time()
        fn()
        samples.append((time.process_time() - start) * 1000)
    return statistics.median(samples)


TEXT = format_checkpoint(Checkpoint("urna.example/log/bench", 1_000_000, b"\x01" * 32))


def single(runs: int) -> dict[str, float]:
    key = WitnessSecretKey.generate()
    public = key.public_key()
    pop = prove_possession(key)
    signature = sign_checkpoint(key, TEXT)
    return {
        "keygen_ms": median_ms(lambda: WitnessSecretKey.generate().public_key(), runs=runs),
        "pop_prove_ms": median_ms(lambda: prove_possession(key), runs=runs, warmup=1),
        "pop_verify_ms": median_ms(lambda: verify_possession(public, pop), runs=runs, warmup=1),
        "sign_ms": median_ms(lambda: sign_checkpoint(key, TEXT), runs=runs, warmup=1),
        "verify_ms": median_ms(
            lambda: verify_checkpoint_cosignature(public, TEXT, signature), runs=runs, warmup=1
        ),
        "aggregate_one_more_ms": median_ms(
            lambda: aggregate_signatures([signature, signature]), runs=runs, warmup=1
        ),
    }


def by_size(n: int, runs: int) -> dict[str, float]:
    secrets = [WitnessSecretKey(1 + i) for i in range(n)]
    members = tuple(RosterMember(f"w{i}", k.public_key()) for i, k in enumerate(secrets))
    total = WitnessSecretKey(sum(k.value for k in secrets) % curve_order)
    payload = encode_bitmap(range(n)) + sign_checkpoint(total, TEXT)
    built: list[Roster] = []

    def build() -> None:
        _keys._validated_key_point.cache_clear()  # cold: every key validated
        built.append(Roster("bench/witnesses", members))

    def verify(roster: Roster) -> None:
        _keys._validated_signature_point.cache_clear()  # the signature is checked each time
        aggregate = AggregateCosignature.from_payload(payload)
        verify_aggregate_cosignature(roster, TEXT, aggregate, n)

    build_ms = median_ms(build, runs=1, warmup=0)
    first = []
    for _ in range(runs):
        fresh = Roster("bench/witnesses", members)  # keys remembered, no sum yet
        start = time.process_time()
        verify(fresh)
        first.append((time.process_time() - start) * 1000)
    roster = built[-1]
    verify(roster)
    return {
        f"roster_build_{n}_ms": build_ms,
        f"aggregate_verify_{n}_ms": statistics.median(first),
        f"aggregate_verify_again_{n}_ms": median_ms(lambda: verify(roster), runs=runs, warmup=0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    pin_to_one_core()
    figures: dict[str, object] = {"single_witness": single(args.runs)}
    roster: dict[str, float] = {}
    for n in (int(s) for s in args.sizes.split(",")):
        roster.update(by_size(n, max(1, args.runs // 2)))
    figures["roster"] = roster
    emit(figures, as_json=args.json, title="Witness BLS12-381 (py-ecc)")


if __name__ == "__main__":
    main()
