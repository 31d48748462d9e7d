"""The ristretto255 group (RFC 9496), over libsodium through ``rbcl``.

Every libsodium call of the election group lives in this module: swapping
the binding means rewriting this file only (docs/spec.md, "The group").
Points are held in their 32-byte RFC 9496 encoding; scalars as Python
integers in ``[0, L)``. Every canonical ristretto255 encoding is an element
of a group of prime order L, so there is no cofactor and no subgroup check:
:meth:`Point.from_bytes` refuses non-canonical and invalid encodings (RFC 9496
section 4.3.1) and the identity (docs/spec.md, "Points").

PyNaCl stays for Ed25519 signatures, boxes, secret boxes and argon2; its
libsodium does not expose ristretto255, ``rbcl`` bundles one that does.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import rbcl

from crypto.errors import InvalidEncoding


def _remove_rbcl_library_copy() -> None:
    """Delete the copy of libsodium that rbcl writes to a temporary file at import.

    rbcl 1.1.2 writes its bundled libsodium (2.8 MB) to a new temporary file
    in every process that imports it and never deletes it: a server, a
    verifier's worker pool and a test run would fill /tmp. The library is
    loaded (mapped) by then, so on Linux and macOS the file can go; where it
    cannot (Windows), it stays, as rbcl leaves it.
    """
    module = sys.modules.get("rbcl._sodium")
    path = getattr(module, "lib_path", None)
    if isinstance(path, str) and os.path.basename(path).startswith("tmp"):
        with contextlib.suppress(OSError):
            os.unlink(path)


_remove_rbcl_library_copy()

_LIBSODIUM = sys.modules["rbcl._sodium"]._sodium
"""The libsodium rbcl loaded: its addition's return code is checked here (rbcl drops it)."""


_ADD = _LIBSODIUM.crypto_core_ristretto255_add
_SUB = _LIBSODIUM.crypto_core_ristretto255_sub
# The multiplications and the point check are called directly too: rbcl's
# wrappers add about 2 µs of Python to each call, and a ballot's proofs make
# about 150 of them (docs/performance.md, "Casting").
_SCALARMULT = _LIBSODIUM.crypto_scalarmult_ristretto255
_SCALARMULT_BASE = _LIBSODIUM.crypto_scalarmult_ristretto255_base
_IS_VALID_POINT = _LIBSODIUM.crypto_core_ristretto255_is_valid_point


def _add_or_sub(function: Callable[..., int], p: bytes, q: bytes) -> bytes:
    """``p + q`` or ``p − q``; refuses what libsodium cannot decode.

    rbcl's own wrappers ignore libsodium's return code, and libsodium leaves
    the result untouched (32 zero bytes: the identity) when an operand is not
    a ristretto255 encoding. Points from outside are validated before any
    arithmetic; this guards the callers that add logged points without
    re-validating them (the tally), for whom a corrupted point must be an
    error, not a silent identity.
    """
    out = ctypes.create_string_buffer(POINT_SIZE)
    if function(out, p, q) != 0:
        raise InvalidEncoding("not a valid group element: libsodium refused to add it")
    return out.raw


def _times(n: int, p: bytes) -> bytes:
    """``n·P`` for ``0 <= n < L`` and P an encoding (the identity when n = 0 or P is it).

    libsodium refuses a product that is the identity; in a group of prime
    order that happens only for n = 0 or the identity itself, handled here.
    Any other refusal means that P is not a ristretto255 encoding.
    """
    if n == 0 or p == _IDENTITY_BYTES:
        return _IDENTITY_BYTES
    out = ctypes.create_string_buffer(POINT_SIZE)
    if _SCALARMULT(out, n.to_bytes(SCALAR_SIZE, "little"), p) != 0:
        raise InvalidEncoding("not a valid group element: libsodium refused to multiply it")
    return out.raw


def _base_times(n: int) -> bytes:
    """``n·G`` for ``0 <= n < L`` (constant time in n; the identity for n = 0)."""
    if n == 0:
        return _IDENTITY_BYTES
    out = ctypes.create_string_buffer(POINT_SIZE)
    _SCALARMULT_BASE(out, n.to_bytes(SCALAR_SIZE, "little"))  # refuses only n = 0
    return out.raw


