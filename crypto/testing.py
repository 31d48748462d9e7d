"""Deterministic randomness for test vectors and reproducible tests.

Never use this in production: it exists so that ``tests/vectors`` and the
browser code can reproduce the very same ballots byte for byte.
"""

from __future__ import annotations

import hashlib

from crypto._group import RandomBytes

__all__ = ["deterministic_rng"]


def deterministic_rng(seed: bytes) -> RandomBytes:
    """A byte stream: SHA-512(seed ‖ counter) blocks, the counter 8 bytes big-endian."""
    buffer = bytearray()
    counter = 0

    def rng(n: int) -> bytes:
        nonlocal counter
        while len(buffer) < n:
            buffer.extend(hashlib.sha512(seed + counter.to_bytes(8, "big")).digest())
            counter += 1
        out = bytes(buffer[:n])
        del buffer[:n]
        return out

    return rng
