"""Exponential ElGamal: round trips, homomorphic sums, bounded discrete logs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from crypto.elgamal import Ciphertext
from crypto.elgamal import KeyPair
from crypto.elgamal import decrypt
from crypto.elgamal import discrete_log
from crypto.elgamal import encrypt
from crypto.elgamal import sum_ciphertexts
from crypto.errors import DecryptionError
from crypto.errors import InvalidEncoding
from crypto.group import Point
from crypto.group import Scalar


@given(m=st.integers(min_value=0, max_value=5000))
@settings(max_examples=40)
def test_round_trip(keypair: KeyPair, m: int) -> None:
    ct, _ = encrypt(m, keypair.public)
    assert decrypt(ct, keypair.secret, bound=5000) == m


@given(votes=st.lists(st.integers(min_value=0, max_value=1), min_size=0, max_size=30))
@settings(max_examples=25)
def test_homomorphic_sum(keypair: KeyPair, votes: list[int]) -> None:
    total = sum_ciphertexts(encrypt(v, keypair.public)[0] for v in votes)
    assert decrypt(total, keypair.secret, bound=len(votes)) == sum(votes)


def test_fresh_nonces_give_different_ciphertexts(keypair: KeyPair) -> None:
    assert encrypt(1, keypair.public)[0] != encrypt(1, keypair.public)[0]


def test_value_above_bound_is_refused(keypair: KeyPair) -> None:
    ct, _ = encrypt(101, keypair.public)
    with pytest.raises(DecryptionError, match=r"\[0, 100\]"):
        decrypt(ct, keypair.secret, bound=100)


def test_wrong_key_does_not_decrypt(keypair: KeyPair) -> None:
    ct, _ = encrypt(3, keypair.public)
    with pytest.raises(DecryptionError):
        decrypt(ct, keypair.secret + Scalar.from_int(1), bound=1000)


@pytest.mark.parametrize("m", [0, 1, 63, 64, 65, 4095, 4096, 1_000_003])
def test_discrete_log_edges(m: int) -> None:
    assert discrete_log(Point.base_times(Scalar.from_int(m)), bound=1_000_003) == m


def test_ciphertext_bytes_round_trip(keypair: KeyPair) -> None:
    ct, _ = encrypt(1, keypair.public)
    assert Ciphertext.from_bytes(ct.to_bytes()) == ct
    assert Ciphertext.from_json(ct.to_json()) == ct


@pytest.mark.parametrize(
    "bad",
    [None, {}, {"pad": "00"}, {"pad": "aa" * 32, "data": "bb" * 32, "x": 1}, [1, 2]],
)
def test_ciphertext_json_refuses_malformed(bad: object) -> None:
    with pytest.raises(InvalidEncoding):
        Ciphertext.from_json(bad)


def test_ciphertext_refuses_identity_component(keypair: KeyPair) -> None:
    ct, _ = encrypt(0, keypair.public)
    with pytest.raises(InvalidEncoding):
        Ciphertext.from_json({"pad": ct.pad.hex(), "data": Point.identity().hex()})