def combine(s: Scalar, base: Point | None, c: Scalar, point: Point) -> Point:
    """``s·B − c·P`` with B the generator G when ``base`` is None.

    The verification equation of every proof here (a commitment recomputed
    from a challenge c and a response s); the same value as
    ``base * s - point * c``, computed on the encodings without the
    intermediate :class:`Point` objects.
    """
    first = _base_times(s.value) if base is None else _times(s.value, base.encoded)
    return Point(_add_or_sub(_SUB, first, _times(c.value, point.encoded)))


L = 2**252 + 27742317777372353535851937790883648493
"""The order of the group (``ℓ`` in RFC 9496, ``L`` in RFC 8032)."""

P_FIELD = 2**255 - 19
"""The field prime ``p`` (also used to check Curve25519 box keys)."""

POINT_SIZE = 32
SCALAR_SIZE = 32
HASH_INPUT_SIZE = 64
"""Bytes taken by the one-way map of RFC 9496 section 4.3.4."""

_IDENTITY_BYTES = bytes(POINT_SIZE)
"""The identity's ristretto255 encoding: 32 zero bytes."""

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
    """A ristretto255 group element, held in its canonical 32-byte encoding."""

    encoded: bytes

    @classmethod
    def from_bytes(cls, data: bytes) -> Point:
        """Decode and validate a point received from outside.

        Refuses: a length other than 32; every encoding RFC 9496 section
        4.3.1 refuses (a field element not below p — including any with the
        top bit set, which libsodium 1.0.18 alone would accept —, a negative
        s, a non-square, a negative t or y = 0; the spec's Appendix A.2
        lists each kind); and the identity, which no ballot, key or share
        ever carries. Any other 32 bytes decode to exactly one element of
        the prime-order group, so there is nothing more to check.

        Raises:
            InvalidEncoding: the bytes are not a valid group element.
        """
        if not isinstance(data, bytes) or len(data) != POINT_SIZE:
            raise InvalidEncoding(f"a point is {POINT_SIZE} bytes, got {_describe_len(data)}")
        if data == _IDENTITY_BYTES:
            raise InvalidEncoding("not a valid group element: the identity is refused")
        # libsodium 1.0.18 (the one rbcl bundles) ignores the top bit of the
        # last byte, so s and s + 2^255 would both decode to one element: a
        # second encoding of every point. RFC 9496 refuses it (s < p).
        if data[31] & 0x80 or _IS_VALID_POINT(data) != 1:
            raise InvalidEncoding(
                "not a valid group element: not a canonical ristretto255 encoding (RFC 9496 4.3.1)"
            )
        return cls(data)

    @classmethod
    def from_hex(cls, text: str) -> Point:
        """Decode 64 lowercase hex digits (see :meth:`from_bytes`)."""
        return cls.from_bytes(_unhex(text, POINT_SIZE, "point"))

    @classmethod
    def from_uniform_bytes(cls, data: bytes) -> Point:
        """The element derived from 64 uniformly random bytes (RFC 9496 4.3.4).

        A hash-to-group: for ``data = SHA-512(msg)`` the result's discrete log
        to any base is unknown. Urna derives no generator this way today; the
        function is here, with the RFC's vectors on both sides, for protocols
        that need a second, independent generator.
        """
        if not isinstance(data, bytes) or len(data) != HASH_INPUT_SIZE:
            raise InvalidEncoding(
                f"the one-way map takes {HASH_INPUT_SIZE} bytes, got {_describe_len(data)}"
            )
        return cls(rbcl.crypto_core_ristretto255_from_hash(data))

    @classmethod
    def identity(cls) -> Point:
        return cls(_IDENTITY_BYTES)

    @classmethod
    def base_times(cls, s: Scalar) -> Point:
        """``s·G`` for the standard base point G (constant time in s)."""
        return cls(_base_times(s.value))

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
        return Point(_add_or_sub(_ADD, self.encoded, other.encoded))

    def __sub__(self, other: Point) -> Point:
        return Point(_add_or_sub(_SUB, self.encoded, other.encoded))

    def __neg__(self) -> Point:
        return Point(_add_or_sub(_SUB, _IDENTITY_BYTES, self.encoded))

    def __mul__(self, s: Scalar) -> Point:
        return Point(_times(s.value, self.encoded))

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"Point({self.encoded.hex()[:16]}…)"


G = Point(_base_times(1))
"""The ristretto255 generator (RFC 9496 section 4.4), e2f2ae0a…2d76."""


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
