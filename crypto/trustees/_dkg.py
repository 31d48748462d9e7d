"""Trustee key ceremony: the roster and the Feldman VSS commitments (Pedersen DKG).

docs/trustees.md, steps 1 to 3. Trustee i (index 1..n) picks a random
polynomial f_i(x) = a_i0 + a_i1·x + … + a_i,t−1·x^(t−1) and a NaCl Box key,
and an Ed25519 signing key, and publishes C_ik = a_ik·G with a Schnorr proof
of knowledge of each a_ik, bound to the ceremony digest H_c, i, its Box public
key, its signing verify key and k.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nacl.exceptions import CryptoError as NaclCryptoError
from nacl.public import Box
from nacl.public import PrivateKey
from nacl.public import PublicKey
from nacl.signing import SigningKey

from crypto._group import P_FIELD
from crypto._group import Point
from crypto._group import RandomBytes
from crypto._group import Scalar
from crypto._group import secure_random
from crypto._transcript import hash_parts
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidProof
from crypto.errors import InvalidShare
from crypto.proofs import SchnorrProof
from crypto.proofs import prove_knowledge
from crypto.proofs import verify_knowledge
from crypto.trustees import _json as tj
from crypto.trustees._signing import SIGNING_SEED_SIZE
from crypto.trustees._signing import VERIFY_KEY_SIZE
from crypto.trustees._signing import check_verify_key

CEREMONY_TAG = b"urna/v1/trustee-ceremony"
COEFFICIENT_TAG = b"urna/v1/trustee-coefficient"
CEREMONY_ID_SIZE = 32
BOX_KEY_SIZE = 32

_CEREMONY_KEYS = frozenset({"ceremony_id", "threshold", "trustees"})
_SECRETS_KEYS = frozenset({"trustee", "index", "box_secret", "signing_seed", "coefficients"})
_COMMITMENT_KEYS = frozenset(
    {"trustee", "index", "box_public", "verify_key", "coefficients", "proofs"}
)


@dataclass(frozen=True, slots=True)
class Ceremony:
    """The public parameters of one key ceremony, fixed before it starts."""

    ceremony_id: bytes
    """32 bytes naming the ceremony (e.g. a hash of the draft vote-day manifest)"""
    threshold: int
    """t in the spec: any t trustees can decrypt, t − 1 learn nothing"""
    trustees: tuple[str, ...]
    """the trustees' names; trustee j (index j, 1-based) is ``trustees[j − 1]``; n = len"""

    def __post_init__(self) -> None:
        if not isinstance(self.ceremony_id, bytes) or len(self.ceremony_id) != CEREMONY_ID_SIZE:
            raise InvalidEncoding(f"a ceremony id is {CEREMONY_ID_SIZE} bytes")
        if not isinstance(self.trustees, tuple) or not 1 <= len(self.trustees) <= tj.MAX_TRUSTEES:
            raise InvalidEncoding(f"a ceremony has 1 to {tj.MAX_TRUSTEES} trustees")
        for name in self.trustees:
            tj.check_name(name)
        if len(set(self.trustees)) != len(self.trustees):
            raise InvalidEncoding("trustee names must be distinct")
        if type(self.threshold) is not int or not 1 <= self.threshold <= len(self.trustees):
            raise InvalidEncoding(f"the threshold is an integer in [1, {len(self.trustees)}]")

    def name_of(self, index: int) -> str:
        """The name of trustee ``index`` (1-based); ValueError if there is none."""
        if type(index) is not int or not 1 <= index <= len(self.trustees):
            raise ValueError(f"no trustee with index {index} in this ceremony")
        return self.trustees[index - 1]

    def index_of(self, name: str) -> int:
        """The 1-based index of trustee ``name``; ValueError if unknown."""
        if name not in self.trustees:
            raise ValueError(f"{name!r} is not a trustee of this ceremony")
        return self.trustees.index(name) + 1

    def digest(self) -> bytes:
        """H_c in the spec: SHA-512 binding the id, t, n and every name in order."""
        names = [name.encode() for name in self.trustees]
        parts = [self.ceremony_id, tj.u32(self.threshold), tj.u32(len(self.trustees)), *names]
        return hash_parts(CEREMONY_TAG, parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "ceremony_id": self.ceremony_id.hex(),
            "threshold": self.threshold,
            "trustees": list(self.trustees),
        }

    @classmethod
    def from_json(cls, value: Any) -> Ceremony:
        """Decode strictly. Raises: InvalidEncoding."""
        obj = tj.fields(value, _CEREMONY_KEYS, "a ceremony")
        names = tj.hex_list(obj["trustees"], "trustees", lo=1, hi=tj.MAX_TRUSTEES)
        return cls(
            ceremony_id=tj.fixed_bytes(obj["ceremony_id"], CEREMONY_ID_SIZE, "ceremony_id"),
            threshold=obj["threshold"],
            trustees=tuple(tj.check_name(name) for name in names),
        )


