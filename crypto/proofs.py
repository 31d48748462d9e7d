"""Non-interactive zero-knowledge proofs (Fiat–Shamir, compact challenge form).

- Schnorr proof of knowledge of a discrete log: X = x·G.
- Chaum–Pedersen proof of equal discrete logs: X = x·G and Y = x·B.
- Disjunctive Chaum–Pedersen range proof: (α, β) encrypts some m in [lo, hi]
  under h, i.e. for some j in [lo, hi]: α = r·G and β − j·G = r·h (after
  Cramer, Damgård and Schoenmakers, CRYPTO '94).

Every proof carries its challenges and responses only; the verifier
recomputes the commitments and checks that the challenge is the hash of the
whole statement. The transcript (docs/spec.md, "Proofs") is the domain tag,
the caller's context parts (vote-day manifest hash, election key, credential,
question id, ...), the statement and the commitments, each length-prefixed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crypto._group import Point
from crypto._group import RandomBytes
from crypto._group import Scalar
from crypto._group import combine
from crypto._group import secure_random
from crypto._transcript import hash_to_scalar
from crypto.elgamal import Ciphertext
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidProof
from crypto.errors import ProofRefused

__all__ = [
    "ChaumPedersenProof",
    "RangeProof",
    "SchnorrProof",
    "prove_equal_logs",
    "prove_knowledge",
    "prove_range",
    "verify_equal_logs",
    "verify_knowledge",
    "verify_range",
]

SCHNORR_TAG = b"urna/v1/schnorr"
CHAUM_PEDERSEN_TAG = b"urna/v1/chaum-pedersen"
RANGE_TAG = b"urna/v1/range"

MAX_RANGE_WIDTH = 64
"""A range proof covers at most this many values (one branch per value)."""


@dataclass(frozen=True, slots=True)
class SchnorrProof:
    """Proof of knowledge of x with X = x·G."""

    challenge: Scalar
    """c in the spec"""
    response: Scalar
    """s = w + c·x in the spec"""

    def to_json(self) -> dict[str, str]:
        return {"c": self.challenge.hex(), "s": self.response.hex()}

    @classmethod
    def from_json(cls, value: Any) -> SchnorrProof:
        c, s = _challenge_response(value)
        return cls(challenge=c, response=s)


@dataclass(frozen=True, slots=True)
class ChaumPedersenProof:
    """Proof that log_G(X) = log_B(Y)."""

    challenge: Scalar
    """c in the spec"""
    response: Scalar
    """s = w + c·x in the spec"""

    def to_json(self) -> dict[str, str]:
        return {"c": self.challenge.hex(), "s": self.response.hex()}

    @classmethod
    def from_json(cls, value: Any) -> ChaumPedersenProof:
        c, s = _challenge_response(value)
        return cls(challenge=c, response=s)


@dataclass(frozen=True, slots=True)
class RangeProof:
    """Proof that a ciphertext encrypts a value in [lo, hi]: one (c_j, s_j) per value j."""

    challenges: tuple[Scalar, ...]
    """c_lo … c_hi in the spec; their sum is the Fiat–Shamir challenge"""
    responses: tuple[Scalar, ...]
    """s_lo … s_hi in the spec"""

    def to_json(self) -> list[dict[str, str]]:
        pairs = zip(self.challenges, self.responses, strict=True)
        return [{"c": c.hex(), "s": s.hex()} for c, s in pairs]

    @classmethod
    def from_json(cls, value: Any) -> RangeProof:
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_RANGE_WIDTH:
            raise InvalidEncoding(f"a range proof is a list of 1 to {MAX_RANGE_WIDTH} branches")
        pairs = [_challenge_response(branch) for branch in value]
        return cls(challenges=tuple(c for c, _ in pairs), responses=tuple(s for _, s in pairs))


def _challenge_response(value: Any) -> tuple[Scalar, Scalar]:
    if not isinstance(value, dict) or set(value) != {"c", "s"}:
        raise InvalidEncoding('a proof branch is an object with exactly "c" and "s"')
    return Scalar.from_hex(value["c"]), Scalar.from_hex(value["s"])


def _int_bytes(n: int) -> bytes:
    return n.to_bytes(8, "big")


# --- Schnorr ---------------------------------------------------------------


def prove_knowledge(
    secret: Scalar,
    public: Point,
    *,
    context: Sequence[bytes],
    rng: RandomBytes = secure_random,
) -> SchnorrProof:
    """Prove knowledge of ``secret`` with ``public = secret·G``."""
    if Point.base_times(secret) != public:
        raise ProofRefused("the secret does not match the public key")
    w = Scalar.random(rng=rng)  # (1) commitment A = w·G
    c = hash_to_scalar(SCHNORR_TAG, [*context, public.encoded, Point.base_times(w).encoded])
    return SchnorrProof(challenge=c, response=w + c * secret)  # (2) s = w + c·x


def verify_knowledge(proof: SchnorrProof, public: Point, *, context: Sequence[bytes]) -> None:
    """Check a Schnorr proof.

    Raises:
        InvalidProof: the proof does not verify for this key and context.
    """
    # (1) A = s·G − c·X, (2) c must be the hash of the statement and A
    commitment = combine(proof.response, None, proof.challenge, public)
    expected = hash_to_scalar(SCHNORR_TAG, [*context, public.encoded, commitment.encoded])
    if expected != proof.challenge:
        raise InvalidProof("Schnorr proof of knowledge does not verify: challenge mismatch")


# --- Chaum–Pedersen ----------------------------------------------------------


def prove_equal_logs(
    secret: Scalar,
    *,
    base: Point,
    public: Point,
    result: Point,
    context: Sequence[bytes],
    rng: RandomBytes = secure_random,
) -> ChaumPedersenProof:
    """Prove log_G(public) = log_base(result) = ``secret``."""
    if Point.base_times(secret) != public or base * secret != result:
        raise ProofRefused("the secret does not match the statement")
    w = Scalar.random(rng=rng)
    c = _chaum_pedersen_challenge(context, base, public, result, Point.base_times(w), base * w)
    return ChaumPedersenProof(challenge=c, response=w + c * secret)


def verify_equal_logs(
    proof: ChaumPedersenProof,
    *,
    base: Point,
    public: Point,
    result: Point,
    context: Sequence[bytes],
) -> None:
    """Check a Chaum–Pedersen proof.

    Raises:
        InvalidProof: the proof does not verify for this statement and context.
    """
    c, s = proof.challenge, proof.response
    a = combine(s, None, c, public)  # (1) A = s·G − c·X
    b = combine(s, base, c, result)  # (2) B = s·B − c·Y
    if _chaum_pedersen_challenge(context, base, public, result, a, b) != c:
        raise InvalidProof("Chaum–Pedersen proof does not verify: challenge mismatch")


def _chaum_pedersen_challenge(
    context: Sequence[bytes], base: Point, public: Point, result: Point, a: Point, b: Point
) -> Scalar:
    parts = [*context, base.encoded, public.encoded, result.encoded, a.encoded, b.encoded]
    return hash_to_scalar(CHAUM_PEDERSEN_TAG, parts)


# --- Disjunctive range proof ---------------------------------------------------


def prove_range(
    ciphertext: Ciphertext,
    *,
    value: int,
    nonce: Scalar,
    public: Point,
    lo: int,
    hi: int,
    context: Sequence[bytes],
    rng: RandomBytes = secure_random,
) -> RangeProof:
    """Prove that ``ciphertext`` = Enc(value; nonce) with lo <= value <= hi.

    Raises:
        ProofRefused: value is outside [lo, hi] or does not match the ciphertext.
    """
    _check_range_bounds(lo, hi)
    if not lo <= value <= hi:
        raise ProofRefused(f"value {value} is outside the range [{lo}, {hi}]; refusing to prove")
    if Point.base_times(nonce) != ciphertext.pad:
        raise ProofRefused("the nonce does not match the ciphertext")
    challenges: list[Scalar] = []
    responses: list[Scalar] = []
    commitments: list[bytes] = []
    w = Scalar.random(rng=rng)
    for j in range(lo, hi + 1):
        if j == value:  # (1) real branch: A = w·G, B = w·h
            challenges.append(Scalar(0))
            responses.append(Scalar(0))
            commitments += [Point.base_times(w).encoded, (public * w).encoded]
        else:  # (2) simulated branch with random c_j, s_j
            c_j, s_j = Scalar.random(rng=rng), Scalar.random(rng=rng)
            challenges.append(c_j)
            responses.append(s_j)
            # The prover knows r and m, so with t = s_j − c_j·r the verifier's
            # A_j = s_j·G − c_j·α = t·G and B_j = t·h − c_j·(m − j)·G cost one
            # variable-base multiplication instead of three.
            t = s_j - c_j * nonce
            a = Point.base_times(t)
            b = public * t - Point.base_times(c_j * Scalar.from_int(value - j))
            commitments += [a.encoded, b.encoded]
    c = _range_challenge(context, public, ciphertext, lo, hi, commitments)
    k = value - lo  # (3) the real branch takes the rest of the challenge
    c_real = c - _sum(challenges)
    challenges[k] = c_real
    responses[k] = w + c_real * nonce
    return RangeProof(challenges=tuple(challenges), responses=tuple(responses))


def verify_range(
    proof: RangeProof,
    ciphertext: Ciphertext,
    *,
    public: Point,
    lo: int,
    hi: int,
    context: Sequence[bytes],
) -> None:
    """Check that ``ciphertext`` encrypts a value in [lo, hi].

    Raises:
        InvalidProof: wrong number of branches or a challenge mismatch.
    """
    _check_range_bounds(lo, hi)
    if len(proof.challenges) != hi - lo + 1 or len(proof.responses) != hi - lo + 1:
        raise InvalidProof(
            f"range proof for [{lo}, {hi}] needs {hi - lo + 1} branches, "
            f"got {len(proof.challenges)}"
        )
    commitments: list[bytes] = []
    for j, c_j, s_j in zip(range(lo, hi + 1), proof.challenges, proof.responses, strict=True):
        a, b = _range_commitments(ciphertext, public, j, c_j, s_j)
        commitments += [a.encoded, b.encoded]
    c = _range_challenge(context, public, ciphertext, lo, hi, commitments)
    if c != _sum(proof.challenges):
        raise InvalidProof(f"range proof for [{lo}, {hi}] does not verify: challenge mismatch")


def _check_range_bounds(lo: int, hi: int) -> None:
    if not 0 <= lo <= hi or hi - lo + 1 > MAX_RANGE_WIDTH:
        raise ValueError(f"unsupported range [{lo}, {hi}]")


def _range_commitments(
    ct: Ciphertext, public: Point, j: int, c: Scalar, s: Scalar
) -> tuple[Point, Point]:
    # A_j = s_j·G − c_j·α ;  B_j = s_j·h − c_j·(β − j·G)
    shifted = ct.data - Point.small_multiple(j) if j else ct.data
    return combine(s, None, c, ct.pad), combine(s, public, c, shifted)


def _range_challenge(
    context: Sequence[bytes],
    public: Point,
    ct: Ciphertext,
    lo: int,
    hi: int,
    commitments: list[bytes],
) -> Scalar:
    parts = [
        *context,
        _int_bytes(lo),
        _int_bytes(hi),
        public.encoded,
        ct.pad.encoded,
        ct.data.encoded,
        *commitments,
    ]
    return hash_to_scalar(RANGE_TAG, parts)


def _sum(scalars: Sequence[Scalar]) -> Scalar:
    return Scalar.from_int(sum(s.value for s in scalars))
