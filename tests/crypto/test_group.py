"""The election group is ristretto255 (RFC 9496): strict decoding and the group law.

docs/spec.md, "The group" and "Points". The RFC's own vectors (Appendix A)
are in tests/vectors/rfc9496.json and checked by tests/crypto/test_rfc9496.py
here and tests/js/group.test.mjs in the browser code.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.errors import InvalidEncoding
from crypto.group import G
from crypto.group import L
from crypto.group import Point
from crypto.group import Scalar
from tests.crypto.invalid_points import INVALID_ENCODINGS
from tests.crypto.torsion import TORSION_POINTS

P_FIELD = 2**255 - 19
IDENTITY = bytes(32)


@pytest.fixture(scope="module")
def valid_point() -> Point:
    return Point.base_times(Scalar.from_int(123456789))


def test_generator_is_the_rfc_generator() -> None:
    assert G.hex() == "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76"
    assert Point.identity().encoded == IDENTITY


@pytest.mark.parametrize(("reason", "encoding"), INVALID_ENCODINGS)
def test_rfc9496_invalid_encodings_refused(reason: str, encoding: str) -> None:
    with pytest.raises(InvalidEncoding, match="not a canonical ristretto255 encoding"):
        Point.from_hex(encoding)


def test_identity_refused() -> None:
    with pytest.raises(InvalidEncoding, match="identity"):
        Point.from_bytes(IDENTITY)
    with pytest.raises(InvalidEncoding, match="identity"):
        Point.from_hex(Point.identity().hex())


@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_wrong_length_refused(length: int) -> None:
    with pytest.raises(InvalidEncoding, match="32 bytes"):
        Point.from_bytes(b"\x05" * length)


def test_non_canonical_field_element_refused(valid_point: Point) -> None:
    # s + p encodes the same field element as s but is not canonical; so does
    # any encoding with the top bit set (s >= 2^255 > p).
    s = int.from_bytes(valid_point.encoded, "little")
    for alias in (s + P_FIELD, s | (1 << 255)):
        if alias < 2**256:
            with pytest.raises(InvalidEncoding):
                Point.from_bytes(alias.to_bytes(32, "little"))


def test_negative_field_element_refused(valid_point: Point) -> None:
    # p − s is the negation of a valid (non-negative, i.e. even) s: odd, refused.
    s = int.from_bytes(valid_point.encoded, "little")
    negated = (P_FIELD - s).to_bytes(32, "little")
    assert negated[0] & 1 == 1
    with pytest.raises(InvalidEncoding):
        Point.from_bytes(negated)


@pytest.mark.parametrize("name", sorted(TORSION_POINTS))
def test_edwards_torsion_encodings_are_not_accepted_as_torsion(name: str) -> None:
    # An attacker used to edwards25519 tries its small-order points: as
    # ristretto255 encodings each is either refused or an ordinary element
    # of the prime-order group (L·P is the identity): never a small subgroup.
    data = bytes.fromhex(TORSION_POINTS[name])
    try:
        p = Point.from_bytes(data)
    except InvalidEncoding:
        return
    assert not p.is_identity()
    assert (p * Scalar.from_int(8)) != Point.identity()
    assert (p * Scalar.from_int(L - 1)) == -p


def test_hex_must_be_lowercase(valid_point: Point) -> None:
    assert Point.from_hex(valid_point.hex()) == valid_point
    with pytest.raises(InvalidEncoding, match="lowercase"):
        Point.from_hex(valid_point.hex().upper())
    with pytest.raises(InvalidEncoding):
        Point.from_hex("zz" * 32)


def test_from_uniform_bytes_is_the_one_way_map() -> None:
    p = Point.from_uniform_bytes(hashlib.sha512(b"urna").digest())
    assert Point.from_bytes(p.encoded) == p
    with pytest.raises(InvalidEncoding, match="64 bytes"):
        Point.from_uniform_bytes(bytes(32))


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
    assert Point.base_times(sa) - Point.base_times(sb) == Point.base_times(sa - sb)


@given(st.integers(min_value=0, max_value=L - 1))
def test_scalar_round_trip(n: int) -> None:
    s = Scalar.from_int(n)
    assert Scalar.from_bytes(s.to_bytes()) == s
    assert Scalar.from_hex(s.hex()) == s


def test_order_is_l() -> None:
    assert (G * Scalar.from_int(L - 1)) == -G
    assert Point.base_times(Scalar.from_int(L - 1)) + G == Point.identity()


def test_zero_and_identity_arithmetic() -> None:
    assert Point.base_times(Scalar(0)).is_identity()
    assert (G * Scalar(0)).is_identity()
    assert (Point.identity() * Scalar.from_int(5)).is_identity()
    assert G - G == Point.identity()
    assert -G + G == Point.identity()
    assert Point.identity() + G == G


def test_top_bit_alias_refused(valid_point: Point) -> None:
    # libsodium 1.0.18 (bundled by rbcl) decodes s + 2^255 as s: without our
    # own check every point would have a second encoding, and a ballot could
    # be re-encoded into different bytes with the same meaning.
    import rbcl

    alias = bytes([*valid_point.encoded[:31], valid_point.encoded[31] | 0x80])
    if rbcl.crypto_core_ristretto255_is_valid_point(alias):
        assert rbcl.crypto_core_ristretto255_add(alias, G.encoded) == (valid_point + G).encoded
    with pytest.raises(InvalidEncoding, match="not a canonical ristretto255 encoding"):
        Point.from_bytes(alias)


def test_rbcl_library_copy_is_removed() -> None:
    # rbcl writes libsodium to a temporary file in every process; ours deletes it.
    import sys
    from pathlib import Path

    path = sys.modules["rbcl._sodium"].lib_path
    assert path.endswith(".so") and not Path(path).exists()


def test_arithmetic_on_an_unvalidated_invalid_point_raises() -> None:
    # rbcl drops libsodium's return code (its addition would give the identity);
    # the tally adds logged points without re-validating them and must see an error.
    negative = Point(b"\x01" + bytes(31))
    for operation in (lambda: negative + G, lambda: G - negative, lambda: -negative):
        with pytest.raises(InvalidEncoding, match="libsodium refused"):
            operation()
