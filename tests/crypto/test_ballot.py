"""Whole ballots: honest ballots verify; tampering, copying and bad shapes are refused."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from crypto.ballot import Ballot
from crypto.ballot import BallotSecrets
from crypto.ballot import ElectionContext
from crypto.ballot import QuestionSpec
from crypto.ballot import content_keys
from crypto.ballot import sign_ballot
from crypto.ballot import signed_message
from crypto.ballot import verify_audit
from crypto.ballot import verify_ballot
from crypto.credentials import Credential
from crypto.encoding import canonical_json
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidProof
from crypto.errors import InvalidSignature
from crypto.errors import MalformedBallot
from crypto.errors import ProofRefused
from crypto.errors import VerificationError
from tests.crypto.conftest import REFERENCE_QUESTIONS
from tests.crypto.conftest import CastBallot


def _resign(ballot_json: dict[str, Any], credential: Credential) -> dict[str, Any]:
    """Re-sign a (tampered) ballot with the voter's key, so only the proofs can catch it."""
    parsed = Ballot.from_json(ballot_json)
    signature = credential.signing_key.sign(signed_message(parsed)).signature
    return {**ballot_json, "signature": signature.hex()}


def _hex_fields(answer: dict[str, Any]) -> Iterator[tuple[list[Any], Any]]:
    """(container, key) of every hex field of an answer."""
    for ct in answer["ciphertexts"]:
        yield ct, "pad"
        yield ct, "data"
    for proof in [*answer["proofs"], answer["sum_proof"]]:
        for branch in proof:
            yield branch, "c"
            yield branch, "s"


def test_reference_ballot_verifies(
    reference_ballot: tuple[Ballot, BallotSecrets], election: ElectionContext
) -> None:
    ballot, _ = reference_ballot
    verify_ballot(ballot, questions=REFERENCE_QUESTIONS, election=election)
    parsed = Ballot.from_json(json.loads(json.dumps(ballot.to_json())))
    assert parsed == ballot
    verify_ballot(parsed, questions=REFERENCE_QUESTIONS, election=election)


def test_reference_ballot_is_small(reference_ballot: tuple[Ballot, BallotSecrets]) -> None:
    assert len(canonical_json(reference_ballot[0].to_json())) <= 5000


@pytest.mark.parametrize("position", [0, 13, 31])
def test_flipped_byte_in_any_field_is_refused(
    reference_ballot: tuple[Ballot, BallotSecrets],
    election: ElectionContext,
    credential: Credential,
    position: int,
) -> None:
    original = reference_ballot[0].to_json()
    for q in range(len(original["answers"])):
        fields = list(_hex_fields(original["answers"][q]))
        for index in range(len(fields)):
            tampered = copy.deepcopy(original)
            container, key = list(_hex_fields(tampered["answers"][q]))[index]
            raw = bytearray(bytes.fromhex(container[key]))
            raw[position] ^= 0x04
            container[key] = raw.hex()
            # Without re-signing the signature catches it; re-signed, the proofs must.
            with pytest.raises((InvalidEncoding, InvalidSignature)):
                verify_ballot(
                    Ballot.from_json(tampered), questions=REFERENCE_QUESTIONS, election=election
                )
            try:
                resigned = Ballot.from_json(_resign(tampered, credential))
            except InvalidEncoding:
                continue  # not a valid point or canonical scalar any more: refused at parse
            with pytest.raises(InvalidProof):
                verify_ballot(resigned, questions=REFERENCE_QUESTIONS, election=election)


def test_flipped_signature_refused(
    reference_ballot: tuple[Ballot, BallotSecrets], election: ElectionContext
) -> None:
    data = reference_ballot[0].to_json()
    sig = bytearray(bytes.fromhex(data["signature"]))
    sig[5] ^= 1
    with pytest.raises(InvalidSignature):
        verify_ballot(
            Ballot.from_json({**data, "signature": sig.hex()}),
            questions=REFERENCE_QUESTIONS,
            election=election,
        )


def test_answer_copied_to_another_credential_is_refused(
    reference_ballot: tuple[Ballot, BallotSecrets],
    election: ElectionContext,
    other_credential: Credential,
) -> None:
    # The attacker copies a victim's encrypted answers into a ballot under
    # their own credential and signs it: the proofs are bound to the victim.
    copied = {**reference_ballot[0].to_json(), "credential": other_credential.public_key.hex()}
    with pytest.raises(InvalidProof):
        verify_ballot(
            Ballot.from_json(_resign(copied, other_credential)),
            questions=REFERENCE_QUESTIONS,
            election=election,
        )


