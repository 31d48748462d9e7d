"""Merkle tree hashing, proofs and their verification (RFC 9162 section 2.1).

Hashes follow RFC 6962/9162 exactly: a leaf is ``SHA-256(0x00 || data)``, an
interior node ``SHA-256(0x01 || left || right)``, and a tree of ``n > 1``
leaves splits at ``k``, the largest power of two smaller than ``n``. The root
of the empty tree is ``SHA-256("")``.

Proof generation is expressed over *ranges* of leaves (``[start, end)``):
:func:`inclusion_proof_ranges` and :func:`consistency_proof_ranges` say which
subtree hashes a proof is made of (RFC 9162 2.1.3.1 and 2.1.4.1), and
:func:`perfect_subtrees` splits any such range into perfect, aligned subtrees.
A store that keeps the hashes of perfect subtrees (as ``voting.log.bulletin``
does) thus answers any proof with O(log n) reads. The functions taking a
``Sequence`` of leaf hashes compute everything in memory.

The verifiers implement RFC 9162 2.1.3.2 and 2.1.4.2, after checking that the
proof has exactly the length the tree shape requires.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from collections.abc import Sequence

from crypto.errors import InvalidConsistencyProof
from crypto.errors import InvalidInclusionProof

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "consistency_proof",
    "consistency_proof_ranges",
    "fold_subtrees",
    "inclusion_proof",
    "inclusion_proof_ranges",
    "leaf_hash",
    "node_hash",
    "perfect_subtrees",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
_LEAF_HASH_PREFIX = b"\x00"
_NODE_HASH_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

Range = tuple[int, int]


def leaf_hash(data: bytes) -> bytes:
    """MTH of one entry: ``SHA-256(0x00 || data)``."""
    return hashlib.sha256(_LEAF_HASH_PREFIX + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """An interior node: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_HASH_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


# --- which subtrees a proof is made of -------------------------------------


def perfect_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """Split ``[start, end)`` into perfect aligned subtrees, left to right.

    Returns ``(level, index)`` pairs: the subtree covering leaves
    ``[index * 2**level, (index + 1) * 2**level)``. ``start`` must be a multiple
    of a power of two at least ``end - start`` (true of every range that
    appears in an RFC 9162 tree), so the sizes are the binary digits of
    ``end - start``, largest first.
    """
    if not 0 <= start < end:
        raise ValueError(f"empty or negative range [{start}, {end})")
    nodes = []
    remaining = end - start
    position = start
    for level in range(remaining.bit_length() - 1, -1, -1):
        if remaining >> level & 1:
            if position % (1 << level):
                raise ValueError(f"range [{start}, {end}) is not aligned")
            nodes.append((level, position >> level))
            position += 1 << level
    return nodes