@dataclass(frozen=True, slots=True)
class TrusteeSecrets:
    """What trustee i keeps on its own machine during the ceremony (secret)."""

    trustee: str
    index: int
    """i in the spec"""
    box_key: PrivateKey
    """the Curve25519 key that receives shares (NaCl ``Box``)"""
    signing_key: SigningKey
    """the Ed25519 key that signs this trustee's complaints, reveals and readiness"""
    coefficients: tuple[Scalar, ...]
    """a_i0 … a_i,t−1 in the spec: the polynomial f_i"""

    def evaluate(self, x: int) -> Scalar:
        """f_i(x), by Horner's rule."""
        return _horner(self.coefficients, x)

    def __repr__(self) -> str:
        return f"TrusteeSecrets(trustee={self.trustee!r}, index={self.index}, <secrets hidden>)"

    def to_json(self) -> dict[str, Any]:
        return {
            "trustee": self.trustee,
            "index": self.index,
            "box_secret": bytes(self.box_key).hex(),
            "signing_seed": bytes(self.signing_key).hex(),
            "coefficients": [a.hex() for a in self.coefficients],
        }

    @classmethod
    def from_json(cls, value: Any) -> TrusteeSecrets:
        """Decode strictly (no zero coefficient). Raises: InvalidEncoding."""
        obj = tj.fields(value, _SECRETS_KEYS, "trustee secrets")
        box_secret = tj.fixed_bytes(obj["box_secret"], BOX_KEY_SIZE, "box_secret")
        return cls(
            trustee=tj.check_name(obj["trustee"]),
            index=tj.check_index(obj["index"]),
            box_key=PrivateKey(box_secret),
            signing_key=SigningKey(
                tj.fixed_bytes(obj["signing_seed"], SIGNING_SEED_SIZE, "signing_seed")
            ),
            coefficients=tj.nonzero_scalars(
                obj["coefficients"], "coefficients", hi=tj.MAX_TRUSTEES
            ),
        )


@dataclass(frozen=True, slots=True)
class TrusteeCommitment:
    """What trustee i publishes in step 2 (public)."""

    trustee: str
    index: int
    """i in the spec"""
    box_public: bytes
    """the Curve25519 public key that receives shares"""
    verify_key: bytes
    """the Ed25519 key that checks this trustee's signed messages (bound by the proofs)"""
    coefficients: tuple[Point, ...]
    """C_i0 … C_i,t−1 in the spec, C_ik = a_ik·G"""
    proofs: tuple[SchnorrProof, ...]
    """a Schnorr proof of knowledge of a_ik for each C_ik"""

    def __post_init__(self) -> None:
        check_box_public(self.box_public)
        check_verify_key(self.verify_key)
        if not self.coefficients or len(self.coefficients) != len(self.proofs):
            raise InvalidEncoding("a commitment has one proof per coefficient, at least one")

    def evaluate(self, x: int) -> Point:
        """Σ_k x^k·C_ik = f_i(x)·G, by Horner's rule."""
        return horner_points(self.coefficients, x)

    def to_json(self) -> dict[str, Any]:
        return {
            "trustee": self.trustee,
            "index": self.index,
            "box_public": self.box_public.hex(),
            "verify_key": self.verify_key.hex(),
            "coefficients": [c.hex() for c in self.coefficients],
            "proofs": [p.to_json() for p in self.proofs],
        }

    @classmethod
    def from_json(cls, value: Any) -> TrusteeCommitment:
        """Decode strictly; every point is validated. Raises: InvalidEncoding."""
        obj = tj.fields(value, _COMMITMENT_KEYS, "a trustee commitment")
        return cls(
            trustee=tj.check_name(obj["trustee"]),
            index=tj.check_index(obj["index"]),
            box_public=tj.fixed_bytes(obj["box_public"], BOX_KEY_SIZE, "box_public"),
            verify_key=tj.fixed_bytes(obj["verify_key"], VERIFY_KEY_SIZE, "verify_key"),
            coefficients=tj.points(obj["coefficients"], "coefficients", hi=tj.MAX_TRUSTEES),
            proofs=tj.schnorr_proofs(obj["proofs"], "proofs", hi=tj.MAX_TRUSTEES),
        )


def check_box_public(data: bytes) -> bytes:
    """Validate a Curve25519 public key: 32 bytes, canonical (u < p, top bit clear),
    not of small order (libsodium refuses a Box with those).

    Raises:
        InvalidEncoding: any of these fails.
    """
    if not isinstance(data, bytes) or len(data) != BOX_KEY_SIZE:
        raise InvalidEncoding(f"a box public key is {BOX_KEY_SIZE} bytes")
    if int.from_bytes(data, "little") >= P_FIELD:
        raise InvalidEncoding("box public key is not canonical: u is not below 2^255 − 19")
    try:
        Box(_PROBE_KEY, PublicKey(data))
    except NaclCryptoError as exc:
        raise InvalidEncoding("box public key is a point of small order") from exc
    return data


