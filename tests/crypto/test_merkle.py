"""crypto.merkle: RFC 6962 known answers, generated proofs, and tampered proofs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from crypto.errors import InvalidConsistencyProof
from crypto.errors import InvalidInclusionProof
from crypto.errors import VerificationError
from crypto.merkle import EMPTY_ROOT
from crypto.merkle import consistency_proof
from crypto.merkle import consistency_proof_ranges
from crypto.merkle import fold_subtrees
from crypto.merkle import inclusion_proof
from crypto.merkle import inclusion_proof_ranges
from crypto.merkle import leaf_hash
from crypto.merkle import node_hash
from crypto.merkle import perfect_subtrees
from crypto.merkle import root_hash
from crypto.merkle import verify_consistency
from crypto.merkle import verify_inclusion

VECTORS = json.loads((Path(__file__).parent.parent / "vectors" / "merkle_rfc6962.json").read_text())
LEAVES = [leaf_hash(bytes.fromhex(x)) for x in VECTORS["leaves_hex"]]


def _unhex_all(items: list[str]) -> list[bytes]:
    return [bytes.fromhex(x) for x in items]


def _leaves(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


# --- known answers ---------------------------------------------------------------


def test_empty_root_is_sha256_of_nothing() -> None:
    assert root_hash([]).hex() == VECTORS["empty_root"] == EMPTY_ROOT.hex()


@pytest.mark.parametrize("size", range(1, 9))
def test_known_roots(size: int) -> None:
    assert root_hash(LEAVES[:size]).hex() == VECTORS["roots"][size - 1]


@pytest.mark.parametrize("case", VECTORS["inclusion"], ids=lambda c: f"{c['index']}-{c['size']}")
def test_known_inclusion_proofs(case: dict) -> None:
    index, size = case["index"], case["size"]
    proof = inclusion_proof(LEAVES[:size], index)
    assert [p.hex() for p in proof] == case["proof"]
    root = bytes.fromhex(VECTORS["roots"][size - 1])
    verify_inclusion(LEAVES[index], index, size, _unhex_all(case["proof"]), root)


@pytest.mark.parametrize("case", VECTORS["consistency"], ids=lambda c: f"{c['old']}-{c['new']}")
def test_known_consistency_proofs(case: dict) -> None:
    old, new = case["old"], case["new"]
    proof = consistency_proof(LEAVES[:new], old)
    assert [p.hex() for p in proof] == case["proof"]
    roots = VECTORS["roots"]
    verify_consistency(
        old,
        new,
        _unhex_all(case["proof"]),
        bytes.fromhex(roots[old - 1]),
        bytes.fromhex(roots[new - 1]),
    )


def test_hash_prefixes() -> None:
    assert leaf_hash(b"") == bytes.fromhex(VECTORS["roots"][0])
    assert node_hash(LEAVES[0], LEAVES[1]) == bytes.fromhex(VECTORS["roots"][1])


# --- ranges (what the persistent log reads) -----------------------------------


@pytest.mark.parametrize("size", range(1, 70))
def test_ranges_rebuild_every_proof(size: int) -> None:
    leaves = _leaves(size)

    def mth(start: int, end: int) -> bytes:
        hashes = [
            root_hash(leaves[i << level : (i + 1) << level])
            for level, i in perfect_subtrees(start, end)
        ]
        return fold_subtrees(hashes)

    for index in range(size):
        assert [mth(a, b) for a, b in inclusion_proof_ranges(index, size)] == inclusion_proof(
            leaves, index
        )
    for old in range(size + 1):
        assert [mth(a, b) for a, b in consistency_proof_ranges(old, size)] == consistency_proof(
            leaves, old
        )
    assert mth(0, size) == root_hash(leaves)


def test_perfect_subtrees_refuses_unaligned_ranges() -> None:
    assert perfect_subtrees(4, 7) == [(1, 2), (0, 6)]
    with pytest.raises(ValueError, match="aligned"):
        perfect_subtrees(3, 7)
    with pytest.raises(ValueError, match="empty"):
        perfect_subtrees(5, 5)


# --- adversarial inputs -----------------------------------------------------------


def test_inclusion_rejects_bad_arguments() -> None:
    leaves = _leaves(5)
    root, proof = root_hash(leaves), inclusion_proof(leaves, 2)
    with pytest.raises(InvalidInclusionProof, match="outside a tree of size 5"):
        verify_inclusion(leaves[2], 5, 5, proof, root)
    with pytest.raises(InvalidInclusionProof, match="non-negative"):
        verify_inclusion(leaves[2], -1, 5, proof, root)
    with pytest.raises(InvalidInclusionProof, match="outside a tree of size 0"):
        verify_inclusion(leaves[2], 0, 0, [], EMPTY_ROOT)
    with pytest.raises(InvalidInclusionProof, match="leaf hash must be 32 bytes, got 31"):
        verify_inclusion(leaves[2][:31], 2, 5, proof, root)
    with pytest.raises(InvalidInclusionProof, match="root hash must be 32 bytes"):
        verify_inclusion(leaves[2], 2, 5, proof, root + b"\x00")
    with pytest.raises(InvalidInclusionProof, match="proof hash 1 must be 32 bytes"):
        verify_inclusion(leaves[2], 2, 5, [proof[0], b"", proof[2]], root)
    with pytest.raises(InvalidInclusionProof, match="must have 3 hashes, got 4"):
        verify_inclusion(leaves[2], 2, 5, [*proof, root], root)
    with pytest.raises(InvalidInclusionProof, match="leads to root"):
        verify_inclusion(leaves[3], 2, 5, proof, root)


def test_consistency_rejects_bad_arguments() -> None:
    leaves = _leaves(8)
    proof = consistency_proof(leaves, 6)
    old, new = root_hash(leaves[:6]), root_hash(leaves)
    with pytest.raises(InvalidConsistencyProof, match="larger than new size"):
        verify_consistency(8, 6, proof, new, old)
    with pytest.raises(InvalidConsistencyProof, match="non-negative"):
        verify_consistency(-1, 6, proof, old, new)
    with pytest.raises(InvalidConsistencyProof, match="must have 3 hashes, got 0"):
        verify_consistency(6, 8, [], old, new)
    with pytest.raises(InvalidConsistencyProof, match="old root hash must be 32 bytes"):
        verify_consistency(6, 8, proof, b"WrongRoot", new)
    with pytest.raises(InvalidConsistencyProof, match="leads to old root"):
        verify_consistency(6, 8, proof, new, new)
    with pytest.raises(InvalidConsistencyProof, match="must be empty"):
        verify_consistency(0, 8, [EMPTY_ROOT], EMPTY_ROOT, new)
    with pytest.raises(InvalidConsistencyProof, match="empty tree"):
        verify_consistency(0, 8, [], old, new)
    verify_consistency(0, 8, [], EMPTY_ROOT, new)
    verify_consistency(8, 8, [], new, new)


def test_fork_detected_two_roots_of_one_size() -> None:
    honest, forked = _leaves(6), _leaves(6)
    forked[4] = leaf_hash(b"replaced ballot")
    with pytest.raises(InvalidConsistencyProof, match="a fork"):
        verify_consistency(6, 6, [], root_hash(honest), root_hash(forked))


def test_fork_detected_newer_root_not_extending_older() -> None:
    old_leaves = _leaves(5)
    rewritten = _leaves(9)
    rewritten[1] = leaf_hash(b"dropped and replaced")
    proof = consistency_proof(rewritten, 5)
    with pytest.raises(InvalidConsistencyProof, match="old root"):
        verify_consistency(5, 9, proof, root_hash(old_leaves), root_hash(rewritten))


# --- properties -------------------------------------------------------------------

sizes = st.integers(min_value=1, max_value=300)


@st.composite
def inclusion_case(draw: st.DrawFn) -> tuple[list[bytes], int]:
    size = draw(sizes)
    return _leaves(size), draw(st.integers(min_value=0, max_value=size - 1))


@st.composite
def consistency_case(draw: st.DrawFn) -> tuple[list[bytes], int]:
    size = draw(sizes)
    return _leaves(size), draw(st.integers(min_value=1, max_value=size - 1 if size > 1 else 1))


def _mutations(proof: list[bytes], pick: int) -> list[list[bytes]]:
    mutated = []
    if proof:
        i = pick % len(proof)
        flipped = bytearray(proof[i])
        flipped[pick % 32] ^= 1 << (pick % 8)
        mutated.append([*proof[:i], bytes(flipped), *proof[i + 1 :]])
        mutated.append(proof[:i] + proof[i + 1 :])  # drop a node
    mutated.append([*proof, leaf_hash(b"extra")])  # add a node
    mutated.append([leaf_hash(b"extra"), *proof])
    return mutated


@settings(max_examples=150, deadline=None)
@given(inclusion_case(), st.integers(min_value=0, max_value=10**6))
def test_every_inclusion_proof_verifies_and_every_mutation_fails(
    case: tuple[list[bytes], int], pick: int
) -> None:
    leaves, index = case
    size, root = len(leaves), root_hash(leaves)
    proof = inclusion_proof(leaves, index)
    verify_inclusion(leaves[index], index, size, proof, root)
    for bad in _mutations(proof, pick):
        with pytest.raises(InvalidInclusionProof):
            verify_inclusion(leaves[index], index, size, bad, root)
    for wrong_index in {index ^ 1, index + 1, index - 1} - {index}:
        with pytest.raises(InvalidInclusionProof):
            verify_inclusion(leaves[index], wrong_index, size, proof, root)
    for wrong_size in {size * 2, size // 2} - {size}:  # as Go's verify_test.go
        with pytest.raises(InvalidInclusionProof):
            verify_inclusion(leaves[index], index, wrong_size, proof, root)


@settings(max_examples=150, deadline=None)
@given(consistency_case(), st.integers(min_value=0, max_value=10**6))
def test_every_consistency_proof_verifies_and_every_mutation_fails(
    case: tuple[list[bytes], int], pick: int
) -> None:
    leaves, old = case
    new = len(leaves)
    old_root, new_root = root_hash(leaves[:old]), root_hash(leaves)
    proof = consistency_proof(leaves, old)
    verify_consistency(old, new, proof, old_root, new_root)
    if old == new:
        return
    for bad in _mutations(proof, pick):
        with pytest.raises(VerificationError):
            verify_consistency(old, new, bad, old_root, new_root)
    for wrong_old in {old - 1, old + 1, old ^ 2} - {old, new, 0}:
        if wrong_old < new:
            with pytest.raises(InvalidConsistencyProof):
                verify_consistency(wrong_old, new, proof, old_root, new_root)
    with pytest.raises(InvalidConsistencyProof):
        verify_consistency(old, new * 2, proof, old_root, new_root)
    with pytest.raises(InvalidConsistencyProof):
        verify_consistency(old, new, proof, new_root, old_root)
