"""Trustee key ceremony: the joint election key and each trustee's key share.

docs/trustees.md, steps 6 and 7. From the qualified trustees' commitments
anyone computes h = Σ_i C_i0 and X_j = Σ_i Σ_k j^k·C_ik; trustee j adds the
shares it received into x_j = Σ_i f_i(j), so that x_j·G = X_j.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nacl.signing import SigningKey

from crypto._group import Point
from crypto._group import Scalar
from crypto.errors import InvalidEncoding
from crypto.trustees import _json as tj
from crypto.trustees._dkg import Ceremony
from crypto.trustees._dkg import TrusteeCommitment
from crypto.trustees._dkg import TrusteeSecrets
from crypto.trustees._dkg import check_share_value
from crypto.trustees._dkg import horner_points
from crypto.trustees._dkg import verify_commitments
from crypto.trustees._signing import SIGNING_SEED_SIZE


@dataclass(frozen=True, slots=True)
class ThresholdKey:
    """The public result of the ceremony: what encrypts and what checks decryptions."""

    threshold: int
    """t in the spec"""
    public_key: Point
    """h = Σ_i C_i0 in the spec: the election key ballots are encrypted under"""
    trustees: tuple[str, ...]
    """the trustees' names in index order"""
    verification_keys: tuple[Point, ...]
    """X_1 … X_n in the spec, X_j = x_j·G = Σ_i Σ_k j^k·C_ik"""

    def __post_init__(self) -> None:
        if len(self.trustees) != len(self.verification_keys) or not self.trustees:
            raise InvalidEncoding("a threshold key has one verification key per trustee")
        if type(self.threshold) is not int or not 1 <= self.threshold <= len(self.trustees):
            raise InvalidEncoding(f"the threshold is an integer in [1, {len(self.trustees)}]")
        if len(set(self.trustees)) != len(self.trustees):
            raise InvalidEncoding("trustee names must be distinct")

    def verification_key(self, index: int) -> Point:
        """X_index; ValueError for an index outside 1..n."""
        if type(index) is not int or not 1 <= index <= len(self.trustees):
            raise ValueError(f"no trustee with index {index}")
        return self.verification_keys[index - 1]

    def to_json(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "public_key": self.public_key.hex(),
            "trustees": [
                {"trustee": name, "verification_key": key.hex()}
                for name, key in zip(self.trustees, self.verification_keys, strict=True)
            ],
        }

    @classmethod
    def from_json(cls, value: Any) -> ThresholdKey:
        """Decode strictly; every point is validated. Raises: InvalidEncoding."""
        obj = tj.fields(value, frozenset({"threshold", "public_key", "trustees"}), "a key")
        entries = tj.hex_list(obj["trustees"], "trustees", lo=1, hi=tj.MAX_TRUSTEES)
        pairs = [
            tj.fields(e, frozenset({"trustee", "verification_key"}), "a trustee entry")
            for e in entries
        ]
        return cls(
            threshold=obj["threshold"],
            public_key=Point.from_hex(obj["public_key"]),
            trustees=tuple(tj.check_name(p["trustee"]) for p in pairs),
            verification_keys=tuple(Point.from_hex(p["verification_key"]) for p in pairs),
        )


@dataclass(frozen=True, slots=True)
class KeyShare:
    """Trustee j's share of the election secret (secret; kept by the trustee)."""

    trustee: str
    index: int
    """j in the spec"""
    secret: Scalar
    """x_j = Σ_i f_i(j) in the spec"""
    signing_key: SigningKey
    """trustee j's ceremony signing key: it signs j's decryption shares"""

    def __repr__(self) -> str:
        return f"KeyShare(trustee={self.trustee!r}, index={self.index}, <secret hidden>)"

    def to_json(self) -> dict[str, Any]:
        return {
            "trustee": self.trustee,
            "index": self.index,
            "secret": self.secret.hex(),
            "signing_seed": bytes(self.signing_key).hex(),
        }

    @classmethod
    def from_json(cls, value: Any) -> KeyShare:
        """Decode strictly. Raises: InvalidEncoding."""
        keys = frozenset({"trustee", "index", "secret", "signing_seed"})
        obj = tj.fields(value, keys, "a key share")
        return cls(
            trustee=tj.check_name(obj["trustee"]),
            index=tj.check_index(obj["index"]),
            secret=Scalar.from_hex(obj["secret"]),
            signing_key=SigningKey(
                tj.fixed_bytes(obj["signing_seed"], SIGNING_SEED_SIZE, "signing_seed")
            ),
        )


def derive_threshold_key(
    ceremony: Ceremony, commitments: Sequence[TrusteeCommitment]
) -> ThresholdKey:
    """Step 6: h and X_1 … X_n from the qualified trustees' commitments (anyone can).

    Raises:
        InvalidShare: a commitment is invalid (see :func:`verify_commitments`).
        ValueError: no commitments.
    """
    if not commitments:
        raise ValueError("the election key needs at least one qualified trustee")
    verify_commitments(ceremony, commitments)
    # (1) A_k = Σ_i C_ik, summed over the qualified trustees
    sums = [_sum_points(c.coefficients[k] for c in commitments) for k in range(ceremony.threshold)]
    # (2) h = A_0 and X_j = Σ_k j^k·A_k
    keys = tuple(horner_points(sums, j) for j in range(1, len(ceremony.trustees) + 1))
    return ThresholdKey(
        threshold=ceremony.threshold,
        public_key=sums[0],
        trustees=ceremony.trustees,
        verification_keys=keys,
    )


def derive_key_share(
    ceremony: Ceremony,
    secrets: TrusteeSecrets,
    commitments: Sequence[TrusteeCommitment],
    received: Mapping[int, Scalar],
) -> KeyShare:
    """Step 7: x_j = Σ_i f_i(j) over the qualified trustees' commitments.

    ``received`` maps each other qualified trustee's index to the share it
    sent (or revealed in answer to a complaint); entries of trustees not in
    ``commitments`` (disqualified) are ignored. Every value is checked again.

    Raises:
        InvalidShare: a received value does not match its sender's commitment.
        ValueError: a qualified trustee's share is missing.
    """
    verify_commitments(ceremony, commitments)
    total = Scalar(0)
    for commitment in commitments:
        if commitment.index == secrets.index:
            value = secrets.evaluate(secrets.index)
        elif commitment.index in received:
            value = received[commitment.index]
        else:
            raise ValueError(f"no share from qualified trustee {commitment.trustee!r}")
        check_share_value(commitment, secrets.index, value)
        total = total + value
    return KeyShare(
        trustee=secrets.trustee,
        index=secrets.index,
        secret=total,
        signing_key=secrets.signing_key,
    )


def _sum_points(points: Iterable[Point]) -> Point:
    total = Point.identity()
    for p in points:
        total = total + p
    return total
