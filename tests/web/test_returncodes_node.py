"""Return codes: what the browser code (static/js/urna/returncodes.js) proves, Python verifies.

The node bridge tests/js/cli.mjs encrypts a ballot with fresh randomness and
makes its partial choice codes and the confirmation; Python's
:func:`crypto.returncodes.verify_partial_code` and
:func:`crypto.returncodes.verify_confirmation` accept them, and refuse them
for another voter, another question or another pBCK.
"""

from __future__ import annotations

import pytest

from crypto.ballot import Ballot
from crypto.ballot import BallotSecrets
from crypto.ballot import ElectionContext
from crypto.ballot import QuestionSpec
from crypto.ballot import verify_ballot
from crypto.credentials import derive_credential
from crypto.credentials import generate_code
from crypto.elgamal import generate_keypair
from crypto.errors import InvalidProof
from crypto.group import Point
from crypto.group import secure_random
from crypto.proofs import SchnorrProof
from crypto.returncodes import BLANK
from crypto.returncodes import PartialCode
from crypto.returncodes import bck_point
from crypto.returncodes import derive_voter_secret
from crypto.returncodes import option_point
from crypto.returncodes import return_code_questions
from crypto.returncodes import verify_confirmation
from crypto.returncodes import verify_partial_code
from crypto.returncodes import voter_public
from tests.web.test_browser_crypto_node import _cli

QUESTIONS = [
    {"id": "federal-1", "options": 2, "min": 0, "max": 1},
    {"id": "federal-2", "options": 3, "min": 1, "max": 1},
    {"id": "canton-zh-1", "options": 3, "min": 0, "max": 2},
]
SELECTIONS = {"federal-1": [0, 0], "federal-2": [0, 1, 0], "canton-zh-1": [1, 0, 1]}
SPECS = [QuestionSpec(q["id"], q["options"], q["min"], q["max"]) for q in QUESTIONS]


def test_browser_partial_codes_and_confirmation_verify_in_python() -> None:
    key_pair = generate_keypair()
    context = ElectionContext("2026-03-08-ch", secure_random(32), key_pair.public)
    as_json = {
        "vote_day": context.vote_day_id,
        "manifest_hash": context.manifest_hash.hex(),
        "public_key": context.public_key.hex(),
    }
    code = generate_code()
    request = {
        "command": "return-codes",
        "election": as_json,
        "questions": QUESTIONS,
        "code": code,
        "selections": SELECTIONS,
        "bck": "3743 1694-6",
    }
    status, answer = _cli(request)
    assert status == 0, answer
    ballot = Ballot.from_json(answer["ballot"])
    verify_ballot(ballot, questions=SPECS, election=context)
    BallotSecrets.from_json(answer["secrets"])
    x = derive_voter_secret(code, context.vote_day_id)
    key = voter_public(x)
    coded = return_code_questions(SPECS)
    codes = [PartialCode.from_json(p) for p in answer["partial_codes"]]
    assert [c.question_id for c in codes] == [q.question_id for q in coded]
    for partial, spec in zip(codes, coded, strict=True):
        verify_partial_code(partial, ballot, spec, election=context, voter_key=key)
        chosen = SELECTIONS[spec.question_id]
        label = str(chosen.index(1)) if 1 in chosen else BLANK
        assert partial.value == option_point(context.vote_day_id, spec.question_id, label) * x
    # another voter's key, or a code presented for the other question, fails
    stranger = voter_public(derive_voter_secret(generate_code(), context.vote_day_id))
    with pytest.raises(InvalidProof):
        verify_partial_code(codes[0], ballot, coded[0], election=context, voter_key=stranger)
    swapped = PartialCode(coded[0].question_id, codes[1].value, codes[1].proof)
    with pytest.raises(InvalidProof):
        verify_partial_code(swapped, ballot, coded[0], election=context, voter_key=key)

    credential = derive_credential(code, context.vote_day_id).public_key
    pbck = Point.from_hex(answer["confirm"]["pbck"])
    assert pbck == bck_point(context.vote_day_id, "374316946") * x  # spaces and dash dropped
    proof = SchnorrProof.from_json(answer["confirm"]["proof"])
    verify_confirmation(
        proof, vote_day_id=context.vote_day_id, credential=credential, voter_key=key, pbck=pbck
    )
    with pytest.raises(InvalidProof):
        verify_confirmation(
            proof,
            vote_day_id=context.vote_day_id,
            credential=credential,
            voter_key=key,
            pbck=bck_point(context.vote_day_id, "374316946"),
        )
