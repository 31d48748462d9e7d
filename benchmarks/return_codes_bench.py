"""The CPU a ballot with return codes costs each party (docs/return-codes.md).

On the reference ballot (three yes/no questions, blank allowed) with 4
authorities: the median thread CPU time (``*_cpu_ms``, which other processes
on a shared machine disturb far less than wall-clock) of each step, per
party, and the casting server's CPU per ballot with return codes against
without (checking the ballot alone). The server's part is what limits cast
throughput (the authorities run on their own machines): ``server_ratio`` is
its CPU per ballot with return codes (cast, codes, confirmation) over
without; the aim of issue 18 is a throughput of at least half, i.e. a ratio
of at most 2 on the ballot's CPU. The log appends (two more records per
ballot) and the HTTP round trips are not in these figures. The load
average is printed with them.

    python benchmarks/return_codes_bench.py [--ballots N] [--json]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nacl.signing import SigningKey

from benchmarks._common import emit
from benchmarks._common import pin_to_one_core
from crypto import returncode_messages as rcm
from crypto import returncode_table as table
from crypto import returncodes as rc
from crypto.ballot import ElectionContext
from crypto.ballot import QuestionSpec
from crypto.ballot import encrypt_ballot
from crypto.ballot import verify_ballot
from crypto.credentials import derive_credential
from crypto.credentials import generate_code
from crypto.elgamal import generate_keypair

QUESTIONS = [QuestionSpec(f"question-{i}", 2, 0, 1) for i in range(1, 4)]
SELECTIONS = {"question-1": [1, 0], "question-2": [0, 1], "question-3": [0, 0]}
AUTHORITIES = 4
DAY = "2026-06-14-ch"


def cpu_ms(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.thread_time_ns()
        fn()
        samples.append((time.thread_time_ns() - start) / 1e6)
    return statistics.median(samples)


def measure(runs: int) -> dict[str, float]:
    election = ElectionContext(DAY, bytes(32), generate_keypair().public)
    code = generate_code()
    credential = derive_credential(code, DAY)
    secret = rc.derive_voter_secret(code, DAY)
    voter_key = rc.voter_public(secret)
    ballot, secrets = encrypt_ballot(
        SELECTIONS, questions=QUESTIONS, election=election, credential=credential
    )
    signing = [SigningKey.generate() for _ in range(AUTHORITIES)]
    keys = [rc.derive_authority_key(os.urandom(32), DAY, ballot.credential) for _ in signing]

    def prove() -> list[rc.PartialCode]:
        return [
            rc.prove_partial_code(ballot, secrets, q, election=election, voter_secret=secret)
            for q in QUESTIONS
        ]

    partial = prove()
    request = rcm.ChoiceCodesRequest(ballot, 7, tuple(partial))

    def check_partial() -> None:
        for q, p in zip(QUESTIONS, partial, strict=True):
            rc.verify_partial_code(p, ballot, q, election=election, voter_key=voter_key)

    def answer(j: int) -> dict[str, object]:
        return rcm.make_choice_answer(
            request, authority=f"rca-{j}", key=keys[j], signing_key=signing[j]
        )

    answers = [answer(j) for j in range(AUTHORITIES)]

    def check_answers() -> None:
        values = [
            rcm.verify_choice_answer(
                answers[j],
                request,
                authority=f"rca-{j}",
                authority_key=bytes(signing[j].verify_key),
                verification_key=rc.authority_public(keys[j]),
            )
            for j in range(AUTHORITIES)
        ]
        for i in range(len(QUESTIONS)):
            table.lookup_key(rc.combine([v[i] for v in values]))

    bck = table.generate_bck()
    pbck, proof = rc.prove_confirmation(secret, bck, vote_day_id=DAY, credential=ballot.credential)
    confirm = rcm.ConfirmRequest(DAY, ballot.credential, pbck, proof)
    confirm_answers = [
        rcm.make_confirm_answer(
            confirm, attempt=1, authority=f"rca-{j}", key=keys[j], signing_key=signing[j]
        )
        for j in range(AUTHORITIES)
    ]

    def check_confirmation() -> None:
        rc.verify_confirmation(
            proof, vote_day_id=DAY, credential=ballot.credential, voter_key=voter_key, pbck=pbck
        )
        values = [
            rcm.verify_confirm_answer(
                confirm_answers[j],
                confirm,
                authority=f"rca-{j}",
                authority_key=bytes(signing[j].verify_key),
                verification_key=rc.authority_public(keys[j]),
            )
            for j in range(AUTHORITIES)
        ]
        table.lookup_key(rc.combine(values))

    def check_ballot() -> None:
        verify_ballot(ballot, questions=QUESTIONS, election=election)

    figures = {
        "device_partial_codes_cpu_ms": cpu_ms(prove, runs),
        "server_check_ballot_cpu_ms": cpu_ms(check_ballot, runs),
        "server_check_partial_codes_cpu_ms": cpu_ms(check_partial, runs),
        "authority_answer_cpu_ms": cpu_ms(lambda: answer(0), runs),
        "server_check_4_answers_cpu_ms": cpu_ms(check_answers, runs),
        "server_check_confirmation_cpu_ms": cpu_ms(check_confirmation, runs),
    }
    with_codes = (
        figures["server_check_ballot_cpu_ms"]
        + figures["server_check_partial_codes_cpu_ms"]
        + figures["server_check_4_answers_cpu_ms"]
        + figures["server_check_confirmation_cpu_ms"]
    )
    figures["server_with_codes_cpu_ms"] = with_codes
    figures["server_ratio"] = with_codes / figures["server_check_ballot_cpu_ms"]
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ballots", type=int, default=50, help="runs per figure (median)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    pin_to_one_core()
    start = os.getloadavg()
    figures = measure(args.ballots)
    emit(
        {
            "reference_ballot_4_authorities": figures,
            "load_average_1min": {"start": start[0], "end": os.getloadavg()[0]},
        },
        as_json=args.json,
        title="Return codes: CPU per ballot and party",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
