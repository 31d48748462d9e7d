"""The prime-order subgroup of edwards25519 (RFC 8032), over libsodium.

Every libsodium call of the package lives in this module. Points are held in
their 32-byte RFC 8032 compressed encoding; scalars as Python integers in
``[0, L)``. Points that come from outside go through :meth:`Point.from_bytes`,
which refuses anything that is not a canonical encoding of a non-identity
element of the prime-order subgroup (docs/spec.md, "Points").
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import nacl.bindings as sodium

from crypto.errors import InvalidEncoding

L = 2**252 + 27742317777372353535851937790883648493
"""The order of the prime-order subgroup (``L`` in RFC 8032)."""

P_FIELD = 2**255 - 19
"""The field prime (``p`` in RFC 8032)."""

POINT_SIZE = 32
SCALAR_SIZE = 32

_IDENTITY_BYTES = b"\x01" + b"\x00" * 31

RandomBytes = Callable[[int], bytes]
"""A source of uniformly random bytes: ``rng(n)`` returns ``n`` bytes."""


def secure_random(n: int) -> bytes:
    """Return ``n`` bytes from the operating system's CSPRNG."""
    return secrets.token_bytes(n)


@dataclass(frozen=True, slots=True)
class Scalar:
    """An integer modulo L."""

    value: int

    @classmethod
    def from_int(cls, n: int) -> Scalar:
        """Reduce any integer modulo L."""
        return cls(n % L)

    @classmethod
    def from_bytes(cls, data: bytes) -> Scalar:
        """Decode 32 little-endian bytes; refuse non-canonical values (>= L).

        Raises:
            InvalidEncoding: wrong length or a value not below L.
        """
        if not isinstance(data, bytes) or len(data) != SCALAR_SIZE:
            raise InvalidEncoding(f"a scalar is {SCALAR_SIZE} bytes, got {_describe_len(data)}")
        n = int.from_bytes(data, "little")
        if n >= L:
            raise InvalidEncoding("scalar is not canonical: not below the group order L")
        return cls(n)

    @classmethod
    def from_hex(cls, text: str) -> Scalar:
        """Decode 64 lowercase hex digits (see :meth:`from_bytes`)."""
        return cls.from_bytes(_unhex(text, SCALAR_SIZE, "scalar"))

    @classmethod
    def from_uniform_bytes(cls, data: bytes) -> Scalar:
        """Reduce 64 uniformly random bytes modulo L (negligible bias)."""
        if len(data) != 64:
            raise InvalidEncoding(f"wide reduction takes 64 bytes, got {len(data)}")
        return cls(int.from_bytes(data, "little") % L)

    @classmethod
    def random(cls, *, rng: RandomBytes = secure_random) -> Scalar:
        """A uniformly random non-zero scalar."""
        while True:
            s = cls.from_uniform_bytes(rng(64))
            if s.value:
                return s

    def to_bytes(self) -> bytes:
        return self.value.to_bytes(SCALAR_SIZE, "little")

    def hex(self) -> str:
        return self.to_bytes().hex()

    def __add__(self, other: Scalar) -> Scalar:
        return Scalar((self.value + other.value) % L)

    def __sub__(self, other: Scalar) -> Scalar:
        return Scalar((self.value - other.value) % L)

    def __mul__(self, other: Scalar) -> Scalar:
        return Scalar((self.value * other.value) % L)

    def __neg__(self) -> Scalar:
        return Scalar(-self.value % L)

    def inverse(self) -> Scalar:
        """The multiplicative inverse; refuses zero."""
        if self.value == 0:
            raise ZeroDivisionError("zero has no inverse modulo L")
        return Scalar(pow(self.value, -1, L))

    def __repr__(self) -> str:
        # Scalars are often secrets: never show the value.
        return "Scalar(<hidden>)"


