"""Encrypted ballots: encryption, proofs, credential signature and verification.

DESIGN.md section 4; byte layouts in docs/spec.md, "Ballots". A ballot answers
an ordered list of questions. For each question with k options it holds k
ciphertexts, one range proof per option (the option encrypts 0 or 1) and one
range proof that the homomorphic sum of the options lies in [min, max]. Every
proof is bound to the vote day, its manifest hash, the election key, the
voter's public credential and the question id, so a proof cannot be copied
to another ballot. The credential's Ed25519 key signs the canonical JSON of
the rest of the ballot, under one of two domain tags: :data:`SIGNATURE_TAG`
for a ballot the voter casts, :data:`AUDIT_TAG` for a ballot the voter
audits (Benaloh). The cast path only ever verifies the first, so an audited
ballot, whose nonces are public, can never be cast (docs/spec.md 6.7).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.exceptions import ValueError as NaclValueError
from nacl.signing import VerifyKey

from crypto._group import Point
from crypto._group import RandomBytes
from crypto._group import Scalar
from crypto._group import secure_random
from crypto._transcript import length_prefixed
from crypto.credentials import Credential
from crypto.elgamal import Ciphertext
from crypto.elgamal import encrypt
from crypto.elgamal import encrypt_with_nonce
from crypto.elgamal import sum_ciphertexts
from crypto.encoding import canonical_json
from crypto.encoding import unhex
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidProof
from crypto.errors import InvalidSignature
from crypto.errors import MalformedBallot
from crypto.errors import ProofRefused
from crypto.proofs import RangeProof
from crypto.proofs import prove_range
from crypto.proofs import verify_range

__all__ = [
    "Ballot",
    "BallotSecrets",
    "ElectionContext",
    "EncryptedAnswer",
    "QuestionSpec",
    "ballot_purpose_tag",
    "content_keys",
    "encrypt_ballot",
    "sign_ballot",
    "verify_audit",
    "verify_ballot",
    "verify_proofs",
]

SIGNATURE_TAG = b"urna/v1/ballot-signature"
"""The domain tag of a cast ballot's signature."""
AUDIT_TAG = b"urna/v1/ballot-audit"
"""The domain tag of an audited (spoiled) ballot's signature: never accepted for casting."""
PURPOSES = ("cast", "audit")
CONTENT_TAG = b"urna/v1/ballot-content"
CIPHERTEXT_TAG = b"urna/v1/ciphertext"
MAX_QUESTIONS = 64
MAX_OPTIONS = 32
MAX_ID_LENGTH = 64
BALLOT_KEYS = {"vote_day", "credential", "answers", "signature"}
ANSWER_KEYS = {"question", "ciphertexts", "proofs", "sum_proof"}


@dataclass(frozen=True, slots=True)
class QuestionSpec:
    """What a ballot must answer for one question."""

    question_id: str
    options: int
    min_selections: int
    max_selections: int

    def __post_init__(self) -> None:
        _identifier(self.question_id, "question id")
        if not 1 <= self.options <= MAX_OPTIONS:
            raise ValueError(f"a question has 1 to {MAX_OPTIONS} options, got {self.options}")
        if not 0 <= self.min_selections <= self.max_selections <= self.options:
            raise ValueError("selections must satisfy 0 <= min <= max <= options")


@dataclass(frozen=True, slots=True)
class ElectionContext:
    """The public parameters every ballot proof of a vote day is bound to."""

    vote_day_id: str
    manifest_hash: bytes
    """SHA-256 of the canonical manifest (docs/spec.md, "Manifest")"""
    public_key: Point
    """the joint election key h"""


