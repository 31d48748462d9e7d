"""The log's Merkle tree, computed as the entries stream by (RFC 9162 section 2.1).

:class:`Frontier` keeps only the roots of the perfect subtrees of the leaves
seen so far (at most one per level: 64 hashes for any log), so the root of a
log of any size is computed in constant memory. A receipt's proof needs the
hashes of a few ranges of leaves: the ranges are known before the entries
are read (from the receipt's index and the final checkpoint's size), split
into perfect subtrees (:func:`crypto.merkle.perfect_subtrees`), and each of
those subtree hashes is kept when the frontier completes it.
"""

from __future__ import annotations

from collections.abc import Iterable

from crypto import merkle

__all__ = ["Frontier"]


class Frontier:
    """The compact range ``[0, size)``: (level, index, hash) of its perfect subtrees."""

    def __init__(self, ranges: Iterable[tuple[int, int]] = ()) -> None:
        self.size = 0
        self.stack: list[tuple[int, int, bytes]] = []
        self.wanted: set[tuple[int, int]] = set()
        for start, end in ranges:
            self.wanted.update(merkle.perfect_subtrees(start, end))
        self.kept: dict[tuple[int, int], bytes] = {}

    def add(self, leaf_hash: bytes) -> None:
        level, index, node = 0, self.size, leaf_hash
        self.size += 1
        self._keep(level, index, node)
        while self.stack and self.stack[-1][0] == level:
            _, left_index, left = self.stack.pop()
            level, index, node = level + 1, left_index // 2, merkle.node_hash(left, node)
            self._keep(level, index, node)
        self.stack.append((level, index, node))

    def _keep(self, level: int, index: int, node: bytes) -> None:
        if (level, index) in self.wanted:
            self.kept[(level, index)] = node

    def root(self) -> bytes:
        if not self.stack:
            return merkle.EMPTY_ROOT
        return merkle.fold_subtrees([node for _, _, node in self.stack])

    def range_root(self, start: int, end: int) -> bytes:
        """MTH of leaves ``[start, end)``, from the subtrees asked for when it was made.

        Raises:
            KeyError: that range was not asked for, or the entries did not reach its end.
        """
        return merkle.fold_subtrees(
            [self.kept[node] for node in merkle.perfect_subtrees(start, end)]
        )

    def leaf(self, index: int) -> bytes | None:
        return self.kept.get((0, index))
