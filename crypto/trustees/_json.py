"""Strict JSON field decoders shared by the trustee modules (docs/trustees.md, "JSON").

Every decoder raises :class:`~crypto.errors.InvalidEncoding` with a message
naming the field; none of them ever echoes a secret value.
"""

from __future__ import annotations

from typing import Any

from crypto._group import Point
from crypto._group import Scalar
from crypto.encoding import unhex
from crypto.errors import InvalidEncoding
from crypto.proofs import ChaumPedersenProof
from crypto.proofs import SchnorrProof

MAX_TRUSTEES = 64
"""n is at most this (a ceremony is a handful of people; this bounds every list)."""

MAX_NAME_LENGTH = 64


def u32(n: int) -> bytes:
    """The 4-byte big-endian encoding used for indices and counts in transcripts."""
    return n.to_bytes(4, "big")


def check_name(value: Any) -> str:
    """A trustee name: 1 to 64 printable characters, no surrounding spaces."""
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_NAME_LENGTH:
        raise InvalidEncoding(f"a trustee name is a string of 1 to {MAX_NAME_LENGTH} characters")
    if not value.isprintable() or value != value.strip():
        raise InvalidEncoding("a trustee name is printable and has no surrounding spaces")
    return value


def check_index(value: Any, what: str = "index") -> int:
    """A trustee index: an integer (not a bool) in [1, MAX_TRUSTEES]."""
    if type(value) is not int or not 1 <= value <= MAX_TRUSTEES:
        raise InvalidEncoding(f"{what} is an integer in [1, {MAX_TRUSTEES}]")
    return value


def fields(value: Any, keys: frozenset[str], what: str) -> dict[str, Any]:
    """``value`` as a dict with exactly ``keys``."""
    if not isinstance(value, dict) or set(value) != keys:
        raise InvalidEncoding(f"{what} is an object with exactly the keys {sorted(keys)}")
    return value


def hex_list(value: Any, what: str, *, lo: int, hi: int) -> list[Any]:
    """A JSON list of ``lo`` to ``hi`` items."""
    if not isinstance(value, list) or not lo <= len(value) <= hi:
        raise InvalidEncoding(f"{what} is a list of {lo} to {hi} items")
    return value


def points(value: Any, what: str, *, hi: int) -> tuple[Point, ...]:
    return tuple(Point.from_hex(item) for item in hex_list(value, what, lo=1, hi=hi))


def nonzero_scalars(value: Any, what: str, *, hi: int) -> tuple[Scalar, ...]:
    scalars = tuple(Scalar.from_hex(item) for item in hex_list(value, what, lo=1, hi=hi))
    if any(s.value == 0 for s in scalars):
        raise InvalidEncoding(f"{what}: a coefficient of zero is not allowed")
    return scalars


def schnorr_proofs(value: Any, what: str, *, hi: int) -> tuple[SchnorrProof, ...]:
    return tuple(SchnorrProof.from_json(item) for item in hex_list(value, what, lo=1, hi=hi))


def chaum_pedersen_proofs(value: Any, what: str, *, hi: int) -> tuple[ChaumPedersenProof, ...]:
    items = hex_list(value, what, lo=1, hi=hi)
    return tuple(ChaumPedersenProof.from_json(item) for item in items)


def share_point(value: Any) -> Point:
    """A decryption share D_j: a validated point, or the identity (when α is)."""
    if value == Point.identity().hex():
        return Point.identity()
    return Point.from_hex(value)


def fixed_bytes(value: Any, size: int, what: str) -> bytes:
    return unhex(value, size, what=what)