def fold_subtrees(hashes: Sequence[bytes]) -> bytes:
    """Combine the hashes of :func:`perfect_subtrees` (left to right) into MTH."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def inclusion_proof_ranges(index: int, size: int) -> list[Range]:
    """The leaf ranges whose MTHs form PATH(index, D[0:size]) (RFC 9162 2.1.3.1)."""
    _check_index(index, size, ValueError)
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index - start < k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_proof_ranges(old_size: int, new_size: int) -> list[Range]:
    """The leaf ranges whose MTHs form PROOF(old_size, D[0:new_size]) (RFC 9162 2.1.4.1)."""
    _check_sizes(old_size, new_size, ValueError)
    if old_size in (0, new_size):
        return []
    ranges: list[Range] = []
    start, end, complete = 0, new_size, True
    while True:
        m = old_size - start
        if m == end - start:
            if not complete:
                ranges.append((start, end))
            break
        k = _split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, complete = start + k, False
    ranges.reverse()
    return ranges


# --- in-memory trees ----------------------------------------------------------


def _range_root(leaf_hashes: Sequence[bytes], start: int, end: int) -> bytes:
    if end - start == 1:
        return leaf_hashes[start]
    k = _split(end - start)
    return node_hash(
        _range_root(leaf_hashes, start, start + k), _range_root(leaf_hashes, start + k, end)
    )


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[0:n]) of the given leaf hashes; ``SHA-256("")`` when empty."""
    for item in leaf_hashes:
        _check_hash(item, "leaf hash", ValueError)
    if not leaf_hashes:
        return EMPTY_ROOT
    return _range_root(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The inclusion proof of leaf ``index`` in the tree of ``leaf_hashes``."""
    ranges = inclusion_proof_ranges(index, len(leaf_hashes))
    return [_range_root(leaf_hashes, a, b) for a, b in ranges]


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """The proof that the tree of the first ``old_size`` leaves is a prefix of this one."""
    ranges = consistency_proof_ranges(old_size, len(leaf_hashes))
    return [_range_root(leaf_hashes, a, b) for a, b in ranges]


# --- verification -------------------------------------------------------------


def _check_hash(value: object, what: str, error: Callable[[str], Exception]) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        got = len(value) if isinstance(value, bytes | bytearray) else type(value).__name__
        raise error(f"{what} must be {HASH_SIZE} bytes, got {got}")


def _check_index(index: int, size: int, error: Callable[[str], Exception]) -> None:
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise error(f"leaf index must be a non-negative integer, got {index!r}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise error(f"tree size must be a non-negative integer, got {size!r}")
    if index >= size:
        raise error(f"leaf index {index} is outside a tree of size {size}")


def _check_sizes(old_size: int, new_size: int, error: Callable[[str], Exception]) -> None:
    for name, value in (("old size", old_size), ("new size", new_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise error(f"{name} must be a non-negative integer, got {value!r}")
    if old_size > new_size:
        raise error(f"old size {old_size} is larger than new size {new_size}")


def _inclusion_length(index: int, size: int) -> int:
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree ``root`` of ``size`` leaves.

    Implements RFC 9162 2.1.3.2.

    Raises:
        InvalidInclusionProof: bad arguments, a proof of the wrong length, or a
            proof that leads to another root.
    """
    _check_index(index, size, InvalidInclusionProof)
    _check_hash(leaf_hash, "leaf hash", InvalidInclusionProof)
    _check_hash(root, "root hash", InvalidInclusionProof)
    for position, item in enumerate(proof):
        _check_hash(item, f"proof hash {position}", InvalidInclusionProof)
    expected = _inclusion_length(index, size)
    if len(proof) != expected:
        raise InvalidInclusionProof(
            f"inclusion proof for leaf {index} of {size} must have {expected} hashes, "
            f"got {len(proof)}"
        )
    # (2) fn = index, sn = size - 1; (3) r = leaf hash
    fn, sn, r = index, size - 1, bytes(leaf_hash)
    for p in proof:  # (4)
        if sn == 0:
            raise InvalidInclusionProof("inclusion proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    # (5)
    if sn != 0:
        raise InvalidInclusionProof("inclusion proof is shorter than the path to the root")
    if r != root:
        raise InvalidInclusionProof(
            f"inclusion proof for leaf {index} of {size} leads to root {r.hex()}, "
            f"expected {bytes(root).hex()}"
        )


def _consistency_length(old_size: int, new_size: int) -> int:
    shift = (old_size & -old_size).bit_length() - 1
    inclusion = _inclusion_length(old_size - 1, new_size) - shift
    return inclusion + (0 if old_size == 1 << shift else 1)


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Check that the tree ``old_root`` of ``old_size`` leaves is a prefix of ``new_root``.

    Implements RFC 9162 2.1.4.2. Equal sizes need an empty proof and equal
    roots; the empty tree (size 0, root ``SHA-256("")``) is a prefix of every tree.

    Raises:
        InvalidConsistencyProof: bad arguments, a proof of the wrong length, or
            a proof that does not lead to both roots (a fork or a rewrite).
    """
    _check_sizes(old_size, new_size, InvalidConsistencyProof)
    _check_hash(old_root, "old root hash", InvalidConsistencyProof)
    _check_hash(new_root, "new root hash", InvalidConsistencyProof)
    for position, item in enumerate(proof):
        _check_hash(item, f"proof hash {position}", InvalidConsistencyProof)
    if old_size in (0, new_size):
        _verify_trivial_consistency(old_size, new_size, proof, old_root, new_root)
        return
    expected = _consistency_length(old_size, new_size)
    if len(proof) != expected:
        raise InvalidConsistencyProof(
            f"consistency proof from {old_size} to {new_size} must have {expected} hashes, "
            f"got {len(proof)}"
        )
    fr, sr, sn = _chain_consistency(old_size, new_size, proof, bytes(old_root))
    # (7)
    if sn != 0:
        raise InvalidConsistencyProof("consistency proof does not reach the new root")
    if fr != old_root:
        raise InvalidConsistencyProof(
            f"consistency proof leads to old root {fr.hex()} at size {old_size}, "
            f"expected {bytes(old_root).hex()}"
        )
    if sr != new_root:
        raise InvalidConsistencyProof(
            f"consistency proof leads to new root {sr.hex()} at size {new_size}, "
            f"expected {bytes(new_root).hex()}"
        )


def _verify_trivial_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    if proof:
        raise InvalidConsistencyProof(
            f"consistency proof from {old_size} to {new_size} must be empty, "
            f"got {len(proof)} hashes"
        )
    if old_size == 0 and old_root != EMPTY_ROOT:
        raise InvalidConsistencyProof("the root of the empty tree must be SHA-256 of nothing")
    if old_size == new_size and old_root != new_root:
        raise InvalidConsistencyProof(
            f"two different roots for size {new_size}: {bytes(old_root).hex()} and "
            f"{bytes(new_root).hex()} (a fork)"
        )


def _chain_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes
) -> tuple[bytes, bytes, int]:
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # (2) an exact power of two
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1  # (3)
    while fn & 1:  # (4)
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]  # (5)
    for c in path[1:]:  # (6)
        if sn == 0:
            raise InvalidConsistencyProof("consistency proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr, sr, sn
