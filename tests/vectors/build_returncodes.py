"""The return-code test vectors (tests/vectors/returncodes.json, docs/return-codes.md).

One voter, four authorities, a whole run from setup to the vote cast code, with
every intermediate value a JavaScript mirror of the device's prover needs.
Everything is drawn from :func:`crypto.testing.deterministic_rng`, in the
order docs/return-codes.md ("Test vectors") gives.
"""

from __future__ import annotations

from typing import Any

from crypto.ballot import Ballot
from crypto.ballot import BallotSecrets
from crypto.ballot import ElectionContext
from crypto.elgamal import generate_keypair
from crypto.group import Scalar
from crypto.returncode_messages import make_choice_answer
from crypto.returncode_messages import make_confirm_answer
from crypto.returncode_messages import verify_choice_answer
from crypto.returncode_messages import verify_confirm_answer
from crypto.returncode_setup import answer_voter
from crypto.returncode_setup import verify_voter_answer
from crypto.returncode_table import damm_check_digit
from crypto.returncode_table import lookup_key
from crypto.returncode_table import open_entry
from crypto.returncodes import bck_point
from crypto.returncodes import choice_labels
from crypto.returncodes import combine
from crypto.returncodes import confirmation_point
from crypto.returncodes import derive_authority_key
from crypto.returncodes import derive_voter_secret
from crypto.returncodes import option_point
from crypto.returncodes import prove_partial_code
from crypto.returncodes import return_code_questions
from crypto.returncodes import voter_public
from crypto.testing import deterministic_rng
from tests.crypto.returncode_protocol import QUESTIONS
from tests.crypto.returncode_protocol import VOTE_DAY
from tests.crypto.returncode_protocol import confirm_request
from tests.crypto.returncode_protocol import lookup
from tests.crypto.returncode_protocol import make_authorities
from tests.crypto.returncode_protocol import make_card
from tests.crypto.returncode_protocol import registrar_for
from tests.crypto.returncode_protocol import vote

SEED = b"urna/v1/vectors/returncodes"
SELECTIONS = {"federal-1": [0, 0], "federal-2": [0, 1, 0], "canton-zh-1": [1, 0, 1]}


PROVER_SEED = b"urna/v1/vectors/rc-prover"


def _prover(
    ballot: Ballot, secrets: BallotSecrets, election: ElectionContext, x: Scalar
) -> dict[str, Any]:
    """The cast ballot's partial codes proved again from a fresh rng: for a JS mirror."""
    rng = deterministic_rng(PROVER_SEED)
    codes = [
        prove_partial_code(ballot, secrets, q, election=election, voter_secret=x, rng=rng)
        for q in return_code_questions(QUESTIONS)
    ]
    return {
        "description": "prove_partial_code for each coded question in order, one rng: "
        "per question w, v (64 bytes each, redrawn while zero), then c, s, t per "
        "simulated branch in choice order",
        "seed": PROVER_SEED.decode(),
        "partial_codes": [c.to_json() for c in codes],
    }


def returncode_vectors() -> dict[str, Any]:
    rng = deterministic_rng(SEED)
    key = generate_keypair(rng=rng)
    election = ElectionContext(VOTE_DAY, bytes(range(32)), key.public)
    registrar = registrar_for(election, rng)
    authorities = make_authorities(rng)
    card = make_card(rng)
    cred = card.credential.public_key
    x = derive_voter_secret(card.code, VOTE_DAY)
    line, _ = registrar.voter_line(card.code, card.bck)
    setup = [
        answer_voter(
            line,
            registrar.header,
            authority=a.name,
            authority_secret=a.secret,
            signing_key=a.signing_key,
            rng=rng,
        )
        for a in authorities
    ]
    checked = [
        verify_voter_answer(s, line, registrar.header, authority=a.name, authority_key=a.public_key)
        for s, a in zip(setup, authorities, strict=True)
    ]
    table = registrar.table(checked, card)
    ballot, secrets, request = vote(card, SELECTIONS, election=election, rng=rng, leaf_index=7)
    keys = [derive_authority_key(a.secret, VOTE_DAY, cred) for a in authorities]
    answers = [
        make_choice_answer(request, authority=a.name, key=k, signing_key=a.signing_key, rng=rng)
        for a, k in zip(authorities, keys, strict=True)
    ]
    values = [
        verify_choice_answer(
            ans,
            request,
            authority=a.name,
            authority_key=a.public_key,
            verification_key=voter_public(k),
        )
        for ans, a, k in zip(answers, authorities, keys, strict=True)
    ]
    long_codes = [combine(list(v)) for v in zip(*values, strict=True)]
    confirm = confirm_request(card, card.bck, rng)
    confirm_answers = [
        make_confirm_answer(
            confirm, attempt=1, authority=a.name, key=k, signing_key=a.signing_key, rng=rng
        )
        for a, k in zip(authorities, keys, strict=True)
    ]
    lvcc = combine(
        [
            verify_confirm_answer(
                ans,
                confirm,
                authority=a.name,
                authority_key=a.public_key,
                verification_key=voter_public(k),
            )
            for ans, a, k in zip(confirm_answers, authorities, keys, strict=True)
        ]
    )
    coded = return_code_questions(QUESTIONS)
    return {
        "description": "one voter, four return-code authorities: setup, choice codes, confirmation",
        "seed": SEED.decode(),
        "election": {
            "vote_day": VOTE_DAY,
            "manifest_hash": election.manifest_hash.hex(),
            "secret": key.secret.hex(),
            "public_key": key.public.hex(),
        },
        "questions": registrar.header.to_json()["questions"],
        "registrar": {
            "secret": registrar.keypair.secret.hex(),
            "public_key": registrar.keypair.public.hex(),
        },
        "authorities": [
            {
                "name": a.name,
                "secret": a.secret.hex(),
                "signing_seed": bytes(a.signing_key).hex(),
                "public_key": a.public_key.hex(),
                "voter_key": k.hex(),
                "verification_key": voter_public(k).hex(),
            }
            for a, k in zip(authorities, keys, strict=True)
        ],
        "card": {
            "code": card.code,
            "credential": cred.hex(),
            "choice_codes": card.choice_codes,
            "bck": card.bck,
            "vcc": card.vcc,
        },
        "voter": {"secret": x.hex(), "voter_key": voter_public(x).hex()},
        "points": {
            q.question_id: {
                o: option_point(VOTE_DAY, q.question_id, o).hex() for o in choice_labels(q)
            }
            for q in coded
        },
        "bck_point": bck_point(VOTE_DAY, card.bck).hex(),
        "setup": {
            "header": registrar.header.to_json(),
            "voter": line.to_json(),
            "answers": setup,
            "table": [e.to_json() for e in table],
        },
        "cast": {
            "selections": SELECTIONS,
            "secrets": secrets.to_json(),
            "request": request.to_json(),
            "answers": answers,
            "long_codes": [p.hex() for p in long_codes],
            "lookup_keys": [lookup_key(p).hex() for p in long_codes],
            "shown": [open_entry(p, lookup(table)) for p in long_codes],
        },
        "confirm": {
            "request": confirm.to_json(),
            "confirmation_point": confirmation_point(VOTE_DAY, cred, confirm.pbck).hex(),
            "answers": confirm_answers,
            "long_code": lvcc.hex(),
            "vcc": open_entry(lvcc, lookup(table)),
        },
        "prover": _prover(ballot, secrets, election, x),
        "damm": [{"digits": d, "check": damm_check_digit(d)} for d in ("572", "0", "12345678")],
    }
