"""Voting codes and the credential keys derived from them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.credentials import ALPHABET
from crypto.credentials import derive_credential
from crypto.credentials import generate_code
from crypto.credentials import normalise_code
from crypto.errors import InvalidEncoding
from crypto.testing import deterministic_rng


def test_code_shape() -> None:
    code = generate_code()
    groups = code.split("-")
    assert [len(g) for g in groups] == [4, 4, 4, 4, 4, 2]
    assert all(ch in ALPHABET for ch in code.replace("-", ""))
    assert len(ALPHABET) == 29 and len(set(ALPHABET)) == 29
    assert not set("0O1ILUZ") & set(ALPHABET)


def test_codes_differ() -> None:
    assert len({generate_code() for _ in range(200)}) == 200


def test_typing_is_forgiving() -> None:
    code = generate_code(rng=deterministic_rng(b"x"))
    sloppy = code.lower().replace("-", " ")
    assert derive_credential(sloppy, "d").public_key == derive_credential(code, "d").public_key


@given(st.integers(min_value=0, max_value=21), st.integers(min_value=1, max_value=28))
def test_single_substitution_is_caught(position: int, shift: int) -> None:
    code = normalise_code(generate_code(rng=deterministic_rng(bytes([position, shift]))))
    wrong = ALPHABET[(ALPHABET.index(code[position]) + shift) % 29]
    typo = code[:position] + wrong + code[position + 1 :]
    with pytest.raises(InvalidEncoding, match="typing error"):
        normalise_code(typo)


@given(st.integers(min_value=0, max_value=20))
def test_neighbour_swap_is_caught(position: int) -> None:
    code = normalise_code(generate_code(rng=deterministic_rng(bytes([position]))))
    if code[position] == code[position + 1]:
        return
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    with pytest.raises(InvalidEncoding, match="typing error"):
        normalise_code(swapped)


@pytest.mark.parametrize("bad", ["", "ABCD", "0" * 22, "A" * 30])
def test_bad_codes_refused(bad: str) -> None:
    with pytest.raises(InvalidEncoding):
        normalise_code(bad)


def test_key_depends_on_vote_day() -> None:
    code = generate_code()
    assert derive_credential(code, "a").public_key != derive_credential(code, "b").public_key
    assert "signing" not in repr(derive_credential(code, "a"))
