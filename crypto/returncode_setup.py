"""Setup of return codes between the registrar and each authority.

docs/return-codes.md, "Setup files". The registrar knows each voter's ``x_c``
and ballot casting key; for every choice it encrypts ``B = x_c·P_{q,o}`` (and
for the BCK the confirmation point ``Q = H2G(x_c·P_bck)``) under its own
ElGamal key and sends each authority only those ciphertexts. Authority j
answers every ciphertext raised to ``k_{j,c}``, with one multi-base
Chaum–Pedersen proof per voter against ``V_{j,c}``; the registrar checks,
decrypts and sums over the authorities: ``LRC = K_c·B``.

Both files are JSON Lines: a header, then one line per voter. Every line of
an answer is signed by the authority (:func:`crypto.returncode_messages.sign_answer`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nacl.signing import SigningKey

from crypto._group import Point
from crypto._group import RandomBytes
from crypto._group import Scalar
from crypto._group import secure_random
from crypto.ballot import QuestionSpec
from crypto.elgamal import Ciphertext
from crypto.encoding import unhex
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidProof
from crypto.returncode_messages import authority_error
from crypto.returncode_messages import check_keys
from crypto.returncode_messages import ciphertext_bases
from crypto.returncode_messages import parse_ciphertexts
from crypto.returncode_messages import parse_identifier
from crypto.returncode_messages import request_hash
from crypto.returncode_messages import setup_context
from crypto.returncode_messages import sign_answer
from crypto.returncode_messages import verify_answer_signature
from crypto.returncodes import ExponentiationProof
from crypto.returncodes import answer_exponentiation
from crypto.returncodes import authority_public
from crypto.returncodes import bck_point
from crypto.returncodes import choice_labels
from crypto.returncodes import confirmation_point
from crypto.returncodes import derive_authority_key
from crypto.returncodes import option_point
from crypto.returncodes import parse_point
from crypto.returncodes import verify_exponentiation

__all__ = [
    "SetupHeader",
    "SetupVoter",
    "VoterAnswer",
    "answer_header",
    "answer_voter",
    "setup_points",
    "verify_answer_header",
    "verify_voter_answer",
]

MAX_QUESTIONS = 64
MAX_CHOICES = 33
HEADER_KEYS = {
    "type",
    "vote_day",
    "manifest_hash",
    "election_key",
    "registrar_key",
    "questions",
    "voters",
}
VOTER_KEYS = {"type", "credential", "voter_key", "questions", "choices", "confirm"}
ANSWER_KEYS = {
    "type",
    "vote_day",
    "authority",
    "credential",
    "request",
    "verification_key",
    "choices",
    "confirm",
    "proof",
    "signature",
}


@dataclass(frozen=True, slots=True)
class SetupHeader:
    """The first line of a setup request: the vote day's public parameters the authority pins."""

    vote_day_id: str
    manifest_hash: bytes
    election_key: Point
    registrar_key: Point
    questions: tuple[QuestionSpec, ...]
    voters: int

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "rc-setup-request",
            "vote_day": self.vote_day_id,
            "manifest_hash": self.manifest_hash.hex(),
            "election_key": self.election_key.hex(),
            "registrar_key": self.registrar_key.hex(),
            "questions": [
                {
                    "id": q.question_id,
                    "options": q.options,
                    "min": q.min_selections,
                    "max": q.max_selections,
                }
                for q in self.questions
            ],
            "voters": self.voters,
        }

    @classmethod
    def from_json(cls, value: Any) -> SetupHeader:
        """Raises: InvalidEncoding: wrong keys, sizes, points or questions."""
        check_keys(value, HEADER_KEYS, "a setup request header")
        if value["type"] != "rc-setup-request":
            raise InvalidEncoding('the header\'s type is "rc-setup-request"')
        questions = value["questions"]
        if not isinstance(questions, list) or not 1 <= len(questions) <= 10_000:
            raise InvalidEncoding("questions is a list of 1 to 10000 questions")
        voters = value["voters"]
        if type(voters) is not int or not 0 <= voters <= 100_000_000:
            raise InvalidEncoding("voters is the number of voter lines (0 to 10^8)")
        return cls(
            vote_day_id=parse_identifier(value["vote_day"], "vote_day"),
            manifest_hash=unhex(value["manifest_hash"], 32, what="manifest_hash"),
            election_key=parse_point(value["election_key"], "election_key"),
            registrar_key=parse_point(value["registrar_key"], "registrar_key"),
            questions=tuple(_question(q) for q in questions),
            voters=voters,
        )

    def question(self, question_id: str) -> QuestionSpec:
        """Raises: InvalidEncoding: no such question."""
        for q in self.questions:
            if q.question_id == question_id:
                return q
        raise InvalidEncoding(f"question {question_id!r} is not in the setup header")


