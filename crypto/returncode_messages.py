"""The messages of the return-code protocol: JSON forms, strict parsing, signatures.

docs/return-codes.md, "Messages". Requests come from the registrar (setup) or
the voter's device through the server (choice codes, confirmation); answers
come from one return-code authority, signed with its Ed25519 key over

    lp("urna/v1/rc-authority-signature") ‖ lp(JCS(answer without "signature"))

Every parser refuses unknown or missing keys, wrong sizes and invalid points
with :class:`~crypto.errors.InvalidEncoding`; every answer check raises
:class:`~crypto.errors.InvalidAuthorityAnswer` naming the authority.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.exceptions import ValueError as NaclValueError
from nacl.signing import SigningKey
from nacl.signing import VerifyKey

from crypto._group import Point
from crypto._group import RandomBytes
from crypto._group import Scalar
from crypto._group import secure_random
from crypto._transcript import length_prefixed
from crypto.ballot import Ballot
from crypto.elgamal import Ciphertext
from crypto.encoding import canonical_json
from crypto.encoding import unhex
from crypto.errors import InvalidAuthorityAnswer
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidProof
from crypto.errors import MalformedBallot
from crypto.proofs import SchnorrProof
from crypto.returncodes import ExponentiationProof
from crypto.returncodes import PartialCode
from crypto.returncodes import answer_exponentiation
from crypto.returncodes import authority_public
from crypto.returncodes import confirmation_point
from crypto.returncodes import parse_point
from crypto.returncodes import verify_exponentiation

__all__ = [
    "ChoiceCodesRequest",
    "ConfirmRequest",
    "authority_error",
    "check_keys",
    "choice_context",
    "ciphertext_bases",
    "confirm_context",
    "make_choice_answer",
    "make_confirm_answer",
    "parse_ciphertexts",
    "parse_identifier",
    "request_hash",
    "setup_context",
    "sign_answer",
    "verify_answer_signature",
    "verify_choice_answer",
    "verify_confirm_answer",
]

SIGNATURE_TAG = b"urna/v1/rc-authority-signature"
MAX_LEAF_INDEX = 2**53 - 1
MAX_ID = 64


def request_hash(request: Mapping[str, Any]) -> str:
    """SHA-256 of the request's canonical JSON (hex): what an answer names."""
    return hashlib.sha256(canonical_json(request)).hexdigest()


def choice_context(vote_day_id: str, credential: bytes, question_id: str) -> list[bytes]:
    return [b"choice-code", vote_day_id.encode(), credential, question_id.encode()]


def confirm_context(vote_day_id: str, credential: bytes) -> list[bytes]:
    return [b"confirm", vote_day_id.encode(), credential]


def setup_context(vote_day_id: str, credential: bytes) -> list[bytes]:
    return [b"setup", vote_day_id.encode(), credential]


# --- Signatures ---------------------------------------------------------------


def _signed_bytes(answer: Mapping[str, Any]) -> bytes:
    body = {k: v for k, v in answer.items() if k != "signature"}
    return length_prefixed([SIGNATURE_TAG, canonical_json(body)])


def sign_answer(body: Mapping[str, Any], key: SigningKey) -> dict[str, Any]:
    """``body`` with its ``"signature"`` by the authority's Ed25519 key."""
    signature = key.sign(_signed_bytes(body)).signature
    return {**{k: v for k, v in body.items() if k != "signature"}, "signature": signature.hex()}


def verify_answer_signature(
    answer: Mapping[str, Any], public_key: bytes, *, authority: str
) -> None:
    """Check an authority's signature on one of its answers.

    ``public_key`` comes from the user (the verifier's trust roots) or the
    registrar's configuration, never from the answer.

    Raises:
        InvalidAuthorityAnswer: no valid signature by that key.
    """
    try:
        signature = unhex(answer.get("signature"), 64, what="signature")
        VerifyKey(public_key).verify(_signed_bytes(answer), signature)
    except (InvalidEncoding, BadSignatureError, NaclValueError) as exc:
        raise InvalidAuthorityAnswer(
            f"authority {authority}: the answer's signature does not verify", authority=authority
        ) from exc


# --- Choice codes ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChoiceCodesRequest:
    """What the server sends each authority: the ballot as logged and its partial codes."""

    ballot: Ballot
    leaf_index: int
    partial_codes: tuple[PartialCode, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "ballot": self.ballot.to_json(),
            "leaf_index": self.leaf_index,
            "partial_codes": [p.to_json() for p in self.partial_codes],
        }

    @classmethod
    def from_json(cls, value: Any) -> ChoiceCodesRequest:
        """Raises: InvalidEncoding: wrong keys, a malformed ballot or partial code."""
        check_keys(value, {"ballot", "leaf_index", "partial_codes"}, "a choice-codes request")
        codes = value["partial_codes"]
        if not isinstance(codes, list) or not 1 <= len(codes) <= 64:
            raise InvalidEncoding("partial_codes is a list of 1 to 64 partial codes")
        try:
            ballot = Ballot.from_json(value["ballot"])
        except MalformedBallot as exc:
            raise InvalidEncoding(f"ballot: {exc}") from exc
        return cls(
            ballot=ballot,
            leaf_index=_index(value["leaf_index"], "leaf_index"),
            partial_codes=tuple(PartialCode.from_json(c) for c in codes),
        )


