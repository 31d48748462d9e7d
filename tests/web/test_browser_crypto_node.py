"""The browser crypto (static/js/urna) against docs/spec.md and the Python code.

Runs the node test suite ``tests/js`` (test vectors byte for byte, tamper
tests, Merkle proofs, signed notes, receipts), then checks both directions
of interoperability: a ballot encrypted by the browser code with fresh
randomness verifies in :func:`crypto.ballot.verify_ballot`, and a ballot
made by Python verifies in the browser code. ``node`` must be installed: the
tests fail, rather than skip, without it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from crypto.ballot import Ballot
from crypto.ballot import BallotSecrets
from crypto.ballot import ElectionContext
from crypto.ballot import QuestionSpec
from crypto.ballot import encrypt_ballot
from crypto.ballot import verify_audit
from crypto.ballot import verify_ballot
from crypto.credentials import derive_credential
from crypto.credentials import generate_code
from crypto.elgamal import generate_keypair
from crypto.errors import InvalidProof
from crypto.errors import InvalidSignature
from crypto.group import secure_random
from crypto.merkle import inclusion_proof
from crypto.merkle import leaf_hash
from crypto.merkle import root_hash
from crypto.note import Checkpoint
from crypto.note import NoteSigner
from crypto.note import sign_checkpoint

ROOT = Path(__file__).resolve().parent.parent.parent
CLI = ROOT / "tests" / "js" / "cli.mjs"
QUESTIONS = [
    {"id": "federal-1", "options": 2, "min": 0, "max": 1},
    {"id": "canton-zh-1", "options": 2, "min": 0, "max": 1},
    {"id": "commune-261-1", "options": 3, "min": 1, "max": 2},
]
SELECTIONS = {"federal-1": [0, 1], "canton-zh-1": [0, 0], "commune-261-1": [0, 1, 1]}


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail(
            "node (>= 20) is not installed: the browser crypto tests need it (apt install nodejs)"
        )
    return node


def _cli(request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    result = subprocess.run(
        [_node(), str(CLI)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.stdout, f"node printed nothing; stderr:\n{result.stderr}"
    return result.returncode, json.loads(result.stdout)


@pytest.fixture()
def election() -> tuple[ElectionContext, dict[str, str]]:
    key = generate_keypair()
    context = ElectionContext("2026-03-08-ch", secure_random(32), key.public)
    as_json = {
        "vote_day": context.vote_day_id,
        "manifest_hash": context.manifest_hash.hex(),
        "public_key": context.public_key.hex(),
    }
    return context, as_json


def _specs() -> list[QuestionSpec]:
    return [QuestionSpec(q["id"], q["options"], q["min"], q["max"]) for q in QUESTIONS]


def test_node_test_suite_passes() -> None:
    result = subprocess.run(
        [_node(), "--test", "tests/js/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = f"{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, f"node --test tests/js/ failed:\n{output}"
    assert "# fail 0" in result.stdout


def test_browser_ballot_verifies_in_python(
    election: tuple[ElectionContext, dict[str, str]],
) -> None:
    context, as_json = election
    code = generate_code()
    status, answer = _cli(
        {
            "command": "encrypt",
            "election": as_json,
            "questions": QUESTIONS,
            "code": code,
            "selections": SELECTIONS,
        }
    )
    assert status == 0, answer
    ballot = Ballot.from_json(answer["ballot"])
    assert ballot.credential == derive_credential(code, context.vote_day_id).public_key
    verify_ballot(ballot, questions=_specs(), election=context)
    verify_audit(ballot, BallotSecrets.from_json(answer["secrets"]), election=context)
    # the same ballot with another selection revealed must not pass the audit
    wrong = dict(answer["secrets"], selections={**SELECTIONS, "federal-1": [1, 0]})
    with pytest.raises(InvalidProof, match="federal-1"):
        verify_audit(ballot, BallotSecrets.from_json(wrong), election=context)
    # and a broken signature is caught by Python as well
    tampered = json.loads(json.dumps(answer["ballot"]))
    tampered["signature"] = "00" * 64
    with pytest.raises(InvalidSignature):
        verify_ballot(Ballot.from_json(tampered), questions=_specs(), election=context)


def test_python_ballot_verifies_in_browser_code(
    election: tuple[ElectionContext, dict[str, str]],
) -> None:
    context, as_json = election
    credential = derive_credential(generate_code(), context.vote_day_id)
    ballot, secrets = encrypt_ballot(
        SELECTIONS, questions=_specs(), election=context, credential=credential
    )
    request = {
        "command": "verify-ballot",
        "election": as_json,
        "questions": QUESTIONS,
        "ballot": ballot.to_json(),
        "secrets": secrets.to_json(),
    }
    status, answer = _cli(request)
    assert (status, answer) == (0, {"ok": True})

    tampered = json.loads(json.dumps(request))
    proof = tampered["ballot"]["answers"][1]["proofs"][0][1]
    proof["s"] = ("1" if proof["s"][0] != "1" else "2") + proof["s"][1:]
    status, answer = _cli(tampered)
    assert status == 1
    assert answer["error"] == "InvalidSignature"

    other_day = dict(request, election={**as_json, "vote_day": "2026-06-14-ch"})
    status, answer = _cli(other_day)
    assert (status, answer["error"]) == (1, "MalformedBallot")


def test_python_checkpoint_and_inclusion_proof_verify_in_browser_code() -> None:
    origin = "urna.example/log/2026-03-08-ch"
    signer = NoteSigner(origin, secure_random(32))
    leaves = [leaf_hash(f"entry {i}".encode()) for i in range(13)]
    note = sign_checkpoint(Checkpoint(origin, len(leaves), root_hash(leaves)), signer)
    request = {
        "command": "verify-inclusion",
        "verifier_key": str(signer.verifier),
        "checkpoint": note,
        "leaf": leaves[9].hex(),
        "index": 9,
        "proof": [h.hex() for h in inclusion_proof(leaves, 9)],
    }
    assert _cli(request) == (0, {"ok": True, "size": 13})
    status, answer = _cli(dict(request, index=8))
    assert (status, answer["error"]) == (1, "InvalidInclusionProof")
    other = NoteSigner(origin, secure_random(32))
    status, answer = _cli(dict(request, verifier_key=str(other.verifier)))
    assert (status, answer["error"]) == (1, "InvalidSignature")


def test_browser_crypto_benchmark_reports_figures() -> None:
    result = subprocess.run(
        [_node(), str(ROOT / "benchmarks" / "browser_crypto_bench.mjs"), "--runs", "2", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    figures = json.loads(result.stdout)
    assert figures["runs"] == 2
    assert figures["median_ms"] > 0
    assert 1000 < figures["ballot_bytes"] <= 5000
    assert 0 < figures["vendor_bytes"] < figures["crypto_bytes"] < 165_000  # as modules.test.mjs