@dataclass(frozen=True, slots=True)
class Point:
    """An element of the prime-order subgroup, in RFC 8032 compressed form."""

    encoded: bytes

    @classmethod
    def from_bytes(cls, data: bytes) -> Point:
        """Decode and validate a point received from outside.

        Refuses: a length other than 32; a non-canonical encoding (y >= p,
        checked here before libsodium sees the bytes); a point not on the
        curve; the identity and every other small-order point; a point with a
        torsion component (not in the prime-order subgroup). libsodium's
        subgroup check let points with an order-2 component through before
        CVE-2025-69277 was fixed; PyNaCl >= 1.6.2 bundles the fixed library
        and tests/crypto/test_group.py fails on any build that accepts a valid
        point plus any of the seven non-trivial torsion points.

        Raises:
            InvalidEncoding: the bytes are not a valid group element.
        """
        if not isinstance(data, bytes) or len(data) != POINT_SIZE:
            raise InvalidEncoding(f"a point is {POINT_SIZE} bytes, got {_describe_len(data)}")
        y = int.from_bytes(data, "little") & ((1 << 255) - 1)
        if y >= P_FIELD:
            raise InvalidEncoding("point encoding is not canonical: y is not below the field prime")
        if not sodium.crypto_core_ed25519_is_valid_point(data):
            raise InvalidEncoding(
                "not a valid group element: off the curve, of small order, "
                "or outside the prime-order subgroup"
            )
        return cls(data)

    @classmethod
    def from_hex(cls, text: str) -> Point:
        """Decode 64 lowercase hex digits (see :meth:`from_bytes`)."""
        return cls.from_bytes(_unhex(text, POINT_SIZE, "point"))

    @classmethod
    def identity(cls) -> Point:
        return cls(_IDENTITY_BYTES)

    @classmethod
    def base_times(cls, s: Scalar) -> Point:
        """``s·G`` for the standard base point G."""
        if s.value == 0:
            return cls(_IDENTITY_BYTES)
        return cls(sodium.crypto_scalarmult_ed25519_base_noclamp(s.to_bytes()))

    @classmethod
    def small_multiple(cls, m: int) -> Point:
        """``m·G`` for a small non-negative integer m (cached)."""
        return _small_multiple(m)

    def is_identity(self) -> bool:
        return self.encoded == _IDENTITY_BYTES

    def to_bytes(self) -> bytes:
        return self.encoded

    def hex(self) -> str:
        return self.encoded.hex()

    def __add__(self, other: Point) -> Point:
        return Point(sodium.crypto_core_ed25519_add(self.encoded, other.encoded))

    def __sub__(self, other: Point) -> Point:
        return Point(sodium.crypto_core_ed25519_sub(self.encoded, other.encoded))

    def __neg__(self) -> Point:
        return Point(sodium.crypto_core_ed25519_sub(_IDENTITY_BYTES, self.encoded))

    def __mul__(self, s: Scalar) -> Point:
        if s.value == 0 or self.encoded == _IDENTITY_BYTES:
            return Point(_IDENTITY_BYTES)
        return Point(sodium.crypto_scalarmult_ed25519_noclamp(s.to_bytes(), self.encoded))

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"Point({self.encoded.hex()[:16]}…)"


G = Point(sodium.crypto_scalarmult_ed25519_base_noclamp((1).to_bytes(SCALAR_SIZE, "little")))
"""The standard Ed25519 base point."""


@lru_cache(maxsize=256)
def _small_multiple(m: int) -> Point:
    if m < 0:
        raise ValueError("small_multiple takes a non-negative integer")
    return Point.base_times(Scalar.from_int(m))


def _describe_len(data: object) -> str:
    if isinstance(data, bytes | bytearray):
        return f"{len(data)} bytes"
    return type(data).__name__


def _unhex(text: str, size: int, what: str) -> bytes:
    if not isinstance(text, str):
        raise InvalidEncoding(f"a {what} is a hex string, got {type(text).__name__}")
    if len(text) != 2 * size:
        raise InvalidEncoding(f"a {what} is {2 * size} hex digits, got {len(text)}")
    if text != text.lower():
        raise InvalidEncoding(f"{what} hex must be lowercase")
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise InvalidEncoding(f"{what} is not hexadecimal") from exc