def make_choice_answer(
    request: ChoiceCodesRequest,
    *,
    authority: str,
    key: Scalar,
    signing_key: SigningKey,
    rng: RandomBytes = secure_random,
    request_digest: str | None = None,
) -> dict[str, Any]:
    """The authority's signed answer ``k_{j,c}·pCC`` per question, with proofs.

    The caller has checked the ballot and every partial code's proof;
    ``request_digest`` is the request's hash if the caller has it.
    """
    ballot = request.ballot
    answers = []
    public = authority_public(key)  # V_{j,c}, once for every question
    for code in request.partial_codes:
        context = choice_context(ballot.vote_day_id, ballot.credential, code.question_id)
        (value,), proof = answer_exponentiation(
            key, [code.value], context=context, rng=rng, public=public
        )
        answers.append(
            {
                "question": code.question_id,
                "pcc": code.value.hex(),
                "value": value.hex(),
                "proof": proof.to_json(),
            }
        )
    body = {
        "type": "rc-choice-codes",
        "vote_day": ballot.vote_day_id,
        "authority": authority,
        "credential": ballot.credential.hex(),
        "leaf_index": request.leaf_index,
        "request": request_digest or request_hash(request.to_json()),
        "answers": answers,
    }
    return sign_answer(body, signing_key)


def verify_choice_answer(
    answer: Any,
    request: ChoiceCodesRequest,
    *,
    authority: str,
    authority_key: bytes,
    verification_key: Point,
    request_digest: str | None = None,
) -> tuple[Point, ...]:
    """Check one authority's answer to ``request``; return ``k_{j,c}·pCC`` per question.

    ``request_digest`` is ``request_hash(request.to_json())`` when the caller
    has it already (a server checking every authority's answer to one request).

    Raises:
        InvalidAuthorityAnswer: unsigned, about another request, malformed, or
            a wrong exponent (the message and ``.authority`` name it).
    """
    keys = {
        "type",
        "vote_day",
        "authority",
        "credential",
        "leaf_index",
        "request",
        "answers",
        "signature",
    }
    body = _answer_body(answer, keys, "rc-choice-codes", authority, authority_key)
    ballot = request.ballot
    expected = {
        "vote_day": ballot.vote_day_id,
        "credential": ballot.credential.hex(),
        "leaf_index": request.leaf_index,
        "request": request_digest or request_hash(request.to_json()),
    }
    _same(body, expected, authority)
    rows = body["answers"]
    if not isinstance(rows, list) or len(rows) != len(request.partial_codes):
        raise authority_error(authority, "the answer does not have one value per partial code")
    values = []
    for row, code in zip(rows, request.partial_codes, strict=True):
        try:
            check_keys(row, {"question", "pcc", "value", "proof"}, "an answer row")
            if row["question"] != code.question_id or row["pcc"] != code.value.hex():
                raise InvalidEncoding("the row is about another question or partial code")
            value = parse_point(row["value"], "value")
            proof = ExponentiationProof.from_json(row["proof"])
            context = choice_context(ballot.vote_day_id, ballot.credential, code.question_id)
            verify_exponentiation(
                proof, public=verification_key, bases=[code.value], results=[value], context=context
            )
        except (InvalidEncoding, InvalidProof) as exc:
            raise authority_error(authority, f"question {code.question_id}: {exc}") from exc
        values.append(value)
    return tuple(values)


# --- Confirmation ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfirmRequest:
    """One confirmation attempt: ``pBCK`` and the device's proof of knowledge of ``x_c``."""

    vote_day_id: str
    credential: bytes
    pbck: Point
    proof: SchnorrProof

    def to_json(self) -> dict[str, Any]:
        return {
            "vote_day": self.vote_day_id,
            "credential": self.credential.hex(),
            "pbck": self.pbck.hex(),
            "proof": self.proof.to_json(),
        }

    @classmethod
    def from_json(cls, value: Any) -> ConfirmRequest:
        """Raises: InvalidEncoding: wrong keys, sizes or an invalid point."""
        check_keys(value, {"vote_day", "credential", "pbck", "proof"}, "a confirmation request")
        return cls(
            vote_day_id=parse_identifier(value["vote_day"], "vote_day"),
            credential=unhex(value["credential"], 32, what="credential"),
            pbck=parse_point(value["pbck"], "pbck"),
            proof=SchnorrProof.from_json(value["proof"]),
        )


