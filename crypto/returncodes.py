"""Return codes (cast as intended): derivations, proofs and short codes.

DESIGN.md section 8; the protocol, message formats and who learns what are in
docs/return-codes.md. After Swiss Post's and CHVote's return-code protocols,
over ristretto255 (:mod:`crypto.group`):

- the voter's secret ``x_c`` is derived from the voting code and the vote day
  (:func:`derive_voter_secret`), ``X_c = x_c·G`` is published;
- each return-code authority j derives its per-voter key ``k_{j,c}`` from its
  own 32-byte secret, the vote day and the credential
  (:func:`derive_authority_key`), ``V_{j,c} = k_{j,c}·G`` is published;
- every choice o of a single-choice question q (each option and "blank") has a
  point ``P_{q,o}`` (:func:`option_point`); the ballot casting key a point
  ``P_bck`` (:func:`bck_point`);
- the device sends ``pCC = x_c·P_{q,o*}`` with a :class:`ChoiceProof` bound to
  the ballot's ciphertexts (:func:`prove_partial_code`); each authority
  answers ``k_{j,c}·pCC`` with an :class:`ExponentiationProof`
  (:func:`answer_exponentiation`); the sum over the authorities is the long
  return code ``LRC = K_c·x_c·P_{q,o*}`` (:func:`combine`), looked up in the
  registrar's table (:mod:`crypto.returncode_table`);
- to confirm, the device sends ``pBCK = x_c·P_bck`` with a Schnorr proof of
  knowledge of ``x_c`` bound to it (:func:`prove_confirmation`); each
  authority answers ``k_{j,c}·Q`` for ``Q = H2G(pBCK)``
  (:func:`confirmation_point`), so that the authorities exponentiate only
  points nobody chose (they are not an exponentiation oracle).

Everything here is pure: no I/O, randomness injected (``rng``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crypto._group import G
from crypto._group import Point
from crypto._group import RandomBytes
from crypto._group import Scalar
from crypto._group import secure_random
from crypto._transcript import hash_parts
from crypto._transcript import hash_to_scalar
from crypto.ballot import Ballot
from crypto.ballot import BallotSecrets
from crypto.ballot import ElectionContext
from crypto.ballot import QuestionSpec
from crypto.credentials import normalise_code
from crypto.elgamal import Ciphertext
from crypto.elgamal import sum_ciphertexts
from crypto.encoding import unhex
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidProof
from crypto.errors import ProofRefused
from crypto.errors import UnsupportedQuestion
from crypto.proofs import SchnorrProof

__all__ = [
    "BLANK",
    "ChoiceProof",
    "ExponentiationProof",
    "PartialCode",
    "answer_exponentiation",
    "authority_public",
    "bck_point",
    "choice_labels",
    "combine",
    "confirmation_point",
    "decrypt_point",
    "derive_authority_key",
    "derive_voter_secret",
    "encrypt_point",
    "option_point",
    "prove_confirmation",
    "prove_partial_code",
    "return_code_questions",
    "verify_confirmation",
    "verify_exponentiation",
    "verify_partial_code",
    "voter_public",
]

VOTER_TAG = b"urna/v1/rc-voter"
AUTHORITY_KEY_TAG = b"urna/v1/rc-authority-key"
OPTION_TAG = b"urna/v1/rc-option"
BCK_TAG = b"urna/v1/rc-bck"
CONFIRM_POINT_TAG = b"urna/v1/rc-confirm"
CHOICE_PROOF_TAG = b"urna/v1/rc-choice-proof"
CONFIRM_PROOF_TAG = b"urna/v1/rc-confirm-proof"
EXPONENTIATION_TAG = b"urna/v1/rc-exponentiation"

BLANK = "blank"
"""The label of the blank choice (no option selected)."""

AUTHORITY_SECRET_SIZE = 32


def derive_voter_secret(code: str, vote_day_id: str) -> Scalar:
    """``x_c``: SHA-512(lp(rc-voter) ‖ lp(vote day) ‖ lp(normalised code)) mod L.

    Raises:
        InvalidEncoding: the voting code is malformed.
    """
    digest = hash_parts(VOTER_TAG, [vote_day_id.encode(), normalise_code(code).encode()])
    return _nonzero(Scalar.from_uniform_bytes(digest))


def voter_public(secret: Scalar) -> Point:
    """``X_c = x_c·G``."""
    return Point.base_times(secret)


def derive_authority_key(authority_secret: bytes, vote_day_id: str, credential: bytes) -> Scalar:
    """``k_{j,c}``: SHA-512(lp(rc-authority-key) ‖ lp(secret) ‖ lp(vote day) ‖ lp(cred)) mod L.

    Raises:
        InvalidEncoding: the authority secret is not 32 bytes or the
            credential not 32 bytes.
    """
    if not isinstance(authority_secret, bytes) or len(authority_secret) != AUTHORITY_SECRET_SIZE:
        raise InvalidEncoding(f"an authority secret is {AUTHORITY_SECRET_SIZE} bytes")
    if not isinstance(credential, bytes) or len(credential) != 32:
        raise InvalidEncoding("a credential public key is 32 bytes")
    parts = [authority_secret, vote_day_id.encode(), credential]
    return _nonzero(Scalar.from_uniform_bytes(hash_parts(AUTHORITY_KEY_TAG, parts)))


def authority_public(key: Scalar) -> Point:
    """``V_{j,c} = k_{j,c}·G``."""
    return Point.base_times(key)


def return_code_questions(questions: Sequence[QuestionSpec]) -> tuple[QuestionSpec, ...]:
    """The questions that carry return codes: the single-choice ones (at most one selection)."""
    return tuple(q for q in questions if q.max_selections == 1)


def choice_labels(spec: QuestionSpec) -> tuple[str, ...]:
    """The choices of a single-choice question: ``"0"`` … ``"k-1"``, then ``"blank"`` if allowed.

    Raises:
        UnsupportedQuestion: the question allows more than one selection.
    """
    if spec.max_selections != 1:
        raise UnsupportedQuestion(
            f"question {spec.question_id}: return codes need a single-choice question "
            f"(at most 1 selection), it allows {spec.max_selections}"
        )
    labels = tuple(str(i) for i in range(spec.options))
    return (*labels, BLANK) if spec.min_selections == 0 else labels


def option_point(vote_day_id: str, question_id: str, choice: str) -> Point:
    """``P_{q,o}``: the one-way map of SHA-512(lp(rc-option) ‖ lp(day) ‖ lp(q) ‖ lp(o))."""
    parts = [vote_day_id.encode(), question_id.encode(), choice.encode()]
    return Point.from_uniform_bytes(hash_parts(OPTION_TAG, parts))


def bck_point(vote_day_id: str, bck: str) -> Point:
    """``P_bck``: the one-way map of SHA-512(lp(rc-bck) ‖ lp(day) ‖ lp(BCK digits))."""
    return Point.from_uniform_bytes(hash_parts(BCK_TAG, [vote_day_id.encode(), bck.encode()]))


def confirmation_point(vote_day_id: str, credential: bytes, pbck: Point) -> Point:
    """``Q = H2G(rc-confirm, day, credential, pBCK)``: what the authorities exponentiate."""
    parts = [vote_day_id.encode(), credential, pbck.encoded]
    return Point.from_uniform_bytes(hash_parts(CONFIRM_POINT_TAG, parts))


def combine(answers: Sequence[Point]) -> Point:
    """The long code: the sum of the authorities' answers ``sum_j k_{j,c}·Y``.

    Raises:
        ValueError: no answers.
    """
    if not answers:
        raise ValueError("combine needs at least one authority's answer")
    total = answers[0]
    for point in answers[1:]:
        total = total + point
    return total


def encrypt_point(point: Point, public: Point, *, rng: RandomBytes = secure_random) -> Ciphertext:
    """ElGamal encryption of a group element: ``(r·G, M + r·H)`` (the registrar, at setup)."""
    r = Scalar.random(rng=rng)
    return Ciphertext(pad=Point.base_times(r), data=point + public * r)


def decrypt_point(ciphertext: Ciphertext, secret: Scalar) -> Point:
    """``β − x·α`` (the registrar, after the authorities exponentiated)."""
    return ciphertext.data - ciphertext.pad * secret


# --- The authorities' exponentiation proof (multi-base Chaum–Pedersen) ---------


@dataclass(frozen=True, slots=True)
class ExponentiationProof:
    """Proof that ``V = k·G`` and ``Y_i = k·B_i`` for every i (one k)."""

    challenge: Scalar
    """c in the spec"""
    response: Scalar
    """s = w + c·k in the spec"""

    def to_json(self) -> dict[str, str]:
        return {"c": self.challenge.hex(), "s": self.response.hex()}

    @classmethod
    def from_json(cls, value: Any) -> ExponentiationProof:
        """Raises: InvalidEncoding: not ``{"c": hex, "s": hex}`` with canonical scalars."""
        proof = SchnorrProof.from_json(value)
        return cls(challenge=proof.challenge, response=proof.response)


def answer_exponentiation(
    key: Scalar,
    bases: Sequence[Point],
    *,
    context: Sequence[bytes],
    rng: RandomBytes = secure_random,
    public: Point | None = None,
) -> tuple[tuple[Point, ...], ExponentiationProof]:
    """An authority's answer: ``k·B_i`` for every base, with one proof against ``V = k·G``.

    ``public`` is ``V = k·G`` when the caller has it (answering several questions).
    """
    results = tuple(base * key for base in bases)
    w = Scalar.random(rng=rng)
    commitments = [Point.base_times(w), *(base * w for base in bases)]
    v = authority_public(key) if public is None else public
    c = _exponentiation_challenge(context, v, bases, results, commitments)
    return results, ExponentiationProof(challenge=c, response=w + c * key)


def verify_exponentiation(
    proof: ExponentiationProof,
    *,
    public: Point,
    bases: Sequence[Point],
    results: Sequence[Point],
    context: Sequence[bytes],
) -> None:
    """Check that every ``results[i] = k·bases[i]`` for the k of ``public = k·G``.

    Raises:
        InvalidProof: different lengths or a challenge mismatch.
    """
    if len(bases) != len(results) or not bases:
        raise InvalidProof(f"an answer has one result per base: {len(bases)} bases, {len(results)}")
    c, s = proof.challenge, proof.response
    commitments = [Point.base_times(s) - public * c]
    commitments += [b * s - y * c for b, y in zip(bases, results, strict=True)]
    if _exponentiation_challenge(context, public, bases, results, commitments) != c:
        raise InvalidProof("the authority's exponentiation proof does not verify")


def _exponentiation_challenge(
    context: Sequence[bytes],
    public: Point,
    bases: Sequence[Point],
    results: Sequence[Point],
    commitments: Sequence[Point],
) -> Scalar:
    parts = [*context, public.encoded, len(bases).to_bytes(4, "big")]
    parts += [b.encoded for b in bases] + [y.encoded for y in results]
    parts += [a.encoded for a in commitments]
    return hash_to_scalar(EXPONENTIATION_TAG, parts)


# --- The device's partial choice code and its proof ---------------------------


@dataclass(frozen=True, slots=True)
class ChoiceProof:
    """OR over the choices o of [pCC = x_c·P_o (DLEQ with X_c) AND o's ciphertext encrypts 1].

    For blank the second half is "the sum of the question's ciphertexts encrypts 0".
    One branch per choice, in :func:`choice_labels` order.
    """

    challenges: tuple[Scalar, ...]
    """c_o; their sum is the Fiat–Shamir challenge"""
    responses_x: tuple[Scalar, ...]
    """s_o = w_o + c_o·x_c"""
    responses_r: tuple[Scalar, ...]
    """t_o = v_o + c_o·r_o (r_o: the nonce of o's ciphertext, or the sum of nonces)"""

    def to_json(self) -> list[dict[str, str]]:
        rows = zip(self.challenges, self.responses_x, self.responses_r, strict=True)
        return [{"c": c.hex(), "s": s.hex(), "t": t.hex()} for c, s, t in rows]

    @classmethod
    def from_json(cls, value: Any) -> ChoiceProof:
        """Raises: InvalidEncoding: not a list of 1 to 33 ``{"c", "s", "t"}`` branches."""
        if not isinstance(value, list) or not 1 <= len(value) <= 33:
            raise InvalidEncoding("a choice proof is a list of 1 to 33 branches")
        rows = []
        for branch in value:
            if not isinstance(branch, dict) or set(branch) != {"c", "s", "t"}:
                raise InvalidEncoding(
                    'a choice-proof branch is an object with exactly "c", "s", "t"'
                )
            rows.append(tuple(Scalar.from_hex(branch[k]) for k in ("c", "s", "t")))
        return cls(
            challenges=tuple(r[0] for r in rows),
            responses_x=tuple(r[1] for r in rows),
            responses_r=tuple(r[2] for r in rows),
        )


@dataclass(frozen=True, slots=True)
class PartialCode:
    """One question's ``pCC = x_c·P_{q,o*}`` with its proof."""

    question_id: str
    value: Point
    """pCC in the spec"""
    proof: ChoiceProof

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question_id,
            "pcc": self.value.hex(),
            "proof": self.proof.to_json(),
        }

    @classmethod
    def from_json(cls, value: Any) -> PartialCode:
        """Raises: InvalidEncoding: wrong keys, an invalid point or proof."""
        if not isinstance(value, dict) or set(value) != {"question", "pcc", "proof"}:
            raise InvalidEncoding(
                'a partial code is an object with exactly "question", "pcc", "proof"'
            )
        question = value["question"]
        if not isinstance(question, str) or not 1 <= len(question) <= 64:
            raise InvalidEncoding("a partial code names its question (1 to 64 characters)")
        return cls(
            question_id=question,
            value=Point.from_hex(value["pcc"]),
            proof=ChoiceProof.from_json(value["proof"]),
        )


@dataclass(frozen=True, slots=True)
class _Branch:
    """One choice's statement: pCC = x·P (with X = x·G) and (α, β') = (r·G, r·h)."""

    point: Point
    pad: Point
    shifted: Point


def prove_partial_code(
    ballot: Ballot,
    secrets: BallotSecrets,
    spec: QuestionSpec,
    *,
    election: ElectionContext,
    voter_secret: Scalar,
    rng: RandomBytes = secure_random,
) -> PartialCode:
    """The device's ``pCC`` for question ``spec`` of ``ballot``, with its proof.

    Raises:
        UnsupportedQuestion: not a single-choice question.
        ProofRefused: the ballot does not answer the question, or its secrets
            do not describe one allowed choice.
    """
    labels = choice_labels(spec)
    answer = next((a for a in ballot.answers if a.question_id == spec.question_id), None)
    selections = secrets.selections.get(spec.question_id)
    nonces = secrets.nonces.get(spec.question_id)
    if answer is None or selections is None or nonces is None:
        raise ProofRefused(f"question {spec.question_id}: the ballot does not answer it")
    if sum(selections) == 0:
        chosen, r = BLANK, Scalar.from_int(sum(n.value for n in nonces))
    else:
        index = selections.index(1)
        chosen, r = str(index), nonces[index]
    if chosen not in labels:
        raise ProofRefused(f"question {spec.question_id}: choice {chosen} is not allowed")
    k = labels.index(chosen)
    branches = _branches(ballot, spec, election)
    pcc = branches[k].point * voter_secret
    public = voter_public(voter_secret)
    h = election.public_key
    challenges, resp_x, resp_r, commitments = [], [], [], []
    w, v = Scalar.random(rng=rng), Scalar.random(rng=rng)
    for i, branch in enumerate(branches):
        if i == k:  # (1) the real branch commits to fresh w, v
            challenges.append(Scalar(0))
            resp_x.append(Scalar(0))
            resp_r.append(Scalar(0))
            commitments.append((Point.base_times(w), branch.point * w, Point.base_times(v), h * v))
        else:  # (2) simulated branches: random c, s, t
            c, s, t = Scalar.random(rng=rng), Scalar.random(rng=rng), Scalar.random(rng=rng)
            challenges.append(c)
            resp_x.append(s)
            resp_r.append(t)
            commitments.append(_branch_commitments(branch, public, pcc, h, c, s, t))
    total = _choice_challenge(ballot, spec, election, public, pcc, branches, commitments)
    c_real = total - Scalar.from_int(sum(c.value for c in challenges))  # (3)
    challenges[k], resp_x[k], resp_r[k] = c_real, w + c_real * voter_secret, v + c_real * r
    proof = ChoiceProof(tuple(challenges), tuple(resp_x), tuple(resp_r))
    return PartialCode(question_id=spec.question_id, value=pcc, proof=proof)


def verify_partial_code(
    code: PartialCode,
    ballot: Ballot,
    spec: QuestionSpec,
    *,
    election: ElectionContext,
    voter_key: Point,
) -> None:
    """Check that ``code.value = x_c·P_{q,o}`` for the choice o the ballot encrypts.

    ``voter_key`` is the voter's ``X_c`` as published with the credential list;
    the ballot must have been checked (signature and proofs) by the caller.

    Raises:
        UnsupportedQuestion: not a single-choice question.
        InvalidProof: wrong question, branch count or a challenge mismatch.
    """
    labels = choice_labels(spec)
    if code.question_id != spec.question_id:
        raise InvalidProof(f"partial code for {code.question_id!r}, expected {spec.question_id!r}")
    proof = code.proof
    if len(proof.challenges) != len(labels):
        raise InvalidProof(
            f"question {spec.question_id}: the choice proof needs {len(labels)} branches, "
            f"got {len(proof.challenges)}"
        )
    branches = _branches(ballot, spec, election)
    h = election.public_key
    commitments = [
        _branch_commitments(branch, voter_key, code.value, h, c, s, t)
        for branch, c, s, t in zip(
            branches, proof.challenges, proof.responses_x, proof.responses_r, strict=True
        )
    ]
    total = _choice_challenge(ballot, spec, election, voter_key, code.value, branches, commitments)
    if total != Scalar.from_int(sum(c.value for c in proof.challenges)):
        raise InvalidProof(
            f"question {spec.question_id}: the partial choice code does not match the ballot"
        )


def _branches(ballot: Ballot, spec: QuestionSpec, election: ElectionContext) -> list[_Branch]:
    answer = next((a for a in ballot.answers if a.question_id == spec.question_id), None)
    if answer is None or len(answer.ciphertexts) != spec.options:
        raise InvalidProof(
            f"question {spec.question_id}: the ballot does not answer it as specified"
        )
    out = []
    for label in choice_labels(spec):
        point = option_point(election.vote_day_id, spec.question_id, label)
        if label == BLANK:
            total = sum_ciphertexts(answer.ciphertexts)
            out.append(_Branch(point=point, pad=total.pad, shifted=total.data))
        else:
            ct = answer.ciphertexts[int(label)]
            out.append(_Branch(point=point, pad=ct.pad, shifted=ct.data - G))
    return out


def _branch_commitments(
    branch: _Branch, public: Point, pcc: Point, h: Point, c: Scalar, s: Scalar, t: Scalar
) -> tuple[Point, Point, Point, Point]:
    # s·G − c·X ; s·P − c·pCC ; t·G − c·α ; t·h − c·β'
    return (
        Point.base_times(s) - public * c,
        branch.point * s - pcc * c,
        Point.base_times(t) - branch.pad * c,
        h * t - branch.shifted * c,
    )


def _choice_challenge(
    ballot: Ballot,
    spec: QuestionSpec,
    election: ElectionContext,
    public: Point,
    pcc: Point,
    branches: Sequence[_Branch],
    commitments: Sequence[tuple[Point, Point, Point, Point]],
) -> Scalar:
    parts = [
        election.vote_day_id.encode(),
        election.manifest_hash,
        election.public_key.encoded,
        ballot.credential,
        spec.question_id.encode(),
        public.encoded,
        pcc.encoded,
    ]
    for branch, row in zip(branches, commitments, strict=True):
        parts += [branch.point.encoded, branch.pad.encoded, branch.shifted.encoded]
        parts += [p.encoded for p in row]
    return hash_to_scalar(CHOICE_PROOF_TAG, parts)


# --- Confirmation -------------------------------------------------------------


def prove_confirmation(
    voter_secret: Scalar,
    bck: str,
    *,
    vote_day_id: str,
    credential: bytes,
    rng: RandomBytes = secure_random,
) -> tuple[Point, SchnorrProof]:
    """``pBCK = x_c·P_bck`` and a proof of knowledge of ``x_c`` bound to it.

    Only the holder of the voting code can spend one of the voter's
    confirmation attempts; the authorities never see ``P_bck``.
    """
    pbck = bck_point(vote_day_id, bck) * voter_secret
    w = Scalar.random(rng=rng)
    public = voter_public(voter_secret)
    c = _confirm_challenge(vote_day_id, credential, public, pbck, Point.base_times(w))
    return pbck, SchnorrProof(challenge=c, response=w + c * voter_secret)


def verify_confirmation(
    proof: SchnorrProof, *, vote_day_id: str, credential: bytes, voter_key: Point, pbck: Point
) -> None:
    """Check the device's proof that it knows ``x_c`` (``X_c = x_c·G``) for this ``pBCK``.

    Raises:
        InvalidProof: the proof does not verify for this voter and pBCK.
    """
    commitment = Point.base_times(proof.response) - voter_key * proof.challenge
    if _confirm_challenge(vote_day_id, credential, voter_key, pbck, commitment) != proof.challenge:
        raise InvalidProof("the confirmation proof does not verify for this voter")


def _confirm_challenge(
    vote_day_id: str, credential: bytes, public: Point, pbck: Point, commitment: Point
) -> Scalar:
    parts = [vote_day_id.encode(), credential, public.encoded, pbck.encoded, commitment.encoded]
    return hash_to_scalar(CONFIRM_PROOF_TAG, parts)


def _nonzero(s: Scalar) -> Scalar:
    if s.value == 0:  # probability 2^-252
        raise ProofRefused("derived a zero scalar; choose another secret")
    return s


def parse_point(value: Any, what: str) -> Point:
    """A point from hex with a message naming ``what``.

    Raises:
        InvalidEncoding: not a valid group element.
    """
    try:
        return Point.from_bytes(unhex(value, 32, what=what))
    except InvalidEncoding as exc:
        raise InvalidEncoding(f"{what}: {exc}") from exc
