"""Time the trustees' key ceremony and threshold decryption (crypto.trustees).

    python benchmarks/trustee_bench.py [--runs N] [--ciphertexts M] [--json]

"ceremony" runs steps 1-7 of docs/trustees.md for all n trustees in one
process (what the trustees do together, one after the other); "decryption"
times one trustee's partial decryption of one ciphertext with its proof,
the proof's verification, and the verified combination of t shares of M
ciphertexts (a vote day's totals).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import emit
from benchmarks._common import median_ms
from benchmarks._common import pin_to_one_core
from crypto.elgamal import encrypt
from crypto.trustees import Ceremony
from crypto.trustees import KeyShare
from crypto.trustees import ThresholdKey
from crypto.trustees import combine_decryption_shares
from crypto.trustees import commit
from crypto.trustees import deal_shares
from crypto.trustees import decrypt_share
from crypto.trustees import derive_key_share
from crypto.trustees import derive_threshold_key
from crypto.trustees import new_trustee
from crypto.trustees import open_shares
from crypto.trustees import verify_decryption_share

MANIFEST_HASH = bytes(32)


def run_ceremony(t: int, n: int) -> tuple[ThresholdKey, list[KeyShare]]:
    names = tuple(f"trustee-{i}" for i in range(1, n + 1))
    ceremony = Ceremony(ceremony_id=os.urandom(32), threshold=t, trustees=names)
    secrets = [new_trustee(ceremony, name) for name in names]
    commitments = [commit(ceremony, s) for s in secrets]
    shares = [sh for s in secrets for sh in deal_shares(ceremony, s, commitments)]
    key_shares = []
    for s in secrets:
        received = open_shares(ceremony, s, commitments, shares)
        key_shares.append(derive_key_share(ceremony, s, commitments, received.shares))
    return derive_threshold_key(ceremony, commitments), key_shares


def ceremonies(runs: int) -> dict[str, float]:
    return {
        f"{t}-of-{n}_ms": median_ms(lambda t=t, n=n: run_ceremony(t, n), runs=runs)
        for t, n in ((3, 5), (5, 9), (7, 13))
    }


def decryption(runs: int, count: int) -> dict[str, float]:
    key, key_shares = run_ceremony(3, 5)
    cts = [encrypt(1, key.public_key)[0] for _ in range(count)]
    one = decrypt_share(key_shares[0], key, cts[:1], manifest_hash=MANIFEST_HASH)
    partials = [decrypt_share(k, key, cts, manifest_hash=MANIFEST_HASH) for k in key_shares[:3]]
    return {
        "partial_decrypt_and_prove_ms": median_ms(
            lambda: decrypt_share(key_shares[0], key, cts[:1], manifest_hash=MANIFEST_HASH),
            runs=runs,
        ),
        "verify_decryption_share_ms": median_ms(
            lambda: verify_decryption_share(one, key, cts[:1], manifest_hash=MANIFEST_HASH),
            runs=runs,
        ),
        f"combine_3_shares_of_{count}_ciphertexts_ms": median_ms(
            lambda: combine_decryption_shares(
                key, cts, partials, manifest_hash=MANIFEST_HASH, bound=1
            ),
            runs=max(3, runs // 20),
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--ciphertexts", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    pin_to_one_core()
    figures = {
        "ceremony": ceremonies(max(3, args.runs // 10)),
        "decryption": decryption(args.runs, args.ciphertexts),
    }
    emit(figures, as_json=args.json, title="Trustees (median wall-clock, one core)")


if __name__ == "__main__":
    main()