def test_answer_moved_to_another_question_is_refused(
    reference_ballot: tuple[Ballot, BallotSecrets],
    election: ElectionContext,
    credential: Credential,
) -> None:
    data = reference_ballot[0].to_json()
    moved = copy.deepcopy(data)
    first, second = moved["answers"][0], moved["answers"][1]
    first_id, second_id = first["question"], second["question"]
    moved["answers"][0] = {**second, "question": first_id}
    moved["answers"][1] = {**first, "question": second_id}
    with pytest.raises(InvalidProof):
        verify_ballot(
            Ballot.from_json(_resign(moved, credential)),
            questions=REFERENCE_QUESTIONS,
            election=election,
        )


def test_proof_bound_to_manifest(
    reference_ballot: tuple[Ballot, BallotSecrets], election: ElectionContext
) -> None:
    other = ElectionContext(
        vote_day_id=election.vote_day_id,
        manifest_hash=b"\xff" * 32,
        public_key=election.public_key,
    )
    with pytest.raises(InvalidProof):
        verify_ballot(reference_ballot[0], questions=REFERENCE_QUESTIONS, election=other)


def test_wrong_questions_refused(
    reference_ballot: tuple[Ballot, BallotSecrets], election: ElectionContext
) -> None:
    with pytest.raises(MalformedBallot, match="expected"):
        verify_ballot(reference_ballot[0], questions=REFERENCE_QUESTIONS[:2], election=election)
    three_options = (*REFERENCE_QUESTIONS[:2], QuestionSpec("commune-261-1", 3, 0, 1))
    with pytest.raises(MalformedBallot, match="ciphertexts"):
        verify_ballot(reference_ballot[0], questions=three_options, election=election)


def test_wrong_vote_day_refused(
    reference_ballot: tuple[Ballot, BallotSecrets], election: ElectionContext
) -> None:
    other = ElectionContext("2026-06-14-ch", election.manifest_hash, election.public_key)
    with pytest.raises(MalformedBallot, match="vote day"):
        verify_ballot(reference_ballot[0], questions=REFERENCE_QUESTIONS, election=other)


def test_prover_refuses_overvote(cast: CastBallot) -> None:
    with pytest.raises(ProofRefused, match="selections"):
        cast({"federal-1": [1, 1], "canton-zh-1": [0, 1], "commune-261-1": [0, 0]})
    with pytest.raises(ProofRefused):
        cast({"federal-1": [2, 0], "canton-zh-1": [0, 1], "commune-261-1": [0, 0]})
    with pytest.raises(ProofRefused):
        cast({"federal-1": [1, 0]})


def test_multiple_choice_question(cast: CastBallot, election: ElectionContext) -> None:
    questions = (QuestionSpec("consultation", 5, 1, 3),)
    ballot, _ = cast({"consultation": [1, 0, 1, 1, 0]}, questions=questions)
    verify_ballot(ballot, questions=questions, election=election)
    with pytest.raises(ProofRefused):
        cast({"consultation": [0, 0, 0, 0, 0]}, questions=questions)


def test_overvote_with_forged_sum_proof_is_refused(
    cast: CastBallot, election: ElectionContext, credential: Credential
) -> None:
    # Encrypt a legal [0, 1] ballot for a question allowing two selections,
    # then claim it for the one-selection question: the sum proof has the
    # wrong number of branches and the per-option proofs are fine, so only
    # the sum check can catch an overvote.
    loose = (QuestionSpec("federal-1", 2, 0, 2),)
    ballot, _ = cast({"federal-1": [1, 1]}, questions=loose)
    strict = (QuestionSpec("federal-1", 2, 0, 1),)
    with pytest.raises(InvalidProof, match="number of selections"):
        verify_ballot(ballot, questions=strict, election=election)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b.pop("signature"),
        lambda b: b.update(extra=1),
        lambda b: b.update(answers=[]),
        lambda b: b.update(answers="x"),
        lambda b: b.update(credential="00" * 31),
        lambda b: b.update(vote_day=""),
        lambda b: b.update(vote_day=7),
        lambda b: b["answers"][0].update(question="q\n1"),
        lambda b: b["answers"][0]["proofs"].pop(),
        lambda b: b["answers"][0].update(sum_proof=[]),
        lambda b: b["answers"][0]["ciphertexts"][0].update(pad="00" * 32),
    ],
)
def test_malformed_json_refused(
    reference_ballot: tuple[Ballot, BallotSecrets], mutate: Any
) -> None:
    data = copy.deepcopy(reference_ballot[0].to_json())
    mutate(data)
    with pytest.raises(InvalidEncoding):
        Ballot.from_json(data)


