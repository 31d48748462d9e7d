"""The device's return-code vectors (tests/vectors/returncodes_device.json).

Only what the citizen's browser computes (static/js/urna/returncodes.js):
``x_c`` and ``X_c`` from the voting code, the option and BCK points, one
ballot, its partial choice codes with their OR proofs, and the confirmation
(``pBCK`` with its proof). Everything is drawn from a fresh
:func:`crypto.testing.deterministic_rng`, in this order: the election key, the
voting code, the ballot, the partial codes (question by question), the
confirmation proof; so tests/js/build_vectors.mjs reproduces the file byte
for byte without the authorities' and the registrar's side.
"""

from __future__ import annotations

from typing import Any

from crypto.ballot import ElectionContext
from crypto.ballot import QuestionSpec
from crypto.ballot import encrypt_ballot
from crypto.credentials import derive_credential
from crypto.credentials import generate_code
from crypto.elgamal import generate_keypair
from crypto.returncodes import bck_point
from crypto.returncodes import choice_labels
from crypto.returncodes import confirmation_point
from crypto.returncodes import derive_voter_secret
from crypto.returncodes import option_point
from crypto.returncodes import prove_confirmation
from crypto.returncodes import prove_partial_code
from crypto.returncodes import return_code_questions
from crypto.returncodes import voter_public
from crypto.testing import deterministic_rng

SEED = b"urna/v1/vectors/returncodes-device"
VOTE_DAY = "2026-03-08-ch"
QUESTIONS = (
    QuestionSpec("federal-1", 2, 0, 1),
    QuestionSpec("federal-2", 3, 1, 1),
    QuestionSpec("canton-zh-1", 3, 0, 2),
)
SELECTIONS = {"federal-1": [0, 0], "federal-2": [0, 0, 1], "canton-zh-1": [0, 1, 1]}
BCK = "374316946"


def returncode_device_vectors() -> dict[str, Any]:
    rng = deterministic_rng(SEED)
    key = generate_keypair(rng=rng)
    election = ElectionContext(VOTE_DAY, bytes(range(32)), key.public)
    code = generate_code(rng=rng)
    credential = derive_credential(code, VOTE_DAY)
    x = derive_voter_secret(code, VOTE_DAY)
    ballot, secrets = encrypt_ballot(
        SELECTIONS, questions=QUESTIONS, election=election, credential=credential, rng=rng
    )
    coded = return_code_questions(QUESTIONS)
    partial = [
        prove_partial_code(ballot, secrets, q, election=election, voter_secret=x, rng=rng)
        for q in coded
    ]
    cred = credential.public_key
    pbck, proof = prove_confirmation(x, BCK, vote_day_id=VOTE_DAY, credential=cred, rng=rng)
    return {
        "description": "the device's side of return codes: x_c, points, partial codes, pBCK",
        "seed": SEED.decode(),
        "election": {
            "vote_day": VOTE_DAY,
            "manifest_hash": election.manifest_hash.hex(),
            "public_key": key.public.hex(),
        },
        "questions": [
            {
                "id": q.question_id,
                "options": q.options,
                "min": q.min_selections,
                "max": q.max_selections,
            }
            for q in QUESTIONS
        ],
        "code": code,
        "credential": cred.hex(),
        "voter": {"secret": x.hex(), "voter_key": voter_public(x).hex()},
        "points": {
            q.question_id: {
                o: option_point(VOTE_DAY, q.question_id, o).hex() for o in choice_labels(q)
            }
            for q in coded
        },
        "selections": SELECTIONS,
        "ballot": ballot.to_json(),
        "secrets": secrets.to_json(),
        "partial_codes": [p.to_json() for p in partial],
        "bck": BCK,
        "bck_point": bck_point(VOTE_DAY, BCK).hex(),
        "confirm": {
            "pbck": pbck.hex(),
            "proof": proof.to_json(),
            "confirmation_point": confirmation_point(VOTE_DAY, cred, pbck).hex(),
        },
    }
