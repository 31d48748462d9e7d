"""Attacks on what the citizen's browser sends with return codes (static/js/urna/returncodes.js).

The browser code makes the requests (through the node bridge tests/js/cli.mjs);
Python's checks, which the server and the authorities run, refuse:

- a malicious device that encrypts one choice and presents the partial code
  of another (made for a second ballot with the choice the citizen picked),
  so that the codes shown would be those of the picked choice;
- a stranger who knows a voter's credential (it is public) but not the
  voting code, and makes a confirmation with its own secret to spend the
  voter's tries or read the vote cast code.
"""

from __future__ import annotations

import pytest

from crypto.ballot import Ballot
from crypto.ballot import ElectionContext
from crypto.ballot import QuestionSpec
from crypto.credentials import derive_credential
from crypto.credentials import generate_code
from crypto.elgamal import generate_keypair
from crypto.errors import InvalidProof
from crypto.group import Point
from crypto.group import secure_random
from crypto.proofs import SchnorrProof
from crypto.returncodes import PartialCode
from crypto.returncodes import derive_voter_secret
from crypto.returncodes import verify_confirmation
from crypto.returncodes import verify_partial_code
from crypto.returncodes import voter_public
from tests.web.test_browser_crypto_node import _cli

QUESTIONS = [{"id": "federal-1", "options": 2, "min": 0, "max": 1}]
SPEC = QuestionSpec("federal-1", 2, 0, 1)


def _election() -> tuple[ElectionContext, dict[str, str]]:
    key = generate_keypair()
    context = ElectionContext("2026-03-08-ch", secure_random(32), key.public)
    return context, {
        "vote_day": context.vote_day_id,
        "manifest_hash": context.manifest_hash.hex(),
        "public_key": context.public_key.hex(),
    }


def _made(as_json: dict[str, str], code: str, choice: list[int]) -> dict[str, object]:
    status, answer = _cli(
        {
            "command": "return-codes",
            "election": as_json,
            "questions": QUESTIONS,
            "code": code,
            "selections": {"federal-1": choice},
            "bck": "374316946",
        }
    )
    assert status == 0, answer
    return answer


def test_a_partial_code_of_another_ballot_does_not_pass_for_the_cast_one() -> None:
    context, as_json = _election()
    code = generate_code()
    key = voter_public(derive_voter_secret(code, context.vote_day_id))
    encrypted = _made(as_json, code, [0, 1])  # what the device casts: "no"
    shown = _made(as_json, code, [1, 0])  # the citizen picked "yes"
    cast = Ballot.from_json(encrypted["ballot"])
    honest = PartialCode.from_json(encrypted["partial_codes"][0])  # type: ignore[index]
    verify_partial_code(honest, cast, SPEC, election=context, voter_key=key)
    swapped = PartialCode.from_json(shown["partial_codes"][0])  # type: ignore[index]
    with pytest.raises(InvalidProof, match="does not match the ballot"):
        verify_partial_code(swapped, cast, SPEC, election=context, voter_key=key)


def test_a_stranger_with_the_public_credential_cannot_make_the_voters_confirmation() -> None:
    context, as_json = _election()
    victim = generate_code()
    credential = derive_credential(victim, context.vote_day_id).public_key
    victim_key = voter_public(derive_voter_secret(victim, context.vote_day_id))
    stranger = _made(as_json, generate_code(), [1, 0])["confirm"]  # its own secret
    proof = SchnorrProof.from_json(stranger["proof"])  # type: ignore[index]
    pbck = Point.from_hex(stranger["pbck"])  # type: ignore[index]
    with pytest.raises(InvalidProof):
        verify_confirmation(
            proof,
            vote_day_id=context.vote_day_id,
            credential=credential,
            voter_key=victim_key,
            pbck=pbck,
        )
    own = _made(as_json, victim, [1, 0])["confirm"]  # the voter's own device: accepted
    verify_confirmation(
        SchnorrProof.from_json(own["proof"]),  # type: ignore[index]
        vote_day_id=context.vote_day_id,
        credential=credential,
        voter_key=victim_key,
        pbck=Point.from_hex(own["pbck"]),  # type: ignore[index]
    )
