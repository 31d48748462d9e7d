"""The code reproduces tests/vectors/*.json exactly, and the vectors verify.

The same files check the browser implementation (docs/spec.md, "Test vectors").
"""

from __future__ import annotations

import json

import pytest

from crypto.ballot import Ballot
from crypto.ballot import BallotSecrets
from crypto.ballot import ElectionContext
from crypto.ballot import QuestionSpec
from crypto.ballot import verify_audit
from crypto.ballot import verify_ballot
from crypto.elgamal import Ciphertext
from crypto.group import Point
from crypto.proofs import RangeProof
from crypto.proofs import verify_range
from tests.vectors.build import BUILDERS
from tests.vectors.build import VECTORS_DIR
from tests.vectors.build import render


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_vectors_are_reproduced(name: str) -> None:
    stored = (VECTORS_DIR / f"{name}.json").read_text()
    assert render(BUILDERS[name]()) == stored, "rebuild with python -m tests.vectors.build"


def test_ballot_vector_verifies() -> None:
    data = json.loads((VECTORS_DIR / "ballot.json").read_text())
    e = data["election"]
    election = ElectionContext(
        e["vote_day"], bytes.fromhex(e["manifest_hash"]), Point.from_hex(e["public_key"])
    )
    questions = [QuestionSpec(q["id"], q["options"], q["min"], q["max"]) for q in data["questions"]]
    ballot = Ballot.from_json(data["ballot"])
    verify_ballot(ballot, questions=questions, election=election)
    verify_audit(ballot, BallotSecrets.from_json(data["secrets"]), election=election)


def test_range_vector_verifies() -> None:
    data = json.loads((VECTORS_DIR / "proofs.json").read_text())
    r = data["range"]
    verify_range(
        RangeProof.from_json(r["proof"]),
        Ciphertext.from_json(r["ciphertext"]),
        public=Point.from_hex(data["public"]),
        lo=r["lo"],
        hi=r["hi"],
        context=[bytes.fromhex(c) for c in data["context"]],
    )