def make_confirm_answer(
    request: ConfirmRequest,
    *,
    attempt: int,
    authority: str,
    key: Scalar,
    signing_key: SigningKey,
    rng: RandomBytes = secure_random,
) -> dict[str, Any]:
    """The authority's signed answer ``k_{j,c}·Q`` for ``Q = H2G(pBCK)``, with its proof."""
    q = confirmation_point(request.vote_day_id, request.credential, request.pbck)
    context = confirm_context(request.vote_day_id, request.credential)
    (value,), proof = answer_exponentiation(key, [q], context=context, rng=rng)
    body = {
        "type": "rc-confirm",
        "vote_day": request.vote_day_id,
        "authority": authority,
        "credential": request.credential.hex(),
        "attempt": attempt,
        "request": request_hash(request.to_json()),
        "pbck": request.pbck.hex(),
        "value": value.hex(),
        "proof": proof.to_json(),
    }
    return sign_answer(body, signing_key)


def verify_confirm_answer(
    answer: Any,
    request: ConfirmRequest,
    *,
    authority: str,
    authority_key: bytes,
    verification_key: Point,
    request_digest: str | None = None,
    confirmation: Point | None = None,
) -> Point:
    """Check one authority's confirmation answer; return ``k_{j,c}·Q``.

    ``request_digest`` and ``confirmation`` (``Q``) are the request's hash and
    :func:`~crypto.returncodes.confirmation_point` when the caller has them
    already (a server checking every authority's answer to one request).

    Raises:
        InvalidAuthorityAnswer: unsigned, about another request, malformed or
            a wrong exponent.
    """
    keys = {
        "type",
        "vote_day",
        "authority",
        "credential",
        "attempt",
        "request",
        "pbck",
        "value",
        "proof",
        "signature",
    }
    body = _answer_body(answer, keys, "rc-confirm", authority, authority_key)
    expected = {
        "vote_day": request.vote_day_id,
        "credential": request.credential.hex(),
        "request": request_digest or request_hash(request.to_json()),
        "pbck": request.pbck.hex(),
    }
    _same(body, expected, authority)
    try:
        _index(body["attempt"], "attempt")
        value = parse_point(body["value"], "value")
        proof = ExponentiationProof.from_json(body["proof"])
        q = confirmation or confirmation_point(
            request.vote_day_id, request.credential, request.pbck
        )
        context = confirm_context(request.vote_day_id, request.credential)
        verify_exponentiation(
            proof, public=verification_key, bases=[q], results=[value], context=context
        )
    except (InvalidEncoding, InvalidProof) as exc:
        raise authority_error(authority, str(exc)) from exc
    return value


# --- Helpers ----------------------------------------------------------------------


def _answer_body(
    answer: Any, keys: set[str], kind: str, authority: str, authority_key: bytes
) -> Mapping[str, Any]:
    if not isinstance(answer, dict) or set(answer) != keys:
        raise authority_error(authority, f"an answer is an object with exactly {sorted(keys)}")
    verify_answer_signature(answer, authority_key, authority=authority)
    if answer["type"] != kind or answer["authority"] != authority:
        raise authority_error(authority, f"expected a {kind} answer by {authority}")
    return answer


def _same(body: Mapping[str, Any], expected: Mapping[str, Any], authority: str) -> None:
    for field, value in expected.items():
        if body[field] != value:
            raise authority_error(authority, f"the answer's {field} is not the request's")


def authority_error(authority: str, message: str) -> InvalidAuthorityAnswer:
    return InvalidAuthorityAnswer(f"authority {authority}: {message}", authority=authority)


def check_keys(value: Any, keys: set[str], what: str) -> None:
    if not isinstance(value, dict) or set(value) != keys:
        raise InvalidEncoding(f"{what} is an object with exactly {sorted(keys)}")


def _index(value: Any, what: str) -> int:
    if type(value) is not int or not 0 <= value <= MAX_LEAF_INDEX:
        raise InvalidEncoding(f"{what} is an integer from 0 to 2^53 - 1")
    return value


def parse_identifier(value: Any, what: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_ID:
        raise InvalidEncoding(f"{what} is a string of 1 to {MAX_ID} characters")
    if not value.isascii() or not value.isprintable():
        raise InvalidEncoding(f"{what} must be printable ASCII")
    return value


def parse_ciphertexts(value: Any, what: str, *, limit: int) -> tuple[Ciphertext, ...]:
    """A list of 1 to ``limit`` ciphertexts.

    Raises:
        InvalidEncoding: not such a list, or an invalid ciphertext.
    """
    if not isinstance(value, list) or not 1 <= len(value) <= limit:
        raise InvalidEncoding(f"{what} is a list of 1 to {limit} ciphertexts")
    return tuple(Ciphertext.from_json(ct) for ct in value)


def ciphertext_bases(ciphertexts: Sequence[Ciphertext]) -> list[Point]:
    """The bases of a setup answer: pad and data of each ciphertext, in order."""
    return [p for ct in ciphertexts for p in (ct.pad, ct.data)]