@dataclass(frozen=True, slots=True)
class EncryptedAnswer:
    """One question's ciphertexts and proofs."""

    question_id: str
    ciphertexts: tuple[Ciphertext, ...]
    proofs: tuple[RangeProof, ...]
    sum_proof: RangeProof

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question_id,
            "ciphertexts": [ct.to_json() for ct in self.ciphertexts],
            "proofs": [p.to_json() for p in self.proofs],
            "sum_proof": self.sum_proof.to_json(),
        }

    @classmethod
    def from_json(cls, value: Any) -> EncryptedAnswer:
        if not isinstance(value, dict) or set(value) != ANSWER_KEYS:
            raise MalformedBallot(f"an answer is an object with exactly {sorted(ANSWER_KEYS)}")
        question = _identifier(value["question"], "answer question")
        cts, proofs = value["ciphertexts"], value["proofs"]
        if not isinstance(cts, list) or not isinstance(proofs, list) or len(cts) != len(proofs):
            raise MalformedBallot(f"question {question}: one ciphertext and one proof per option")
        if not 1 <= len(cts) <= MAX_OPTIONS:
            raise MalformedBallot(f"question {question}: 1 to {MAX_OPTIONS} options")
        try:
            return cls(
                question_id=question,
                ciphertexts=tuple(Ciphertext.from_json(ct) for ct in cts),
                proofs=tuple(RangeProof.from_json(p) for p in proofs),
                sum_proof=RangeProof.from_json(value["sum_proof"]),
            )
        except InvalidEncoding as exc:
            raise MalformedBallot(f"question {question}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Ballot:
    """A signed encrypted ballot."""

    vote_day_id: str
    credential: bytes
    """the voter's public credential (Ed25519 public key)"""
    answers: tuple[EncryptedAnswer, ...]
    signature: bytes
    _answers_jcs: list[bytes] = field(default_factory=list, init=False, repr=False, compare=False)
    """the canonical JSON of ``answers``, once computed (a ballot needs it three times)"""

    def unsigned_json(self) -> dict[str, Any]:
        return {
            "vote_day": self.vote_day_id,
            "credential": self.credential.hex(),
            "answers": [a.to_json() for a in self.answers],
        }

    def to_json(self) -> dict[str, Any]:
        return {**self.unsigned_json(), "signature": self.signature.hex()}

    def canonical_unsigned(self) -> bytes:
        """RFC 8785 canonical JSON of :meth:`unsigned_json` (what the credential signs)."""
        return self._canonical(with_signature=False)

    def canonical(self) -> bytes:
        """RFC 8785 canonical JSON of :meth:`to_json` (the ballot as logged)."""
        return self._canonical(with_signature=True)

    def _canonical(self, *, with_signature: bool) -> bytes:
        # An object's canonical form is its members sorted by key, each value in
        # its own canonical form: the answers (nearly all of the bytes) are
        # encoded once and shared by the signed message, the content key and
        # the log record.
        if not self._answers_jcs:
            self._answers_jcs.append(canonical_json([a.to_json() for a in self.answers]))
        members = [b'"answers":' + self._answers_jcs[0]]
        members.append(b'"credential":' + canonical_json(self.credential.hex()))
        if with_signature:
            members.append(b'"signature":' + canonical_json(self.signature.hex()))
        members.append(b'"vote_day":' + canonical_json(self.vote_day_id))
        return b"{" + b",".join(members) + b"}"

    @classmethod
    def from_json(cls, value: Any) -> Ballot:
        """Parse a ballot strictly; every point is validated.

        Raises:
            MalformedBallot: wrong structure, sizes or encodings.
        """
        if not isinstance(value, dict) or set(value) != BALLOT_KEYS:
            raise MalformedBallot(f"a ballot is an object with exactly {sorted(BALLOT_KEYS)}")
        answers = value["answers"]
        if not isinstance(answers, list) or not 1 <= len(answers) <= MAX_QUESTIONS:
            raise MalformedBallot(f"a ballot answers 1 to {MAX_QUESTIONS} questions")
        try:
            credential = unhex(value["credential"], 32, what="credential")
            signature = unhex(value["signature"], 64, what="signature")
        except InvalidEncoding as exc:
            raise MalformedBallot(str(exc)) from exc
        return cls(
            vote_day_id=_identifier(value["vote_day"], "vote_day"),
            credential=credential,
            answers=tuple(EncryptedAnswer.from_json(a) for a in answers),
            signature=signature,
        )


@dataclass(frozen=True, slots=True)
class BallotSecrets:
    """What a Benaloh audit reveals: the selections and every nonce."""

    selections: dict[str, tuple[int, ...]]
    nonces: dict[str, tuple[Scalar, ...]]

    def to_json(self) -> dict[str, Any]:
        return {
            "selections": {q: list(s) for q, s in self.selections.items()},
            "nonces": {q: [n.hex() for n in ns] for q, ns in self.nonces.items()},
        }

    @classmethod
    def from_json(cls, value: Any) -> BallotSecrets:
        """Parse audit secrets strictly (every question id and nonce validated).

        Raises:
            MalformedBallot: wrong structure, a question id that is not one,
                a selection other than 0 or 1, or a nonce that is not a scalar.
        """
        if not isinstance(value, dict) or set(value) != {"selections", "nonces"}:
            raise MalformedBallot('audit secrets are {"selections": ..., "nonces": ...}')
        sel, non = value["selections"], value["nonces"]
        if not isinstance(sel, dict) or not isinstance(non, dict) or set(sel) != set(non):
            raise MalformedBallot("audit selections and nonces must name the same questions")
        if not 1 <= len(sel) <= MAX_QUESTIONS:
            raise MalformedBallot(f"audit secrets reveal 1 to {MAX_QUESTIONS} questions")
        selections: dict[str, tuple[int, ...]] = {}
        nonces: dict[str, tuple[Scalar, ...]] = {}
        for q in sel:
            _identifier(q, "audited question id")
            if not isinstance(sel[q], list) or not isinstance(non[q], list):
                raise MalformedBallot(f"question {q}: selections and nonces are lists")
            if not 1 <= len(sel[q]) <= MAX_OPTIONS or len(sel[q]) != len(non[q]):
                raise MalformedBallot(
                    f"question {q}: one selection and one nonce for each of 1 to "
                    f"{MAX_OPTIONS} options"
                )
            if any(type(v) is not int or v not in (0, 1) for v in sel[q]):
                raise MalformedBallot(f"question {q}: each selection is 0 or 1")
            selections[q] = tuple(sel[q])
            try:
                nonces[q] = tuple(Scalar.from_hex(n) for n in non[q])
            except InvalidEncoding as exc:
                raise MalformedBallot(f"question {q}: {exc}") from exc
        return cls(selections=selections, nonces=nonces)


def content_keys(ballot: Ballot | Mapping[str, Any]) -> tuple[str, ...]:
    """The keys of a ballot's content: what may appear on a vote day's log only once.

    The first is SHA-256(lp("urna/v1/ballot-content") ‖ lp(JCS(ballot without
    signature))), then one SHA-256(lp("urna/v1/ciphertext") ‖ lp(pad ‖ data))
    per ciphertext, in ballot order (hex). They do not depend on the
    signature: the same ballot signed again, or to be audited, has the same
    keys, and so has any ballot that reuses one of its ciphertexts.

    Raises:
        MalformedBallot: ``ballot`` is JSON that does not parse as a ballot.
    """
    parsed = ballot if isinstance(ballot, Ballot) else Ballot.from_json(dict(ballot))
    whole = length_prefixed([CONTENT_TAG, parsed.canonical_unsigned()])
    keys = [hashlib.sha256(whole).hexdigest()]
    for answer in parsed.answers:
        for ct in answer.ciphertexts:
            data = length_prefixed([CIPHERTEXT_TAG, ct.to_bytes()])
            keys.append(hashlib.sha256(data).hexdigest())
    return tuple(keys)


def ballot_purpose_tag(purpose: str) -> bytes:
    """The signature's domain tag for ``purpose`` ("cast" or "audit")."""
    if purpose == "cast":
        return SIGNATURE_TAG
    if purpose == "audit":
        return AUDIT_TAG
    raise ValueError(f"a ballot is signed to be cast or to be audited, not {purpose!r}")


def signed_message(ballot: Ballot, purpose: str = "cast") -> bytes:
    """The bytes the credential signs: lp(tag) ‖ lp(JCS(ballot without signature)).

    The tag is :data:`SIGNATURE_TAG` to cast, :data:`AUDIT_TAG` to audit.
    """
    return length_prefixed([ballot_purpose_tag(purpose), ballot.canonical_unsigned()])


def sign_ballot(ballot: Ballot, credential: Credential, *, purpose: str) -> Ballot:
    """The ballot signed by ``credential`` for ``purpose`` ("cast" or "audit").

    A voter signs only once the choice is made: to cast, or to audit (the
    audited form is never accepted for casting).
    """
    if ballot.credential != credential.public_key:
        raise ValueError("a ballot is signed by the credential it names")
    signature = credential.signing_key.sign(signed_message(ballot, purpose)).signature
    return Ballot(ballot.vote_day_id, ballot.credential, ballot.answers, signature)


def encrypt_ballot(
    selections: Mapping[str, Sequence[int]],
    *,
    questions: Sequence[QuestionSpec],
    election: ElectionContext,
    credential: Credential,
    rng: RandomBytes = secure_random,
    purpose: str = "cast",
) -> tuple[Ballot, BallotSecrets]:
    """Encrypt, prove and sign a ballot.

    Args:
        selections: for each question id, one 0/1 per option.
        purpose: "cast" (signed under :data:`SIGNATURE_TAG`) or "audit"
            (signed under :data:`AUDIT_TAG`: the ballot can then only be audited).

    Raises:
        ProofRefused: selections that do not fit a question (the ballot would
            not verify, so no proof is made).
    """
    if set(selections) != {q.question_id for q in questions}:
        raise ProofRefused("selections must answer exactly the ballot's questions")
    answers: list[EncryptedAnswer] = []
    nonces: dict[str, tuple[Scalar, ...]] = {}
    for spec in questions:
        answer, answer_nonces = _encrypt_answer(
            tuple(selections[spec.question_id]), spec, election, credential.public_key, rng
        )
        answers.append(answer)
        nonces[spec.question_id] = answer_nonces
    unsigned = Ballot(
        vote_day_id=election.vote_day_id,
        credential=credential.public_key,
        answers=tuple(answers),
        signature=b"",
    )
    ballot = sign_ballot(unsigned, credential, purpose=purpose)
    chosen = {q.question_id: tuple(selections[q.question_id]) for q in questions}
    return ballot, BallotSecrets(selections=chosen, nonces=nonces)


def _encrypt_answer(
    chosen: tuple[int, ...],
    spec: QuestionSpec,
    election: ElectionContext,
    credential: bytes,
    rng: RandomBytes,
) -> tuple[EncryptedAnswer, tuple[Scalar, ...]]:
    qid = spec.question_id
    if len(chosen) != spec.options or any(v not in (0, 1) for v in chosen):
        raise ProofRefused(f"question {qid}: give one 0 or 1 for each of {spec.options} options")
    if not spec.min_selections <= sum(chosen) <= spec.max_selections:
        raise ProofRefused(
            f"question {qid}: {sum(chosen)} selections, allowed "
            f"{spec.min_selections} to {spec.max_selections}"
        )
    pk = election.public_key
    encrypted = [encrypt(v, pk, rng=rng) for v in chosen]
    cts = tuple(ct for ct, _ in encrypted)
    nonces = tuple(r for _, r in encrypted)
    proofs = tuple(
        prove_range(
            ct,
            value=v,
            nonce=r,
            public=pk,
            lo=0,
            hi=1,
            context=_option_context(election, credential, qid, i),
            rng=rng,
        )
        for i, (v, ct, r) in enumerate(zip(chosen, cts, nonces, strict=True))
    )
    sum_proof = prove_range(
        sum_ciphertexts(cts),
        value=sum(chosen),
        nonce=Scalar.from_int(sum(r.value for r in nonces)),
        public=pk,
        lo=spec.min_selections,
        hi=spec.max_selections,
        context=_sum_context(election, credential, qid),
        rng=rng,
    )
    answer = EncryptedAnswer(question_id=qid, ciphertexts=cts, proofs=proofs, sum_proof=sum_proof)
    return answer, nonces


def verify_ballot(
    ballot: Ballot,
    *,
    questions: Sequence[QuestionSpec],
    election: ElectionContext,
    purpose: str = "cast",
) -> None:
    """Check a ballot completely: shape, credential signature and every proof.

    The points were already validated when the ballot was parsed. Cheap checks
    run first, so a malformed ballot costs no proof verification. ``purpose``
    picks the signature's domain tag: a ballot signed to be audited does not
    verify as a cast ballot, and the reverse.

    Raises:
        MalformedBallot: wrong vote day, questions or option counts.
        InvalidSignature: the credential's signature does not verify.
        InvalidProof: a proof does not verify (the message names the question).
    """
    check_ballot_shape(ballot, questions=questions, election=election)
    verify_signature(ballot, purpose)
    verify_proofs(ballot, questions=questions, election=election)


def verify_proofs(
    ballot: Ballot, *, questions: Sequence[QuestionSpec], election: ElectionContext
) -> None:
    """Check every option's range proof and every question's sum proof (the expensive part).

    The caller has checked the shape (:func:`check_ballot_shape`); the server
    checks the signature first, so that only an authenticated attempt costs
    proof verification (:func:`verify_ballot` does all three).

    Raises:
        InvalidProof: a proof does not verify (the message names the question).
    """
    for spec, answer in zip(questions, ballot.answers, strict=True):
        _verify_answer(answer, spec, election, ballot.credential)


def verify_signature(ballot: Ballot, purpose: str = "cast") -> None:
    """Check the credential's signature alone (cheap: one Ed25519 verification).

    ``purpose`` picks the domain tag (``cast`` or ``audit``), as in :func:`verify_ballot`.

    Raises:
        InvalidSignature: the credential's signature does not verify for that purpose.
    """
    try:
        VerifyKey(ballot.credential).verify(signed_message(ballot, purpose), ballot.signature)
    except (BadSignatureError, NaclValueError) as exc:
        what = "a cast ballot" if purpose == "cast" else "an audited ballot"
        raise InvalidSignature(
            f"the credential's signature does not verify as that of {what}"
        ) from exc


def check_ballot_shape(
    ballot: Ballot, *, questions: Sequence[QuestionSpec], election: ElectionContext
) -> None:
    """The cheap structural checks of :func:`verify_ballot`.

    Raises:
        MalformedBallot: wrong vote day, questions, order or option counts.
    """
    if ballot.vote_day_id != election.vote_day_id:
        raise MalformedBallot(
            f"ballot is for vote day {ballot.vote_day_id!r}, expected {election.vote_day_id!r}"
        )
    expected = [q.question_id for q in questions]
    got = [a.question_id for a in ballot.answers]
    if got != expected:
        raise MalformedBallot(f"ballot answers questions {got}, expected {expected}")
    for spec, answer in zip(questions, ballot.answers, strict=True):
        if len(answer.ciphertexts) != spec.options:
            raise MalformedBallot(
                f"question {spec.question_id}: {len(answer.ciphertexts)} ciphertexts, "
                f"expected {spec.options}"
            )


def _verify_answer(
    answer: EncryptedAnswer, spec: QuestionSpec, election: ElectionContext, credential: bytes
) -> None:
    qid, pk = spec.question_id, election.public_key
    for i, (ct, proof) in enumerate(zip(answer.ciphertexts, answer.proofs, strict=True)):
        try:
            verify_range(
                proof,
                ct,
                public=pk,
                lo=0,
                hi=1,
                context=_option_context(election, credential, qid, i),
            )
        except InvalidProof as exc:
            raise InvalidProof(f"question {qid}, option {i}: {exc}") from exc
    try:
        verify_range(
            answer.sum_proof,
            sum_ciphertexts(answer.ciphertexts),
            public=pk,
            lo=spec.min_selections,
            hi=spec.max_selections,
            context=_sum_context(election, credential, qid),
        )
    except InvalidProof as exc:
        raise InvalidProof(f"question {qid}, number of selections: {exc}") from exc


def verify_audit(ballot: Ballot, secrets: BallotSecrets, *, election: ElectionContext) -> None:
    """Benaloh audit: re-encrypt the revealed selections with the revealed nonces.

    The secrets reveal exactly the ballot's questions and, for each, exactly
    one selection and one nonce per option: nothing else is published.

    Raises:
        InvalidProof: the secrets name other questions or another number of
            options, or a revealed selection or nonce does not reproduce its
            ciphertext.
    """
    answered = {a.question_id for a in ballot.answers}
    extra = sorted(set(secrets.selections) - answered) + sorted(set(secrets.nonces) - answered)
    if extra:
        shown = ", ".join(repr(q[:MAX_ID_LENGTH]) for q in extra[:3])
        raise InvalidProof(
            f"the audit reveals questions the ballot does not answer ({shown}): "
            "it must reveal exactly the ballot's questions"
        )
    for answer in ballot.answers:
        qid = answer.question_id
        chosen = secrets.selections.get(qid)
        nonces = secrets.nonces.get(qid)
        if (
            chosen is None
            or nonces is None
            or not (len(chosen) == len(nonces) == len(answer.ciphertexts))
        ):
            raise InvalidProof(f"question {qid}: the audit does not reveal every option")
        for i, (v, r, ct) in enumerate(zip(chosen, nonces, answer.ciphertexts, strict=True)):
            if encrypt_with_nonce(v, election.public_key, r) != ct:
                raise InvalidProof(f"question {qid}, option {i}: revealed values do not match")


def _option_context(
    election: ElectionContext, credential: bytes, question_id: str, option: int
) -> list[bytes]:
    return [
        *_base_context(election, credential, question_id),
        b"option",
        option.to_bytes(8, "big"),
    ]


def _sum_context(election: ElectionContext, credential: bytes, question_id: str) -> list[bytes]:
    return [*_base_context(election, credential, question_id), b"sum"]


def _base_context(election: ElectionContext, credential: bytes, question_id: str) -> list[bytes]:
    return [
        election.vote_day_id.encode(),
        election.manifest_hash,
        election.public_key.encoded,
        credential,
        question_id.encode(),
    ]


def _identifier(value: Any, what: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_ID_LENGTH:
        raise MalformedBallot(f"{what} must be a string of 1 to {MAX_ID_LENGTH} characters")
    if not value.isascii() or not value.isprintable():
        raise MalformedBallot(f"{what} must be printable ASCII")
    return value
