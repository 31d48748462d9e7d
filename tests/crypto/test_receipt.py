"""crypto.receipt: tracking codes and receipt verification, including forks."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto import merkle
from crypto.errors import InvalidConsistencyProof
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidInclusionProof
from crypto.errors import InvalidReceipt
from crypto.errors import InvalidSignature
from crypto.note import Checkpoint
from crypto.note import NoteSigner
from crypto.note import sign_checkpoint
from crypto.receipt import Receipt
from crypto.receipt import parse_tracking_code
from crypto.receipt import tracking_code
from crypto.receipt import verify_receipt

ORIGIN = "urna.example/log/2026-03-08-ch"
SIGNER = NoteSigner(ORIGIN, b"\x05" * 32)
KEY = SIGNER.verifier


def _leaves(n: int, tag: bytes = b"") -> list[bytes]:
    return [merkle.leaf_hash(tag + i.to_bytes(4, "big")) for i in range(n)]


def _checkpoint(leaves: list[bytes], signer: NoteSigner = SIGNER) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, len(leaves), merkle.root_hash(leaves)), signer)


def _receipt(leaves: list[bytes], index: int) -> dict[str, Any]:
    return Receipt(
        "2026-03-08-ch",
        index,
        leaves[index],
        _checkpoint(leaves),
        tuple(merkle.inclusion_proof(leaves, index)),
    ).to_json()


@given(st.binary(min_size=32, max_size=32))
def test_tracking_code_round_trip(leaf: bytes) -> None:
    code = tracking_code(leaf)
    assert len(code.split("-")) == 13 and all(len(g) == 4 for g in code.split("-"))
    assert parse_tracking_code(code) == leaf
    assert parse_tracking_code(code.lower().replace("-", " ")) == leaf


def test_tracking_codes_forgive_the_digits_base32_lacks() -> None:
    """0, 1 and 8 are not base32: typed for O, I and B they are read as those."""
    leaf = bytes(range(32))
    code = tracking_code(leaf)  # AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4IB-...
    typed = code.replace("O", "0").replace("I", "1").replace("B", "8")
    assert typed != code and parse_tracking_code(typed) == leaf
    with pytest.raises(InvalidEncoding, match="last character"):
        parse_tracking_code(code[:-1] + "R")


@pytest.mark.parametrize("code", ["", "ABCD-EFGH", "1" * 52, "A" * 51 + "B", 42])
def test_bad_tracking_codes(code: object) -> None:
    with pytest.raises(InvalidEncoding):
        parse_tracking_code(code)  # type: ignore[arg-type]


def test_receipt_checks_against_a_later_checkpoint() -> None:
    leaves = _leaves(30)
    receipt = _receipt(leaves[:11], 7)
    proof = merkle.consistency_proof(leaves, 11)
    checkpoint = verify_receipt(receipt, _checkpoint(leaves), KEY, consistency_proof=proof)
    assert checkpoint.size == 30
    assert verify_receipt(receipt, _checkpoint(leaves[:11]), str(KEY)).size == 11


def test_fork_of_the_same_size_is_detected() -> None:
    leaves = _leaves(11)
    receipt = _receipt(leaves, 7)
    forked = [*leaves[:7], merkle.leaf_hash(b"other ballot"), *leaves[8:]]
    with pytest.raises(InvalidConsistencyProof, match="a fork"):
        verify_receipt(receipt, _checkpoint(forked), KEY)


def test_newer_root_that_drops_the_ballot_is_detected() -> None:
    leaves = _leaves(11)
    receipt = _receipt(leaves, 7)
    rewritten = [*leaves[:7], *_leaves(20, b"rewritten")]
    proof = merkle.consistency_proof(rewritten, 11)
    with pytest.raises(InvalidConsistencyProof):
        verify_receipt(receipt, _checkpoint(rewritten), KEY, consistency_proof=proof)


def test_receipt_failures() -> None:
    leaves = _leaves(11)
    receipt = _receipt(leaves, 7)
    with pytest.raises(InvalidReceipt, match="older than the receipt's"):
        verify_receipt(receipt, _checkpoint(leaves[:9]), KEY)
    stranger = NoteSigner(ORIGIN, b"\x06" * 32)
    with pytest.raises(InvalidSignature):
        verify_receipt(receipt, _checkpoint(leaves, stranger), KEY)
    wrong_index = {**receipt, "index": 6}
    with pytest.raises(InvalidInclusionProof):
        verify_receipt(wrong_index, _checkpoint(leaves), KEY)
    pending = {**receipt, "checkpoint": None, "inclusion_proof": []}
    with pytest.raises(InvalidReceipt, match="inclusion proof is needed"):
        verify_receipt(pending, _checkpoint(leaves), KEY)
    proof = merkle.inclusion_proof(leaves, 7)
    assert verify_receipt(pending, _checkpoint(leaves), KEY, inclusion_proof=proof).size == 11


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"log": ""}, "'log'"),
        ({"index": -1}, "'index'"),
        ({"index": True}, "'index'"),
        ({"leaf_hash": "ab"}, "'leaf_hash'"),
        ({"tracking_code": "AAAA"}, "tracking code"),
        ({"checkpoint": 5}, "'checkpoint'"),
        ({"inclusion_proof": "00"}, "'inclusion_proof'"),
        ({"inclusion_proof": ["zz" * 32]}, "hexadecimal"),
    ],
)
def test_malformed_receipts(change: dict[str, Any], message: str) -> None:
    receipt = {**_receipt(_leaves(3), 1), **change}
    with pytest.raises(InvalidReceipt, match=message):
        Receipt.from_json(receipt)