def new_trustee(
    ceremony: Ceremony, name: str, *, rng: RandomBytes = secure_random
) -> TrusteeSecrets:
    """Step 1: fresh Box and signing key pairs and a random polynomial of degree t − 1."""
    index = ceremony.index_of(name)
    coefficients = tuple(Scalar.random(rng=rng) for _ in range(ceremony.threshold))
    return TrusteeSecrets(
        trustee=name,
        index=index,
        box_key=PrivateKey(rng(BOX_KEY_SIZE)),
        signing_key=SigningKey(rng(SIGNING_SEED_SIZE)),
        coefficients=coefficients,
    )


def commit(
    ceremony: Ceremony, secrets: TrusteeSecrets, *, rng: RandomBytes = secure_random
) -> TrusteeCommitment:
    """Step 2: C_ik = a_ik·G with a Schnorr proof for each k."""
    check_member(ceremony, secrets.trustee, secrets.index)
    box_public = bytes(secrets.box_key.public_key)
    verify_key = bytes(secrets.signing_key.verify_key)
    points: list[Point] = []
    proofs: list[SchnorrProof] = []
    for k, a in enumerate(secrets.coefficients):
        c = Point.base_times(a)
        context = coefficient_context(ceremony, secrets.index, box_public, verify_key, k)
        points.append(c)
        proofs.append(prove_knowledge(a, c, context=context, rng=rng))
    return TrusteeCommitment(
        trustee=secrets.trustee,
        index=secrets.index,
        box_public=box_public,
        verify_key=verify_key,
        coefficients=tuple(points),
        proofs=tuple(proofs),
    )


def coefficient_context(
    ceremony: Ceremony, index: int, box_public: bytes, verify_key: bytes, k: int
) -> list[bytes]:
    """The context parts of the Schnorr proof for C_ik (docs/trustees.md, step 2).

    The box key and the signing verify key are both covered, so nobody can
    re-use i's proofs under a key of their own.
    """
    return [COEFFICIENT_TAG, ceremony.digest(), tj.u32(index), box_public, verify_key, tj.u32(k)]


def verify_commitment(ceremony: Ceremony, commitment: TrusteeCommitment) -> None:
    """Step 3: check a commitment's roster entry, size and every Schnorr proof.

    Raises:
        InvalidShare: ``trustee`` is the commitment's author.
    """
    who = commitment.trustee
    try:  # (1) the author is trustee #index of this ceremony
        check_member(ceremony, who, commitment.index)
    except ValueError as exc:
        raise InvalidShare(str(exc), trustee=who) from exc
    if len(commitment.coefficients) != ceremony.threshold:  # (2) degree t − 1
        raise InvalidShare(
            f"trustee {who!r} committed to {len(commitment.coefficients)} coefficients, "
            f"expected t = {ceremony.threshold}",
            trustee=who,
        )
    for k, (c, proof) in enumerate(zip(commitment.coefficients, commitment.proofs, strict=True)):
        context = coefficient_context(
            ceremony, commitment.index, commitment.box_public, commitment.verify_key, k
        )
        try:  # (3) a Schnorr proof of knowledge of each a_ik
            verify_knowledge(proof, c, context=context)
        except InvalidProof as exc:
            raise InvalidShare(
                f"trustee {who!r}: proof for coefficient {k} does not verify", trustee=who
            ) from exc


def verify_commitments(ceremony: Ceremony, commitments: Sequence[TrusteeCommitment]) -> None:
    """Check every commitment and that no trustee appears twice (need not be all n).

    Raises:
        InvalidShare: naming the first trustee at fault.
    """
    seen: set[int] = set()
    for commitment in commitments:
        if commitment.index in seen:
            raise InvalidShare(
                f"trustee {commitment.trustee!r} published more than one commitment",
                trustee=commitment.trustee,
            )
        seen.add(commitment.index)
        verify_commitment(ceremony, commitment)


def check_share_value(commitment: TrusteeCommitment, recipient: int, value: Scalar) -> None:
    """f_i(j)·G == Σ_k j^k·C_ik, or InvalidShare naming the sender."""
    if Point.base_times(value) != commitment.evaluate(recipient):
        raise InvalidShare(
            f"the share of trustee {commitment.trustee!r} for trustee #{recipient} "
            "does not match its published commitments",
            trustee=commitment.trustee,
        )


def check_member(ceremony: Ceremony, name: str, index: int) -> None:
    """ValueError unless ``name`` is trustee #``index`` of ``ceremony``."""
    if ceremony.name_of(index) != name:
        raise ValueError(f"{name!r} is not trustee #{index} of this ceremony")


def _horner(coefficients: Sequence[Scalar], x: int) -> Scalar:
    result = Scalar(0)
    xs = Scalar.from_int(x)
    for a in reversed(coefficients):
        result = result * xs + a
    return result


def horner_points(coefficients: Sequence[Point], x: int) -> Point:
    """Σ_k x^k·C_k by Horner's rule."""
    result = Point.identity()
    xs = Scalar.from_int(x)
    for c in reversed(coefficients):
        result = result * xs + c
    return result


_PROBE_KEY = PrivateKey(b"\x01" * BOX_KEY_SIZE)
"""A fixed, public Curve25519 key used only to ask libsodium whether a key is usable."""