def _question(value: Any) -> QuestionSpec:
    check_keys(value, {"id", "options", "min", "max"}, "a question")
    numbers = [value[k] for k in ("options", "min", "max")]
    if any(type(n) is not int for n in numbers):
        raise InvalidEncoding("a question's options, min and max are integers")
    try:
        return QuestionSpec(parse_identifier(value["id"], "question id"), *numbers)
    except ValueError as exc:
        raise InvalidEncoding(f"question {value['id']!r}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class SetupVoter:
    """One voter's line: who, the ballot's questions, and the encrypted points per choice."""

    credential: bytes
    voter_key: Point
    """X_c in the spec"""
    questions: tuple[str, ...]
    """the ids of the questions on this voter's ballot, in ballot order"""
    choices: tuple[tuple[Ciphertext, ...], ...]
    """per single-choice question of the ballot, Enc(x_c·P_{q,o}) per choice"""
    confirm: Ciphertext
    """Enc(Q) for Q = H2G(rc-confirm, day, credential, x_c·P_bck)"""

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "rc-setup-voter",
            "credential": self.credential.hex(),
            "voter_key": self.voter_key.hex(),
            "questions": list(self.questions),
            "choices": [[ct.to_json() for ct in row] for row in self.choices],
            "confirm": self.confirm.to_json(),
        }

    @classmethod
    def from_json(cls, value: Any, header: SetupHeader) -> SetupVoter:
        """Parse a voter line and check it against the header's questions.

        Raises:
            InvalidEncoding: wrong keys, sizes, points, unknown questions, or
                not one ciphertext per choice of each single-choice question.
        """
        check_keys(value, VOTER_KEYS, "a setup voter line")
        if value["type"] != "rc-setup-voter":
            raise InvalidEncoding('a voter line\'s type is "rc-setup-voter"')
        ids = value["questions"]
        if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_QUESTIONS:
            raise InvalidEncoding(f"a voter's questions are a list of 1 to {MAX_QUESTIONS} ids")
        specs = [header.question(parse_identifier(q, "question id")) for q in ids]
        coded = [q for q in specs if q.max_selections == 1]
        rows = value["choices"]
        if not isinstance(rows, list) or len(rows) != len(coded):
            raise InvalidEncoding(f"choices has one row per single-choice question ({len(coded)})")
        choices = []
        for spec, row in zip(coded, rows, strict=True):
            cts = parse_ciphertexts(row, f"choices of {spec.question_id}", limit=MAX_CHOICES)
            wanted = len(choice_labels(spec))
            if len(cts) != wanted:
                raise InvalidEncoding(
                    f"question {spec.question_id}: {wanted} choices, got {len(cts)}"
                )
            choices.append(cts)
        return cls(
            credential=unhex(value["credential"], 32, what="credential"),
            voter_key=parse_point(value["voter_key"], "voter_key"),
            questions=tuple(ids),
            choices=tuple(choices),
            confirm=Ciphertext.from_json(value["confirm"]),
        )

    def ciphertexts(self) -> list[Ciphertext]:
        """Every ciphertext in order: the choices row by row, then the confirmation."""
        return [ct for row in self.choices for ct in row] + [self.confirm]


def setup_points(
    voter_secret: Scalar,
    *,
    vote_day_id: str,
    credential: bytes,
    questions: Sequence[QuestionSpec],
    bck: str,
) -> tuple[tuple[tuple[Point, ...], ...], Point]:
    """The registrar's plaintext points for one voter (before encryption).

    Per single-choice question of ``questions`` (ballot order), ``x_c·P_{q,o}``
    per choice; and the confirmation point ``H2G(x_c·P_bck)``.
    """
    rows = tuple(
        tuple(option_point(vote_day_id, q.question_id, o) * voter_secret for o in choice_labels(q))
        for q in questions
        if q.max_selections == 1
    )
    pbck = bck_point(vote_day_id, bck) * voter_secret
    return rows, confirmation_point(vote_day_id, credential, pbck)


@dataclass(frozen=True, slots=True)
class VoterAnswer:
    """An authority's checked answer for one voter."""

    verification_key: Point
    """V_{j,c} in the spec"""
    choices: tuple[tuple[Ciphertext, ...], ...]
    confirm: Ciphertext