def test_benaloh_audit(
    reference_ballot: tuple[Ballot, BallotSecrets], election: ElectionContext
) -> None:
    ballot, secrets = reference_ballot
    verify_audit(ballot, BallotSecrets.from_json(secrets.to_json()), election=election)
    lying = secrets.to_json()
    lying["selections"]["federal-1"] = [0, 1]
    with pytest.raises(InvalidProof, match="federal-1"):
        verify_audit(ballot, BallotSecrets.from_json(lying), election=election)


def test_verification_errors_share_a_base(
    reference_ballot: tuple[Ballot, BallotSecrets], election: ElectionContext
) -> None:
    other = ElectionContext(election.vote_day_id, b"\x00" * 32, election.public_key)
    with pytest.raises(VerificationError):
        verify_ballot(reference_ballot[0], questions=REFERENCE_QUESTIONS, election=other)


def test_a_ballot_signed_to_audit_never_verifies_as_cast(
    reference_ballot: tuple[Ballot, BallotSecrets],
    election: ElectionContext,
    credential: Credential,
    other_credential: Credential,
) -> None:
    ballot, _ = reference_ballot
    audited = sign_ballot(ballot, credential, purpose="audit")
    assert audited.answers == ballot.answers and audited.signature != ballot.signature
    verify_ballot(audited, questions=REFERENCE_QUESTIONS, election=election, purpose="audit")
    with pytest.raises(InvalidSignature, match="cast ballot"):
        verify_ballot(audited, questions=REFERENCE_QUESTIONS, election=election)
    with pytest.raises(InvalidSignature, match="audited ballot"):
        verify_ballot(ballot, questions=REFERENCE_QUESTIONS, election=election, purpose="audit")
    assert signed_message(ballot, "audit") != signed_message(ballot)
    with pytest.raises(ValueError, match="credential it names"):
        sign_ballot(ballot, other_credential, purpose="cast")
    with pytest.raises(ValueError, match="cast or to be audited"):
        signed_message(ballot, "count")


def test_content_keys_ignore_the_signature_and_name_every_ciphertext(
    reference_ballot: tuple[Ballot, BallotSecrets], credential: Credential
) -> None:
    ballot, _ = reference_ballot
    keys = content_keys(ballot)
    assert len(keys) == 1 + sum(len(a.ciphertexts) for a in ballot.answers)
    assert len(set(keys)) == len(keys)
    assert content_keys(sign_ballot(ballot, credential, purpose="audit")) == keys
    assert content_keys(ballot.to_json()) == keys
    with pytest.raises(MalformedBallot):
        content_keys({"vote_day": "x"})


@pytest.mark.parametrize(
    "change",
    [
        "extra question",
        "long question id",
        "question id not ASCII",
        "extra option",
        "selection without nonce",
        "no question",
        "nonce not hex",
    ],
)
def test_audit_secrets_reveal_exactly_the_ballot(
    reference_ballot: tuple[Ballot, BallotSecrets], election: ElectionContext, change: str
) -> None:
    """A 15 KB `<script>` key once rode on an audit onto the permanent log."""
    ballot, secrets = reference_ballot
    data = secrets.to_json()
    nonce = data["nonces"]["federal-1"][0]
    sel, non = data["selections"], data["nonces"]
    if change == "extra question":
        sel["<script>"], non["<script>"] = [0], [nonce]
    elif change == "long question id":
        key = "<script>" + "x" * 15_000
        sel[key], non[key] = [0], [nonce]
    elif change == "question id not ASCII":
        sel["frage-ä"], non["frage-ä"] = [0], [nonce]
    elif change == "extra option":
        sel["federal-1"].append(0)
        non["federal-1"].append(nonce)
    elif change == "selection without nonce":
        sel["federal-1"].append(0)
    elif change == "no question":
        data = {"selections": {}, "nonces": {}}
    else:
        non["federal-1"][0] = "zz" * 32
    with pytest.raises((MalformedBallot, InvalidProof)):
        verify_audit(ballot, BallotSecrets.from_json(data), election=election)
