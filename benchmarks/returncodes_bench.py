"""Time return codes: the device's partial codes, an authority's checks and answers, setup.

The reference ballot (three yes/no questions, blank allowed: three choices
each). Crypto figures are medians on one core, wall-clock (``*_ms``) and the
thread's CPU time (``*_cpu_ms``). The ``serve`` section starts one real
authority (``python -m voting.returncodes serve``), sends it ``--requests``
choice-code requests from ``--clients`` threads and reports its throughput,
p50/p99 latency and the CPU seconds the authority's process spent per
request (read from /proc: what a shared machine disturbs least). The load
average is printed with the figures.

    python benchmarks/returncodes_bench.py [--voters N] [--requests N] [--clients N] [--json]
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nacl.signing import SigningKey

from benchmarks._common import emit
from benchmarks._common import median_ms
from benchmarks._common import pin_to_one_core
from benchmarks._cpu import process_cpu
from crypto.ballot import ElectionContext
from crypto.ballot import QuestionSpec
from crypto.ballot import encrypt_ballot
from crypto.ballot import verify_ballot
from crypto.credentials import derive_credential
from crypto.credentials import generate_code
from crypto.elgamal import generate_keypair
from crypto.encoding import canonical_json
from crypto.returncode_messages import ChoiceCodesRequest
from crypto.returncode_messages import make_choice_answer
from crypto.returncode_messages import verify_choice_answer
from crypto.returncode_setup import SetupHeader
from crypto.returncode_setup import SetupVoter
from crypto.returncode_setup import answer_voter
from crypto.returncode_setup import setup_points
from crypto.returncode_setup import verify_voter_answer
from crypto.returncode_table import generate_bck
from crypto.returncodes import authority_public
from crypto.returncodes import derive_authority_key
from crypto.returncodes import derive_voter_secret
from crypto.returncodes import encrypt_point
from crypto.returncodes import prove_partial_code
from crypto.returncodes import verify_partial_code
from crypto.returncodes import voter_public

ROOT = Path(__file__).resolve().parent.parent
VOTE_DAY = "2026-03-08-ch"
QUESTIONS = [QuestionSpec(f"question-{i}", 2, 0, 1) for i in range(1, 4)]
SELECTIONS = {"question-1": [1, 0], "question-2": [0, 1], "question-3": [0, 0]}


def median_cpu_ms(fn: Callable[[], object], *, runs: int) -> float:
    fn()
    samples = []
    for _ in range(runs):
        start = time.thread_time_ns()
        fn()
        samples.append((time.thread_time_ns() - start) / 1e6)
    return statistics.median(samples)


class Fixture:
    """A vote day, a registrar key, and voters with their setup lines and codes."""

    def __init__(self, voters: int) -> None:
        key = generate_keypair()
        self.election = ElectionContext(VOTE_DAY, bytes(32), key.public)
        self.registrar = generate_keypair()
        self.header = SetupHeader(
            vote_day_id=VOTE_DAY,
            manifest_hash=self.election.manifest_hash,
            election_key=key.public,
            registrar_key=self.registrar.public,
            questions=tuple(QUESTIONS),
            voters=voters,
        )
        self.codes = [generate_code() for _ in range(voters)]
        self.lines = [self.line(code) for code in self.codes]

    def line(self, code: str) -> SetupVoter:
        credential = derive_credential(code, VOTE_DAY).public_key
        x = derive_voter_secret(code, VOTE_DAY)
        rows, confirm = setup_points(
            x, vote_day_id=VOTE_DAY, credential=credential, questions=QUESTIONS, bck=generate_bck()
        )
        public = self.registrar.public
        return SetupVoter(
            credential=credential,
            voter_key=voter_public(x),
            questions=tuple(q.question_id for q in QUESTIONS),
            choices=tuple(tuple(encrypt_point(p, public) for p in row) for row in rows),
            confirm=encrypt_point(confirm, public),
        )

    def request(self, index: int, leaf: int = 0) -> ChoiceCodesRequest:
        code = self.codes[index]
        credential = derive_credential(code, VOTE_DAY)
        ballot, secrets = encrypt_ballot(
            SELECTIONS, questions=QUESTIONS, election=self.election, credential=credential
        )
        x = derive_voter_secret(code, VOTE_DAY)
        partial = tuple(
            prove_partial_code(ballot, secrets, q, election=self.election, voter_secret=x)
            for q in QUESTIONS
        )
        return ChoiceCodesRequest(ballot, leaf, partial)


def crypto_figures(fixture: Fixture, runs: int) -> dict[str, float]:
    code = fixture.codes[0]
    credential = derive_credential(code, VOTE_DAY)
    ballot, secrets = encrypt_ballot(
        SELECTIONS, questions=QUESTIONS, election=fixture.election, credential=credential
    )
    x = derive_voter_secret(code, VOTE_DAY)
    x_key = voter_public(x)
    election = fixture.election

    def prove() -> object:
        return [
            prove_partial_code(ballot, secrets, q, election=election, voter_secret=x)
            for q in QUESTIONS
        ]

    codes = prove()
    assert isinstance(codes, list)
    request = ChoiceCodesRequest(ballot, 0, tuple(codes))

    def authority_checks() -> None:  # what serve verifies: the ballot and the partial codes
        verify_ballot(ballot, questions=QUESTIONS, election=election)
        for c, q in zip(codes, QUESTIONS, strict=True):
            verify_partial_code(c, ballot, q, election=election, voter_key=x_key)

    secret, signer = os.urandom(32), SigningKey.generate()
    k = derive_authority_key(secret, VOTE_DAY, credential.public_key)
    answer = make_choice_answer(request, authority="a", key=k, signing_key=signer)

    def check_answer() -> None:
        verify_choice_answer(
            answer, request, authority="a", authority_key=bytes(signer.verify_key),
            verification_key=authority_public(k),
        )  # fmt: skip

    line = fixture.lines[0]
    setup = answer_voter(
        line, fixture.header, authority="a", authority_secret=secret, signing_key=signer
    )
    return {
        "device_partial_codes_ms": median_ms(prove, runs=runs),
        "device_partial_codes_cpu_ms": median_cpu_ms(prove, runs=runs),
        "authority_checks_ms": median_ms(authority_checks, runs=runs),
        "authority_checks_cpu_ms": median_cpu_ms(authority_checks, runs=runs),
        "authority_answer_ms": median_ms(
            lambda: make_choice_answer(request, authority="a", key=k, signing_key=signer), runs=runs
        ),
        "server_checks_one_answer_ms": median_ms(check_answer, runs=runs),
        "setup_answer_per_voter_ms": median_ms(
            lambda: answer_voter(
                line, fixture.header, authority="a", authority_secret=secret, signing_key=signer
            ),
            runs=runs,
        ),
        "setup_check_per_voter_ms": median_ms(
            lambda: verify_voter_answer(
                setup, line, fixture.header, authority="a", authority_key=bytes(signer.verify_key)
            ),
            runs=runs,
        ),
        "request_bytes": len(canonical_json(request.to_json())),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(port: int, body: bytes) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "POST", "/v1/choice-codes", body=body, headers={"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        response.read()
        return int(response.status)
    finally:
        connection.close()


def serve_figures(fixture: Fixture, requests: int, clients: int) -> dict[str, Any]:
    bodies = [canonical_json(fixture.request(i).to_json()) for i in range(requests)]
    tool = [sys.executable, "-m", "voting.returncodes"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        state, request_file = Path(tmp) / "rca", Path(tmp) / "request.jsonl"
        rows = [fixture.header.to_json(), *(line.to_json() for line in fixture.lines)]
        request_file.write_bytes(b"".join(canonical_json(r) + b"\n" for r in rows))
        subprocess.run(
            [*tool, "init", "--state", str(state), "--name", "rca-1"],
            env=env,
            check=True,
            capture_output=True,
        )
        started = time.perf_counter()
        subprocess.run(
            [*tool, "setup", "--state", str(state), "--request", str(request_file),
             "--answer", str(Path(tmp) / "answer.jsonl"),
             "--manifest-hash", fixture.election.manifest_hash.hex(),
             "--election-key", fixture.election.public_key.hex()],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        setup_s = time.perf_counter() - started
        port = _free_port()
        server = subprocess.Popen(
            [*tool, "serve", "--state", str(state), "--port", str(port)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            assert server.stdout is not None
            server.stdout.readline()  # "listening on ..."
            cpu_before = process_cpu(server.pid)
            latencies: list[float] = []

            def send(body: bytes) -> int:
                start = time.perf_counter()
                status = _post(port, body)
                latencies.append((time.perf_counter() - start) * 1000)
                return status

            started = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                statuses = list(pool.map(send, bodies))
            wall = time.perf_counter() - started
            cpu = process_cpu(server.pid) - cpu_before
        finally:
            server.terminate()
            server.wait(timeout=30)
    latencies.sort()
    return {
        "voters_set_up": len(fixture.lines),
        "setup_wall_s": round(setup_s, 3),
        "requests": requests,
        "clients": clients,
        "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        "requests_per_s": round(requests / wall, 2),
        "p50_ms": round(latencies[len(latencies) // 2], 2),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 2),
        "authority_cpu_ms_per_request": round(cpu * 1000 / requests, 2),
        "projected_requests_per_s_per_core": round(requests / cpu, 1) if cpu else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=200, help="voters set up (>= requests)")
    parser.add_argument("--requests", type=int, default=200, help="choice-code requests served")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--runs", type=int, default=30, help="runs per crypto median")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    args = parser.parse_args()
    if args.requests > args.voters:
        parser.error("--requests must not exceed --voters (one request per credential)")
    load = [os.getloadavg()]
    fixture = Fixture(args.voters)
    figures: dict[str, Any] = {"serve": serve_figures(fixture, args.requests, args.clients)}
    pin_to_one_core()
    figures["crypto_reference_ballot"] = crypto_figures(fixture, args.runs)
    load.append(os.getloadavg())
    figures["load_average"] = {"start": list(load[0]), "end": list(load[1])}
    figures["cpus"] = os.cpu_count()
    emit(figures, as_json=args.json, title="Urna return-code benchmark")


if __name__ == "__main__":
    main()
