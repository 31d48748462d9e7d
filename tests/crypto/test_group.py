"""Strict decoding of points and scalars (DESIGN.md section 2)."""

from __future__ import annotations

import nacl.bindings as sodium
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.errors import InvalidEncoding
from crypto.group import G
from crypto.group import L
from crypto.group import Point
from crypto.group import Scalar
from tests.crypto.torsion import TORSION_POINTS

P_FIELD = 2**255 - 19
IDENTITY = b"\x01" + b"\x00" * 31


@pytest.fixture(scope="module")
def valid_point() -> Point:
    return Point.base_times(Scalar.from_int(123456789))


@pytest.mark.parametrize("name", sorted(TORSION_POINTS))
def test_torsion_point_is_small_order(name: str) -> None:
    t = bytes.fromhex(TORSION_POINTS[name])
    total = t
    for _ in range(7):
        total = sodium.crypto_core_ed25519_add(total, t)
    assert total == IDENTITY
    assert t != IDENTITY


@pytest.mark.parametrize("name", sorted(TORSION_POINTS))
def test_torsion_point_itself_refused(name: str) -> None:
    with pytest.raises(InvalidEncoding):
        Point.from_hex(TORSION_POINTS[name])


@pytest.mark.parametrize("name", sorted(TORSION_POINTS))
def test_valid_point_plus_torsion_refused(valid_point: Point, name: str) -> None:
    t = bytes.fromhex(TORSION_POINTS[name])
    mixed = sodium.crypto_core_ed25519_add(valid_point.encoded, t)
    assert mixed != valid_point.encoded
    with pytest.raises(InvalidEncoding, match="subgroup"):
        Point.from_bytes(mixed)


def test_identity_refused() -> None:
    with pytest.raises(InvalidEncoding):
        Point.from_bytes(IDENTITY)


@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_wrong_length_refused(length: int) -> None:
    with pytest.raises(InvalidEncoding, match="32 bytes"):
        Point.from_bytes(b"\x05" * length)


def test_non_canonical_y_refused() -> None:
    # y = p + 1 encodes the same y as 1 (the identity) but is not canonical;
    # y = p + 9 aliases y = 9, which is the y of a valid curve point family.
    for y in (P_FIELD + 1, P_FIELD + 9, 2**255 - 1):
        with pytest.raises(InvalidEncoding, match="canonical"):
            Point.from_bytes(y.to_bytes(32, "little"))


def test_off_curve_refused(valid_point: Point) -> None:
    # Find a y whose x^2 is not a square: such an encoding is not on the curve.
    for y in range(2, 50):
        data = y.to_bytes(32, "little")
        if not sodium.crypto_core_ed25519_is_valid_point(data):
            try:
                sodium.crypto_core_ed25519_add(data, valid_point.encoded)
            except Exception:
                with pytest.raises(InvalidEncoding):
                    Point.from_bytes(data)
                return
    pytest.fail("no off-curve encoding found among small y")


def test_hex_must_be_lowercase(valid_point: Point) -> None:
    assert Point.from_hex(valid_point.hex()) == valid_point
    with pytest.raises(InvalidEncoding, match="lowercase"):
        Point.from_hex(valid_point.hex().upper())
    with pytest.raises(InvalidEncoding):
        Point.from_hex("zz" * 32)


def test_scalar_canonical() -> None:
    assert Scalar.from_bytes((L - 1).to_bytes(32, "little")).value == L - 1
    for bad in (L, L + 1, 2**256 - 1):
        with pytest.raises(InvalidEncoding, match="canonical"):
            Scalar.from_bytes(bad.to_bytes(32, "little"))
    with pytest.raises(InvalidEncoding, match="32 bytes"):
        Scalar.from_bytes(b"\x01" * 31)


def test_scalar_repr_hides_value() -> None:
    assert "12345" not in repr(Scalar.from_int(12345))


@given(st.integers(min_value=1, max_value=L - 1), st.integers(min_value=1, max_value=L - 1))
def test_group_laws(a: int, b: int) -> None:
    sa, sb = Scalar.from_int(a), Scalar.from_int(b)
    assert Point.base_times(sa) + Point.base_times(sb) == Point.base_times(sa + sb)
    assert Point.base_times(sa) * sb == Point.base_times(sa * sb)
    assert Point.from_bytes(Point.base_times(sa).encoded) == Point.base_times(sa)


@given(st.integers(min_value=0, max_value=L - 1))
def test_scalar_round_trip(n: int) -> None:
    s = Scalar.from_int(n)
    assert Scalar.from_bytes(s.to_bytes()) == s
    assert Scalar.from_hex(s.hex()) == s


def test_zero_and_identity_arithmetic() -> None:
    assert Point.base_times(Scalar(0)).is_identity()
    assert (G * Scalar(0)).is_identity()
    assert (Point.identity() * Scalar.from_int(5)).is_identity()
    assert G - G == Point.identity()
    assert -G + G == Point.identity()
