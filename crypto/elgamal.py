"""Exponential ElGamal over ristretto255 (RFC 9496), the election group.

DESIGN.md section 3: secret x, public h = x·G; Enc(m; r) = (r·G, m·G + r·h).
Ciphertexts add component-wise, so the sum of encryptions is the encryption of
the sum. A total is recovered from m·G by baby-step giant-step bounded by the
number of ballots (:func:`discrete_log`).

Byte encodings: docs/spec.md, "Ciphertexts".
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from crypto._group import G
from crypto._group import Point
from crypto._group import RandomBytes
from crypto._group import Scalar
from crypto._group import secure_random
from crypto.errors import DecryptionError
from crypto.errors import InvalidEncoding

__all__ = [
    "Ciphertext",
    "KeyPair",
    "decrypt",
    "discrete_log",
    "encrypt",
    "encrypt_with_nonce",
    "generate_keypair",
    "sum_ciphertexts",
]

MAX_DISCRETE_LOG = 2**40
"""The largest total :func:`discrete_log` accepts (about 10^12 ballots)."""


@dataclass(frozen=True, slots=True)
class KeyPair:
    """An ElGamal key pair."""

    secret: Scalar
    """x in the spec"""
    public: Point
    """h = x·G in the spec"""


def generate_keypair(*, rng: RandomBytes = secure_random) -> KeyPair:
    """A fresh key pair with a uniformly random non-zero secret."""
    x = Scalar.random(rng=rng)
    return KeyPair(secret=x, public=Point.base_times(x))


@dataclass(frozen=True, slots=True)
class Ciphertext:
    """An exponential ElGamal ciphertext (α, β)."""

    pad: Point
    """α = r·G in the spec"""
    data: Point
    """β = m·G + r·h in the spec"""

    def __add__(self, other: Ciphertext) -> Ciphertext:
        return Ciphertext(pad=self.pad + other.pad, data=self.data + other.data)

    def to_bytes(self) -> bytes:
        """α ‖ β, 64 bytes."""
        return self.pad.to_bytes() + self.data.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Ciphertext:
        """Decode and validate 64 bytes (both points are checked).

        Raises:
            InvalidEncoding: wrong length or an invalid point.
        """
        if not isinstance(data, bytes) or len(data) != 64:
            raise InvalidEncoding("a ciphertext is 64 bytes (two points)")
        return cls(pad=Point.from_bytes(data[:32]), data=Point.from_bytes(data[32:]))

    def to_json(self) -> dict[str, str]:
        return {"pad": self.pad.hex(), "data": self.data.hex()}

    @classmethod
    def from_json(cls, value: Any) -> Ciphertext:
        """Decode ``{"pad": hex, "data": hex}`` strictly (no other keys).

        Raises:
            InvalidEncoding: wrong shape or an invalid point.
        """
        if not isinstance(value, dict) or set(value) != {"pad", "data"}:
            raise InvalidEncoding('a ciphertext is an object with exactly "pad" and "data"')
        return cls(pad=Point.from_hex(value["pad"]), data=Point.from_hex(value["data"]))


def encrypt_with_nonce(m: int, public: Point, nonce: Scalar) -> Ciphertext:
    """Enc(m; r) with a given nonce r (used by provers and Benaloh audits)."""
    if m < 0:
        raise ValueError("only non-negative integers are encrypted")
    return Ciphertext(
        pad=Point.base_times(nonce),
        data=Point.small_multiple(m) + public * nonce,
    )


def encrypt(
    m: int, public: Point, *, rng: RandomBytes = secure_random
) -> tuple[Ciphertext, Scalar]:
    """Encrypt m under ``public``; return the ciphertext and its nonce r."""
    nonce = Scalar.random(rng=rng)
    return encrypt_with_nonce(m, public, nonce), nonce


def sum_ciphertexts(ciphertexts: Iterable[Ciphertext]) -> Ciphertext:
    """The homomorphic sum; the empty sum is the trivial encryption of 0."""
    total: Ciphertext | None = None
    for ct in ciphertexts:  # from the first term: no additions of the identity
        total = ct if total is None else total + ct
    return total or Ciphertext(pad=Point.identity(), data=Point.identity())


def decrypt(ct: Ciphertext, secret: Scalar, *, bound: int) -> int:
    """Decrypt a total known to lie in ``[0, bound]`` with the whole secret.

    Production decryption is done by trustees (:mod:`crypto.trustees`); this
    is the single-key form used by tests and audits.

    Raises:
        DecryptionError: the plaintext is not in ``[0, bound]``.
    """
    return discrete_log(ct.data - ct.pad * secret, bound=bound)


def discrete_log(target: Point, *, bound: int) -> int:
    """Find m in ``[0, bound]`` with m·G = target, by baby-step giant-step.

    The baby-step table holds ``s = 2^ceil(log2(sqrt(bound + 1)))`` points
    (at least 64) and is built once per size and reused: for a bound of 10^8
    ballots s = 16,384 entries, about 2.5 MB; for 10^10, 131,072 entries,
    about 20 MB. A search costs at most s point subtractions.

    Raises:
        DecryptionError: no such m (a wrong decryption or an exceeded bound).
    """
    if not 0 <= bound <= MAX_DISCRETE_LOG:
        raise ValueError(f"bound must be in [0, {MAX_DISCRETE_LOG}], got {bound}")
    step = max(64, 1 << math.ceil(math.log2(math.isqrt(bound) + 1)))
    table = _baby_steps(step)
    giant = Point.base_times(Scalar.from_int(step))
    current = target
    for i in range(bound // step + 1):
        j = table.get(current.encoded)
        if j is not None and i * step + j <= bound:
            return i * step + j
        current = current - giant
    raise DecryptionError(f"the decrypted value is not an integer in [0, {bound}]")


@lru_cache(maxsize=8)
def _baby_steps(step: int) -> dict[bytes, int]:
    table: dict[bytes, int] = {}
    point = Point.identity()
    for j in range(step):
        table[point.encoded] = j
        point = point + G
    return table
