"""Return codes: the whole protocol, each proof's tamper cases, codes and JSON forms.

docs/return-codes.md; DESIGN.md section 8.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from crypto.ballot import ElectionContext
from crypto.ballot import QuestionSpec
from crypto.elgamal import Ciphertext
from crypto.errors import CodeNotFound
from crypto.errors import InvalidAuthorityAnswer
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidProof
from crypto.errors import ProofRefused
from crypto.errors import UnsupportedQuestion
from crypto.group import G
from crypto.group import Point
from crypto.group import RandomBytes
from crypto.group import Scalar
from crypto.returncode_messages import ChoiceCodesRequest
from crypto.returncode_messages import ConfirmRequest
from crypto.returncode_messages import make_choice_answer
from crypto.returncode_messages import make_confirm_answer
from crypto.returncode_messages import verify_choice_answer
from crypto.returncode_messages import verify_confirm_answer
from crypto.returncode_setup import SetupHeader
from crypto.returncode_setup import SetupVoter
from crypto.returncode_setup import answer_voter
from crypto.returncode_setup import verify_voter_answer
from crypto.returncode_table import LookupEntry
from crypto.returncode_table import damm_check_digit
from crypto.returncode_table import generate_bck
from crypto.returncode_table import generate_choice_codes
from crypto.returncode_table import make_entry
from crypto.returncode_table import normalise_bck
from crypto.returncode_table import open_entry
from crypto.returncodes import BLANK
from crypto.returncodes import ChoiceProof
from crypto.returncodes import PartialCode
from crypto.returncodes import answer_exponentiation
from crypto.returncodes import authority_public
from crypto.returncodes import choice_labels
from crypto.returncodes import combine
from crypto.returncodes import derive_authority_key
from crypto.returncodes import derive_voter_secret
from crypto.returncodes import option_point
from crypto.returncodes import prove_partial_code
from crypto.returncodes import verify_confirmation
from crypto.returncodes import verify_exponentiation
from crypto.returncodes import verify_partial_code
from crypto.returncodes import voter_public
from tests.crypto.returncode_protocol import QUESTIONS
from tests.crypto.returncode_protocol import VOTE_DAY
from tests.crypto.returncode_protocol import Authority
from tests.crypto.returncode_protocol import Card
from tests.crypto.returncode_protocol import Registrar
from tests.crypto.returncode_protocol import confirm_request
from tests.crypto.returncode_protocol import lookup
from tests.crypto.returncode_protocol import make_authorities
from tests.crypto.returncode_protocol import make_card
from tests.crypto.returncode_protocol import registrar_for
from tests.crypto.returncode_protocol import vote

YES = {"federal-1": [1, 0], "federal-2": [0, 0, 1], "canton-zh-1": [1, 1, 0]}
BLANK_VOTE = {"federal-1": [0, 0], "federal-2": [1, 0, 0], "canton-zh-1": [0, 0, 0]}
YES_CODED = ("federal-1", "federal-2")
SetupRun = tuple[Registrar, list[Authority], Card, dict[bytes, bytes]]
Mutation = Callable[[dict[str, Any]], object]


@pytest.fixture()
def setup_run(
    election: ElectionContext, rng: RandomBytes
) -> tuple[Registrar, list[Authority], Card, dict[bytes, bytes]]:
    """Registrar and 4 authorities set up one voter's card; the server's table."""
    registrar = registrar_for(election, rng)
    authorities = make_authorities(rng)
    card = make_card(rng)
    line, _ = registrar.voter_line(card.code, card.bck)
    answers = []
    for a in authorities:
        signed = answer_voter(
            line,
            registrar.header,
            authority=a.name,
            authority_secret=a.secret,
            signing_key=a.signing_key,
            rng=rng,
        )
        answers.append(
            verify_voter_answer(
                signed, line, registrar.header, authority=a.name, authority_key=a.public_key
            )
        )
    return registrar, authorities, card, lookup(registrar.table(answers, card))


def _ask(
    authorities: list[Authority], request: ChoiceCodesRequest, rng: RandomBytes
) -> list[tuple[Point, ...]]:
    results = []
    for a in authorities:
        key = derive_authority_key(a.secret, VOTE_DAY, request.ballot.credential)
        answer = make_choice_answer(
            request, authority=a.name, key=key, signing_key=a.signing_key, rng=rng
        )
        results.append(
            verify_choice_answer(
                answer,
                request,
                authority=a.name,
                authority_key=a.public_key,
                verification_key=authority_public(key),
            )
        )
    return results


def _codes(per_authority: list[tuple[Point, ...]], table: dict[bytes, bytes]) -> list[str]:
    return [open_entry(combine(list(values)), table) for values in zip(*per_authority, strict=True)]


@pytest.mark.parametrize(
    ("selections", "chosen"),
    [(YES, ("0", "2")), (BLANK_VOTE, (BLANK, "0"))],
    ids=["options", "blank"],
)
def test_the_codes_shown_are_the_cards_for_the_choice_encrypted(
    setup_run: SetupRun,
    election: ElectionContext,
    rng: RandomBytes,
    selections: dict[str, list[int]],
    chosen: tuple[str, str],
) -> None:
    _, authorities, card, table = setup_run
    _, _, request = vote(card, selections, election=election, rng=rng)
    for code in request.partial_codes:
        x_key = voter_public(derive_voter_secret(card.code, VOTE_DAY))
        spec = next(q for q in QUESTIONS if q.question_id == code.question_id)
        verify_partial_code(code, request.ballot, spec, election=election, voter_key=x_key)
    shown = _codes(_ask(authorities, request, rng), table)
    assert shown == [card.choice_codes[q][o] for q, o in zip(YES_CODED, chosen, strict=True)]


def test_confirmation_with_the_cards_bck_yields_the_vcc(
    setup_run: SetupRun, rng: RandomBytes
) -> None:
    _, authorities, card, table = setup_run
    request = confirm_request(card, card.bck, rng)
    x_key = voter_public(derive_voter_secret(card.code, VOTE_DAY))
    verify_confirmation(
        request.proof,
        vote_day_id=VOTE_DAY,
        credential=request.credential,
        voter_key=x_key,
        pbck=request.pbck,
    )
    values = []
    for a in authorities:
        key = derive_authority_key(a.secret, VOTE_DAY, request.credential)
        answer = make_confirm_answer(
            request, attempt=1, authority=a.name, key=key, signing_key=a.signing_key, rng=rng
        )
        values.append(
            verify_confirm_answer(
                answer,
                request,
                authority=a.name,
                authority_key=a.public_key,
                verification_key=authority_public(key),
            )
        )
    assert open_entry(combine(values), table) == card.vcc


def test_a_wrong_bck_finds_no_entry(setup_run: SetupRun, rng: RandomBytes) -> None:
    _, authorities, card, table = setup_run
    wrong = generate_bck(rng=rng)
    request = confirm_request(card, wrong, rng)
    values = []
    for a in authorities:
        key = derive_authority_key(a.secret, VOTE_DAY, request.credential)
        answer = make_confirm_answer(
            request, attempt=1, authority=a.name, key=key, signing_key=a.signing_key, rng=rng
        )
        values.append(
            verify_confirm_answer(
                answer,
                request,
                authority=a.name,
                authority_key=a.public_key,
                verification_key=authority_public(key),
            )
        )
    with pytest.raises(CodeNotFound):
        open_entry(combine(values), table)


def test_a_malicious_device_that_changes_the_vote_shows_other_codes(
    setup_run: SetupRun, election: ElectionContext, rng: RandomBytes
) -> None:
    # The citizen picks yes (option 0); the device encrypts no (option 1) with valid proofs.
    _, authorities, card, table = setup_run
    changed = {**YES, "federal-1": [0, 1]}
    _, _, request = vote(card, changed, election=election, rng=rng)
    shown = _codes(_ask(authorities, request, rng), table)
    assert shown[0] != card.choice_codes["federal-1"]["0"]
    assert shown[0] == card.choice_codes["federal-1"]["1"]


def test_a_partial_code_for_a_choice_not_encrypted_is_refused(
    election: ElectionContext, rng: RandomBytes
) -> None:
    # The device encrypts option 1 but sends x_c·P for option 0 (the card's code for "yes"):
    # it cannot make the proof, and a proof for the true choice does not fit the other point.
    card = make_card(rng)
    ballot, _secrets, request = vote(card, {**YES, "federal-1": [0, 1]}, election=election, rng=rng)
    x = derive_voter_secret(card.code, VOTE_DAY)
    honest = request.partial_codes[0]
    forged = PartialCode("federal-1", option_point(VOTE_DAY, "federal-1", "0") * x, honest.proof)
    with pytest.raises(InvalidProof, match="does not match the ballot"):
        verify_partial_code(
            forged, ballot, QUESTIONS[0], election=election, voter_key=voter_public(x)
        )


def test_a_partial_code_from_another_ballot_is_refused(
    election: ElectionContext, rng: RandomBytes
) -> None:
    card = make_card(rng)
    first, _, request = vote(card, YES, election=election, rng=rng)
    second, _, _ = vote(card, YES, election=election, rng=rng)
    x_key = voter_public(derive_voter_secret(card.code, VOTE_DAY))
    verify_partial_code(
        request.partial_codes[0], first, QUESTIONS[0], election=election, voter_key=x_key
    )
    with pytest.raises(InvalidProof):
        verify_partial_code(
            request.partial_codes[0], second, QUESTIONS[0], election=election, voter_key=x_key
        )


def test_a_partial_code_under_another_voters_key_is_refused(
    election: ElectionContext, rng: RandomBytes
) -> None:
    card, other = make_card(rng), make_card(rng)
    ballot, _, request = vote(card, YES, election=election, rng=rng)
    other_key = voter_public(derive_voter_secret(other.code, VOTE_DAY))
    with pytest.raises(InvalidProof):
        verify_partial_code(
            request.partial_codes[0], ballot, QUESTIONS[0], election=election, voter_key=other_key
        )


@pytest.mark.parametrize("field", ["challenges", "responses_x", "responses_r"])
def test_a_flipped_proof_scalar_is_refused(
    election: ElectionContext, rng: RandomBytes, field: str
) -> None:
    card = make_card(rng)
    ballot, _, request = vote(card, YES, election=election, rng=rng)
    code = request.partial_codes[0]
    values = list(getattr(code.proof, field))
    values[1] = values[1] + Scalar(1)
    proof = ChoiceProof(
        **{
            **{f: getattr(code.proof, f) for f in ("challenges", "responses_x", "responses_r")},
            field: tuple(values),
        }
    )
    x_key = voter_public(derive_voter_secret(card.code, VOTE_DAY))
    with pytest.raises(InvalidProof):
        verify_partial_code(
            PartialCode(code.question_id, code.value, proof),
            ballot,
            QUESTIONS[0],
            election=election,
            voter_key=x_key,
        )


def test_a_proof_with_a_missing_branch_is_refused(
    election: ElectionContext, rng: RandomBytes
) -> None:
    card = make_card(rng)
    ballot, _, request = vote(card, YES, election=election, rng=rng)
    code = request.partial_codes[0]
    short = ChoiceProof(
        code.proof.challenges[:2], code.proof.responses_x[:2], code.proof.responses_r[:2]
    )
    x_key = voter_public(derive_voter_secret(card.code, VOTE_DAY))
    with pytest.raises(InvalidProof, match="needs 3 branches"):
        verify_partial_code(
            PartialCode(code.question_id, code.value, short),
            ballot,
            QUESTIONS[0],
            election=election,
            voter_key=x_key,
        )


def test_multi_choice_questions_carry_no_return_codes(
    election: ElectionContext, rng: RandomBytes
) -> None:
    card = make_card(rng)
    ballot, secrets, _ = vote(card, YES, election=election, rng=rng)
    with pytest.raises(UnsupportedQuestion, match="single-choice"):
        prove_partial_code(ballot, secrets, QUESTIONS[2], election=election, voter_secret=Scalar(5))
    assert choice_labels(QUESTIONS[0]) == ("0", "1", BLANK)
    assert choice_labels(QUESTIONS[1]) == ("0", "1", "2")


def test_the_prover_refuses_a_question_the_ballot_does_not_answer(
    election: ElectionContext, rng: RandomBytes
) -> None:
    card = make_card(rng)
    ballot, secrets, _ = vote(card, YES, election=election, rng=rng)
    with pytest.raises(ProofRefused):
        prove_partial_code(
            ballot,
            secrets,
            QuestionSpec("other", 2, 0, 1),
            election=election,
            voter_secret=Scalar(5),
        )


def test_an_authority_with_a_wrong_exponent_is_named(
    setup_run: SetupRun, election: ElectionContext, rng: RandomBytes
) -> None:
    _, authorities, card, _ = setup_run
    _, _, request = vote(card, YES, election=election, rng=rng)
    cheat = authorities[2]
    key = derive_authority_key(cheat.secret, VOTE_DAY, request.ballot.credential)
    answer = make_choice_answer(
        request, authority=cheat.name, key=key + Scalar(1), signing_key=cheat.signing_key, rng=rng
    )
    with pytest.raises(InvalidAuthorityAnswer, match="rca-3") as caught:
        verify_choice_answer(
            answer,
            request,
            authority=cheat.name,
            authority_key=cheat.public_key,
            verification_key=authority_public(key),
        )
    assert caught.value.authority == "rca-3"


def test_an_answer_signed_by_another_key_or_for_another_request_is_refused(
    setup_run: SetupRun, election: ElectionContext, rng: RandomBytes
) -> None:
    _, authorities, card, _ = setup_run
    _, _, request = vote(card, YES, election=election, rng=rng)
    _, _, other = vote(card, BLANK_VOTE, election=election, rng=rng)
    a, b = authorities[0], authorities[1]
    key = derive_authority_key(a.secret, VOTE_DAY, request.ballot.credential)
    answer = make_choice_answer(
        request, authority=a.name, key=key, signing_key=a.signing_key, rng=rng
    )
    with pytest.raises(InvalidAuthorityAnswer, match="signature"):
        verify_choice_answer(
            answer,
            request,
            authority=a.name,
            authority_key=b.public_key,
            verification_key=authority_public(key),
        )
    with pytest.raises(InvalidAuthorityAnswer, match="request"):
        verify_choice_answer(
            answer,
            other,
            authority=a.name,
            authority_key=a.public_key,
            verification_key=authority_public(key),
        )


def test_a_setup_answer_with_a_wrong_exponent_names_the_authority(
    election: ElectionContext, rng: RandomBytes
) -> None:
    registrar = registrar_for(election, rng)
    a = make_authorities(rng, 1)[0]
    card = make_card(rng)
    line, _ = registrar.voter_line(card.code, card.bck)
    signed = answer_voter(
        line,
        registrar.header,
        authority=a.name,
        authority_secret=a.secret,
        signing_key=a.signing_key,
        rng=rng,
    )
    tampered = dict(signed)
    tampered["confirm"] = Ciphertext(pad=G, data=G).to_json()
    from crypto.returncode_messages import sign_answer

    resigned = sign_answer(tampered, a.signing_key)
    with pytest.raises(InvalidAuthorityAnswer, match=r"rca-1.*does not verify"):
        verify_voter_answer(
            resigned, line, registrar.header, authority=a.name, authority_key=a.public_key
        )


def test_the_exponentiation_proof_is_bound_to_its_context(rng: RandomBytes) -> None:
    key = Scalar.random(rng=rng)
    base = option_point(VOTE_DAY, "q", "0")
    (value,), proof = answer_exponentiation(key, [base], context=[b"a"], rng=rng)
    verify_exponentiation(
        proof, public=authority_public(key), bases=[base], results=[value], context=[b"a"]
    )
    with pytest.raises(InvalidProof):
        verify_exponentiation(
            proof, public=authority_public(key), bases=[base], results=[value], context=[b"b"]
        )


def test_the_confirmation_proof_needs_the_voters_secret(rng: RandomBytes) -> None:
    card, other = make_card(rng), make_card(rng)
    request = confirm_request(other, card.bck, rng)  # someone else's secret
    x_key = voter_public(derive_voter_secret(card.code, VOTE_DAY))
    with pytest.raises(InvalidProof, match="confirmation proof"):
        verify_confirmation(
            request.proof,
            vote_day_id=VOTE_DAY,
            credential=card.credential.public_key,
            voter_key=x_key,
            pbck=request.pbck,
        )


def test_derivations_are_domain_separated() -> None:
    from crypto.credentials import ALPHABET

    code = "ABCD-EFGH-JKMN-PQRS-TVWX-YA"[:-1] + ALPHABET[0]
    with pytest.raises(InvalidEncoding):
        derive_voter_secret(code, VOTE_DAY)  # a wrong check character
    key1 = derive_authority_key(bytes(32), VOTE_DAY, bytes(32))
    assert key1 != derive_authority_key(bytes(32), "other-day", bytes(32))
    assert key1 != derive_authority_key(bytes(31) + b"\x01", VOTE_DAY, bytes(32))
    assert option_point(VOTE_DAY, "q", "0") != option_point(VOTE_DAY, "q", "1")
    assert option_point(VOTE_DAY, "q", "0") != option_point("other-day", "q", "0")
    with pytest.raises(InvalidEncoding):
        derive_authority_key(bytes(16), VOTE_DAY, bytes(32))


def test_choice_codes_are_distinct_four_digit_codes(rng: RandomBytes) -> None:
    for _ in range(50):
        codes = generate_choice_codes(3, rng=rng)
        assert len(set(codes)) == 3 and all(len(c) == 4 and c.isdigit() for c in codes)


def test_bck_check_digit_catches_typos(rng: RandomBytes) -> None:
    assert damm_check_digit("572") == "4"  # Damm's published example
    bck = generate_bck(rng=rng)
    assert normalise_bck(f"{bck[:3]} {bck[3:6]}-{bck[6:]}") == bck
    for i in range(9):
        typo = bck[:i] + str((int(bck[i]) + 1) % 10) + bck[i + 1 :]
        with pytest.raises(InvalidEncoding, match="typing error"):
            normalise_bck(typo)
    for i in range(8):
        if bck[i] != bck[i + 1]:
            swapped = bck[:i] + bck[i + 1] + bck[i] + bck[i + 2 :]
            with pytest.raises(InvalidEncoding, match="typing error"):
                normalise_bck(swapped)
    for bad in ["12345678", "1234567890", "12345678a"]:
        with pytest.raises(InvalidEncoding, match="9 digits"):
            normalise_bck(bad)


def test_a_lookup_entry_opens_only_under_its_long_code(rng: RandomBytes) -> None:
    lrc = option_point(VOTE_DAY, "q", "0")
    entry = make_entry(lrc, "4711", rng=rng)
    assert open_entry(lrc, [entry]) == "4711"
    assert LookupEntry.from_json(entry.to_json()) == entry
    with pytest.raises(CodeNotFound, match="no entry"):
        open_entry(lrc + G, [entry])
    forged = LookupEntry(entry.key, entry.sealed[:-1] + bytes([entry.sealed[-1] ^ 1]))
    with pytest.raises(CodeNotFound, match="does not open"):
        open_entry(lrc, [forged])


def test_messages_round_trip_through_json(
    setup_run: SetupRun, election: ElectionContext, rng: RandomBytes
) -> None:
    registrar, _, card, _ = setup_run
    _, _, request = vote(card, YES, election=election, rng=rng)
    assert ChoiceCodesRequest.from_json(request.to_json()) == request
    confirm = confirm_request(card, card.bck, rng)
    assert ConfirmRequest.from_json(confirm.to_json()) == confirm
    header = registrar.header
    assert SetupHeader.from_json(header.to_json()) == header
    line, _ = registrar.voter_line(card.code, card.bck)
    assert SetupVoter.from_json(line.to_json(), header) == line


@pytest.mark.parametrize(
    "mutate",
    [
        lambda r: r.pop("leaf_index"),
        lambda r: r.update(leaf_index=-1),
        lambda r: r.update(leaf_index=True),
        lambda r: r.update(extra=1),
        lambda r: r.update(partial_codes=[]),
        lambda r: r["partial_codes"][0].update(pcc="00" * 32),
        lambda r: r["partial_codes"][0].update(pcc="ff" * 32),
        lambda r: r["partial_codes"][0]["proof"][0].update(c="ff" * 32),
        lambda r: r["partial_codes"][0]["proof"].clear(),
        lambda r: r["ballot"].update(signature="zz"),
    ],
    ids=[
        "no-leaf",
        "negative-leaf",
        "bool-leaf",
        "extra-key",
        "no-codes",
        "identity",
        "bad-point",
        "non-canonical-scalar",
        "empty-proof",
        "bad-ballot",
    ],
)
def test_malformed_requests_are_refused_with_encoding_errors(
    election: ElectionContext, rng: RandomBytes, mutate: Mutation
) -> None:
    card = make_card(rng)
    _, _, request = vote(card, YES, election=election, rng=rng)
    raw = request.to_json()
    mutate(raw)
    with pytest.raises(InvalidEncoding):
        ChoiceCodesRequest.from_json(raw)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda h: h.update(type="other"),
        lambda h: h.update(voters=-1),
        lambda h: h.update(questions=[]),
        lambda h: h["questions"][0].update(min=3),
        lambda h: h.update(election_key="00" * 32),
    ],
)
def test_malformed_setup_headers_are_refused(
    election: ElectionContext, rng: RandomBytes, mutate: Mutation
) -> None:
    registrar = registrar_for(election, rng)
    raw = registrar.header.to_json()
    mutate(raw)
    with pytest.raises(InvalidEncoding):
        SetupHeader.from_json(raw)


def test_a_voter_line_needs_one_ciphertext_per_choice(
    election: ElectionContext, rng: RandomBytes
) -> None:
    registrar = registrar_for(election, rng)
    card = make_card(rng)
    line, _ = registrar.voter_line(card.code, card.bck)
    raw = line.to_json()
    raw["choices"][0].pop()
    with pytest.raises(InvalidEncoding, match="3 choices, got 2"):
        SetupVoter.from_json(raw, registrar.header)
    raw = line.to_json()
    raw["questions"] = ["unknown"]
    with pytest.raises(InvalidEncoding, match="not in the setup header"):
        SetupVoter.from_json(raw, registrar.header)


def test_the_vectors_verify() -> None:
    from tests.vectors.build import VECTORS_DIR

    data = json.loads((VECTORS_DIR / "returncodes.json").read_text())
    request = ChoiceCodesRequest.from_json(data["cast"]["request"])
    election = ElectionContext(
        VOTE_DAY,
        bytes.fromhex(data["election"]["manifest_hash"]),
        Point.from_hex(data["election"]["public_key"]),
    )
    x_key = Point.from_hex(data["voter"]["voter_key"])
    specs = [q for q in QUESTIONS if q.max_selections == 1]
    for code, spec in zip(request.partial_codes, specs, strict=True):
        verify_partial_code(code, request.ballot, spec, election=election, voter_key=x_key)
    card = data["card"]
    assert data["cast"]["shown"] == [
        card["choice_codes"]["federal-1"]["blank"],
        card["choice_codes"]["federal-2"]["1"],
    ]
    assert data["confirm"]["vcc"] == card["vcc"]


def test_the_setup_answer_header_names_its_request(
    election: ElectionContext, rng: RandomBytes
) -> None:
    from crypto.returncode_setup import answer_header
    from crypto.returncode_setup import verify_answer_header

    registrar = registrar_for(election, rng)
    a, b = make_authorities(rng, 2)
    signed = answer_header(registrar.header, authority=a.name, signing_key=a.signing_key)
    verify_answer_header(signed, registrar.header, authority=a.name, authority_key=a.public_key)
    with pytest.raises(InvalidAuthorityAnswer, match="signature"):
        verify_answer_header(signed, registrar.header, authority=a.name, authority_key=b.public_key)
    other = registrar_for(election, rng, voters=2).header
    with pytest.raises(InvalidAuthorityAnswer, match="not about this request"):
        verify_answer_header(signed, other, authority=a.name, authority_key=a.public_key)
