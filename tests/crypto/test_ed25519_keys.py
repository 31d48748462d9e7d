"""Ed25519 public keys are checked as edwards25519 points (crypto.ed25519).

Credentials, clerks', trustees' and the log's keys stay Ed25519 when the
election group is ristretto255: these are the small-order and torsion attacks
on a verify key.
"""

from __future__ import annotations

import nacl.bindings as sodium
import pytest
from nacl.signing import SigningKey

from crypto.ed25519 import check_public_key
from crypto.errors import InvalidEncoding
from tests.crypto.torsion import TORSION_POINTS

P_FIELD = 2**255 - 19
IDENTITY = b"\x01" + b"\x00" * 31


@pytest.fixture(scope="module")
def valid_key() -> bytes:
    return bytes(SigningKey(bytes(range(32))).verify_key)


def test_valid_key_accepted(valid_key: bytes) -> None:
    assert check_public_key(valid_key) == valid_key


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
        check_public_key(bytes.fromhex(TORSION_POINTS[name]))


@pytest.mark.parametrize("name", sorted(TORSION_POINTS))
def test_valid_key_plus_torsion_refused(valid_key: bytes, name: str) -> None:
    t = bytes.fromhex(TORSION_POINTS[name])
    mixed = sodium.crypto_core_ed25519_add(valid_key, t)
    assert mixed != valid_key
    with pytest.raises(InvalidEncoding, match="subgroup"):
        check_public_key(mixed, what="the clerk public key")


def test_identity_refused() -> None:
    with pytest.raises(InvalidEncoding, match="small order"):
        check_public_key(IDENTITY)


@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_wrong_length_refused(length: int) -> None:
    with pytest.raises(InvalidEncoding, match="the log's key is 32 bytes"):
        check_public_key(b"\x05" * length, what="the log's key")


def test_non_canonical_y_refused() -> None:
    for y in (P_FIELD + 1, P_FIELD + 9, 2**255 - 1):
        with pytest.raises(InvalidEncoding, match="canonical"):
            check_public_key(y.to_bytes(32, "little"))


def test_off_curve_refused() -> None:
    for y in range(2, 50):
        data = y.to_bytes(32, "little")
        try:
            sodium.crypto_core_ed25519_add(data, data)
        except Exception:
            with pytest.raises(InvalidEncoding, match="off the curve"):
                check_public_key(data)
            return
    pytest.fail("no off-curve encoding found among small y")