def answer_voter(
    voter: SetupVoter,
    header: SetupHeader,
    *,
    authority: str,
    authority_secret: bytes,
    signing_key: SigningKey,
    rng: RandomBytes = secure_random,
) -> dict[str, Any]:
    """The authority's signed line for one voter: ``k_{j,c}·`` every ciphertext, one proof."""
    key = derive_authority_key(authority_secret, header.vote_day_id, voter.credential)
    bases = ciphertext_bases(voter.ciphertexts())
    context = setup_context(header.vote_day_id, voter.credential)
    results, proof = answer_exponentiation(key, bases, context=context, rng=rng)
    cts = [Ciphertext(pad=results[i], data=results[i + 1]) for i in range(0, len(results), 2)]
    rows, i = [], 0
    for row in voter.choices:
        rows.append([ct.to_json() for ct in cts[i : i + len(row)]])
        i += len(row)
    body = {
        "type": "rc-setup-answer",
        "vote_day": header.vote_day_id,
        "authority": authority,
        "credential": voter.credential.hex(),
        "request": request_hash(voter.to_json()),
        "verification_key": authority_public(key).hex(),
        "choices": rows,
        "confirm": cts[-1].to_json(),
        "proof": proof.to_json(),
    }
    return sign_answer(body, signing_key)


def verify_voter_answer(
    answer: Any,
    voter: SetupVoter,
    header: SetupHeader,
    *,
    authority: str,
    authority_key: bytes,
) -> VoterAnswer:
    """Check an authority's line for ``voter`` (signature, binding, proof).

    Raises:
        InvalidAuthorityAnswer: unsigned, about another voter or request,
            malformed, or a wrong exponent (naming the authority).
    """
    if not isinstance(answer, dict) or set(answer) != ANSWER_KEYS:
        raise authority_error(
            authority, f"a setup answer is an object with exactly {sorted(ANSWER_KEYS)}"
        )
    verify_answer_signature(answer, authority_key, authority=authority)
    expected = {
        "type": "rc-setup-answer",
        "vote_day": header.vote_day_id,
        "authority": authority,
        "credential": voter.credential.hex(),
        "request": request_hash(voter.to_json()),
    }
    for field, value in expected.items():
        if answer[field] != value:
            raise authority_error(authority, f"the setup answer's {field} is not the request's")
    try:
        key = parse_point(answer["verification_key"], "verification_key")
        rows = answer["choices"]
        if not isinstance(rows, list) or len(rows) != len(voter.choices):
            raise InvalidEncoding("choices has one row per row of the request")
        choices = tuple(parse_ciphertexts(row, "choices", limit=MAX_CHOICES) for row in rows)
        if [len(r) for r in choices] != [len(r) for r in voter.choices]:
            raise InvalidEncoding("choices has one ciphertext per ciphertext of the request")
        confirm = Ciphertext.from_json(answer["confirm"])
        results = ciphertext_bases([ct for row in choices for ct in row] + [confirm])
        verify_exponentiation(
            ExponentiationProof.from_json(answer["proof"]),
            public=key,
            bases=ciphertext_bases(voter.ciphertexts()),
            results=results,
            context=setup_context(header.vote_day_id, voter.credential),
        )
    except (InvalidEncoding, InvalidProof) as exc:
        raise authority_error(authority, f"voter {voter.credential.hex()[:16]}…: {exc}") from exc
    return VoterAnswer(verification_key=key, choices=choices, confirm=confirm)


def answer_header(
    header: SetupHeader, *, authority: str, signing_key: SigningKey
) -> dict[str, Any]:
    """The first, signed line of an authority's setup answer: which request it answers."""
    body = {
        "type": "rc-setup-answer-header",
        "vote_day": header.vote_day_id,
        "authority": authority,
        "request": request_hash(header.to_json()),
        "voters": header.voters,
    }
    return sign_answer(body, signing_key)


def verify_answer_header(
    answer: Any, header: SetupHeader, *, authority: str, authority_key: bytes
) -> None:
    """Check the first line of an authority's setup answer.

    Raises:
        InvalidAuthorityAnswer: unsigned, or about another request or authority.
    """
    keys = {"type", "vote_day", "authority", "request", "voters", "signature"}
    if not isinstance(answer, dict) or set(answer) != keys:
        raise authority_error(authority, f"a setup answer header has exactly {sorted(keys)}")
    verify_answer_signature(answer, authority_key, authority=authority)
    unsigned = {k: v for k, v in answer.items() if k != "signature"}
    if unsigned != {
        "type": "rc-setup-answer-header",
        "vote_day": header.vote_day_id,
        "authority": authority,
        "request": request_hash(header.to_json()),
        "voters": header.voters,
    }:
        raise authority_error(authority, "the setup answer header is not about this request")
