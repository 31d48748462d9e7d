"""Attacks on a return-code authority through its HTTP API (docs/threat-model.md, "Return codes").

Attackers: a malicious voting device (holds the voting code, wants the card's
code for a choice it did not encrypt), a malicious server (relays requests,
may forge, replay or alter them) and a stranger. Each test fails on an
authority that skips the check it names.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from crypto.ballot import Ballot
from crypto.ballot import encrypt_ballot
from crypto.ballot import sign_ballot
from crypto.credentials import derive_credential
from crypto.group import G
from crypto.returncode_messages import ChoiceCodesRequest
from crypto.returncode_messages import ConfirmRequest
from crypto.returncode_table import generate_bck
from crypto.returncodes import PartialCode
from crypto.returncodes import derive_voter_secret
from crypto.returncodes import option_point
from crypto.returncodes import prove_confirmation
from crypto.testing import deterministic_rng
from tests.crypto.returncode_protocol import QUESTIONS
from tests.crypto.returncode_protocol import VOTE_DAY
from tests.crypto.returncode_protocol import confirm_request
from tests.crypto.returncode_protocol import make_card
from tests.crypto.returncode_protocol import vote
from tests.returncode_helpers import AuthoritySetup
from tests.returncode_helpers import LiveAuthority
from tests.returncode_helpers import log_lines
from tests.returncode_helpers import make_setup
from tests.returncode_helpers import serving
from voting.tools.returncodes.__main__ import main
from voting.tools.returncodes.state import AuthorityState

YES = {"federal-1": [1, 0], "federal-2": [1, 0, 0], "canton-zh-1": [0, 0, 0]}
NO = {**YES, "federal-1": [0, 1]}


@pytest.fixture()
def setup(tmp_path: Path) -> AuthoritySetup:
    made = make_setup(tmp_path, seed=b"rc-adversary")
    assert main(made.setup_args()) == 0
    return made


@pytest.fixture()
def live(setup: AuthoritySetup):  # type: ignore[no-untyped-def]
    with serving(setup) as server:
        yield server


def _refusals(setup: AuthoritySetup) -> dict[str, int]:
    state = AuthorityState(setup.state, readonly=True)
    try:
        return dict(state.db.execute("SELECT reason, count FROM refusals").fetchall())
    finally:
        state.close()


def test_a_partial_code_for_a_choice_the_ballot_does_not_encrypt_is_refused(
    setup: AuthoritySetup, live: LiveAuthority
) -> None:
    # Malicious device: the citizen chose yes, the device encrypts no, and asks for
    # x_c·P(yes) — the card's code for yes — with the proof of its true choice.
    card = setup.cards[0]
    rng = deterministic_rng(b"device")
    _, _, request = vote(card, NO, election=setup.election, rng=rng)
    x = derive_voter_secret(card.code, VOTE_DAY)
    honest = request.partial_codes[0]
    lie = PartialCode("federal-1", option_point(VOTE_DAY, "federal-1", "0") * x, honest.proof)
    forged = ChoiceCodesRequest(request.ballot, 0, (lie, *request.partial_codes[1:]))
    status, answer = live.post("/v1/choice-codes", forged.to_json())
    assert (status, answer["error"]) == (422, "invalid_partial_code")
    assert "does not match the ballot" in answer["message"]
    assert log_lines(setup) == []
    # The honest request for the same ballot is still answered: the refusal spent nothing.
    assert live.post("/v1/choice-codes", request.to_json())[0] == 200


def test_partial_codes_proved_for_another_ballot_are_refused(
    setup: AuthoritySetup, live: LiveAuthority
) -> None:
    card = setup.cards[0]
    rng = deterministic_rng(b"swap")
    _, _, first = vote(card, YES, election=setup.election, rng=rng)
    _, _, second = vote(card, YES, election=setup.election, rng=rng)
    swapped = ChoiceCodesRequest(second.ballot, 0, first.partial_codes)
    status, answer = live.post("/v1/choice-codes", swapped.to_json())
    assert (status, answer["error"]) == (422, "invalid_partial_code")
    assert log_lines(setup) == []


def test_a_second_different_request_for_a_credential_is_refused(
    setup: AuthoritySetup, live: LiveAuthority
) -> None:
    # Malicious device: after the codes for "no", it asks again with a ballot for "yes"
    # to learn the card's code for yes too.
    card = setup.cards[1]
    rng = deterministic_rng(b"twice")
    _, _, first = vote(card, NO, election=setup.election, rng=rng)
    _, _, second = vote(card, YES, election=setup.election, rng=rng)
    status, answer = live.post("/v1/choice-codes", first.to_json())
    assert status == 200
    refused, error = live.post("/v1/choice-codes", second.to_json())
    assert (refused, error["error"]) == (409, "already_answered")
    assert log_lines(setup) == [answer]
    assert _refusals(setup) == {"second_request": 1}
    # Another leaf index for the same ballot is another request too.
    moved = ChoiceCodesRequest(first.ballot, first.leaf_index + 1, first.partial_codes)
    assert live.post("/v1/choice-codes", moved.to_json())[0] == 409


def test_concurrent_different_requests_get_one_answer(
    setup: AuthoritySetup, live: LiveAuthority
) -> None:
    card = setup.cards[2]
    rng = deterministic_rng(b"race")
    requests = [vote(card, c, election=setup.election, rng=rng)[2] for c in (YES, NO, YES, NO)]
    statuses: list[int] = []

    def send(request: ChoiceCodesRequest) -> None:
        statuses.append(live.post("/v1/choice-codes", request.to_json())[0])

    threads = [threading.Thread(target=send, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409, 409, 409]
    assert len(log_lines(setup)) == 1


def test_a_replayed_request_gets_the_identical_answer_and_nothing_new(
    setup: AuthoritySetup, live: LiveAuthority
) -> None:
    # A lost reply: the server (or anyone who saw the request) sends it again.
    card = setup.cards[0]
    rng = deterministic_rng(b"replay")
    _, _, request = vote(card, YES, election=setup.election, rng=rng)
    first = live.post("/v1/choice-codes", request.to_json())
    again = live.post("/v1/choice-codes", request.to_json())
    assert first[0] == 200 and again == first
    confirm = confirm_request(card, card.bck, rng)
    one = live.post("/v1/confirm", confirm.to_json())
    assert one[0] == 200 and live.post("/v1/confirm", confirm.to_json()) == one
    assert [line["type"] for line in log_lines(setup)] == ["rc-choice-codes", "rc-confirm"]
    assert one[1]["attempt"] == 1


def test_the_sixth_confirmation_attempt_is_refused(
    setup: AuthoritySetup, live: LiveAuthority
) -> None:
    card = setup.cards[0]
    rng = deterministic_rng(b"guess")
    _, _, request = vote(card, YES, election=setup.election, rng=rng)
    assert live.post("/v1/choice-codes", request.to_json())[0] == 200
    attempts = [
        live.post("/v1/confirm", confirm_request(card, generate_bck(rng=rng), rng).to_json())
        for _ in range(5)
    ]
    assert [(s, a["attempt"]) for s, a in attempts] == [(200, n) for n in range(1, 6)]
    status, answer = live.post("/v1/confirm", confirm_request(card, card.bck, rng).to_json())
    assert (status, answer["error"]) == (429, "too_many_attempts")
    assert len(log_lines(setup)) == 6
    assert _refusals(setup) == {"too_many_attempts": 1}


def test_a_confirmation_without_the_voting_code_is_refused(
    setup: AuthoritySetup, live: LiveAuthority
) -> None:
    # Malicious server or stranger: spend a voter's attempts without the voter's code.
    card, stranger = setup.cards[0], make_card(deterministic_rng(b"stranger"))
    rng = deterministic_rng(b"burn")
    _, _, request = vote(card, YES, election=setup.election, rng=rng)
    assert live.post("/v1/choice-codes", request.to_json())[0] == 200
    x = derive_voter_secret(stranger.code, VOTE_DAY)
    pbck, proof = prove_confirmation(
        x, card.bck, vote_day_id=VOTE_DAY, credential=card.credential.public_key, rng=rng
    )
    forged = ConfirmRequest(VOTE_DAY, card.credential.public_key, pbck, proof)
    for _ in range(6):
        status, answer = live.post("/v1/confirm", forged.to_json())
        assert (status, answer["error"]) == (422, "invalid_proof")
    honest = confirm_request(card, card.bck, rng)
    assert live.post("/v1/confirm", honest.to_json())[0] == 200


def test_a_forged_ballot_signature_is_refused(setup: AuthoritySetup, live: LiveAuthority) -> None:
    # Malicious server: alters a ciphertext of the logged ballot (or signs with another key).
    card = setup.cards[0]
    rng = deterministic_rng(b"forge")
    _, _, request = vote(card, YES, election=setup.election, rng=rng)
    raw = request.to_json()
    raw["ballot"]["signature"] = bytes(64).hex()
    status, answer = live.post("/v1/choice-codes", raw)
    assert (status, answer["error"]) == (403, "bad_signature")
    raw = request.to_json()
    ct = raw["ballot"]["answers"][0]["ciphertexts"]
    ct[0], ct[1] = ct[1], ct[0]
    status, answer = live.post("/v1/choice-codes", raw)
    assert (status, answer["error"]) == (403, "bad_signature")
    assert log_lines(setup) == []


def test_a_ballot_signed_for_audit_is_refused(setup: AuthoritySetup, live: LiveAuthority) -> None:
    card = setup.cards[0]
    rng = deterministic_rng(b"audit")
    _, _, request = vote(card, YES, election=setup.election, rng=rng)
    audited = sign_ballot(request.ballot, card.credential, purpose="audit")
    relabelled = ChoiceCodesRequest(audited, 0, request.partial_codes)
    status, answer = live.post("/v1/choice-codes", relabelled.to_json())
    assert (status, answer["error"]) == (403, "bad_signature")


def test_a_ballot_with_a_bad_proof_or_another_voters_questions_is_refused(
    setup: AuthoritySetup, live: LiveAuthority
) -> None:
    # A voter's own device, signing a ballot whose range proof is broken: the
    # authority checks the ballot itself, not only the partial codes.
    card = setup.cards[0]
    rng = deterministic_rng(b"bad-proof")
    _, _, request = vote(card, YES, election=setup.election, rng=rng)
    answers = list(request.ballot.answers)
    bad = answers[2]
    answers[2] = type(bad)(
        bad.question_id,
        bad.ciphertexts,
        (bad.proofs[1], bad.proofs[0], bad.proofs[2]),
        bad.sum_proof,
    )
    unsigned = Ballot(VOTE_DAY, card.credential.public_key, tuple(answers), b"")
    broken = sign_ballot(unsigned, card.credential, purpose="cast")
    status, answer = live.post(
        "/v1/choice-codes", ChoiceCodesRequest(broken, 0, request.partial_codes).to_json()
    )
    assert (status, answer["error"]) == (422, "invalid_ballot")
    short, _ = encrypt_ballot(
        {"federal-1": [1, 0]},
        questions=QUESTIONS[:1],
        election=setup.election,
        credential=card.credential,
        rng=rng,
    )
    status, answer = live.post(
        "/v1/choice-codes", ChoiceCodesRequest(short, 0, request.partial_codes[:1]).to_json()
    )
    assert (status, answer["error"]) == (422, "invalid_ballot")
    assert log_lines(setup) == []


def test_an_unknown_credential_is_refused(setup: AuthoritySetup, live: LiveAuthority) -> None:
    stranger = make_card(deterministic_rng(b"not-registered"))
    rng = deterministic_rng(b"unknown")
    _, _, request = vote(stranger, YES, election=setup.election, rng=rng)
    status, answer = live.post("/v1/choice-codes", request.to_json())
    assert (status, answer["error"]) == (403, "unknown_credential")
    assert _refusals(setup) == {}
    assert derive_credential(stranger.code, VOTE_DAY).public_key == request.ballot.credential


def test_a_partial_code_that_is_not_a_group_element_is_malformed(
    setup: AuthoritySetup, live: LiveAuthority
) -> None:
    card = setup.cards[0]
    _, _, request = vote(card, YES, election=setup.election, rng=deterministic_rng(b"points"))
    raw = request.to_json()
    raw["partial_codes"][0]["pcc"] = "00" * 32  # the identity
    assert live.post("/v1/choice-codes", raw)[1]["error"] == "malformed"
    raw["partial_codes"][0]["pcc"] = (G + G).hex().upper()
    assert live.post("/v1/choice-codes", raw)[1]["error"] == "malformed"
    assert log_lines(setup) == []
