"""Domain-separated hashing: the Fiat–Shamir transcript of docs/spec.md.

``hash_to_scalar(tag, parts)`` is SHA-512 over ``lp(tag) ‖ lp(part_1) ‖ … ‖
lp(part_n)``, reduced modulo L, where ``lp(x)`` is the 4-byte big-endian length
of ``x`` followed by ``x``. Every tag starts with ``urna/v1/``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from crypto._group import L
from crypto._group import Scalar

TAG_PREFIX = b"urna/v1/"


def length_prefixed(parts: Iterable[bytes]) -> bytes:
    """Concatenate each part behind its 4-byte big-endian length."""
    out = bytearray()
    for part in parts:
        out += len(part).to_bytes(4, "big")
        out += part
    return bytes(out)


def hash_parts(tag: bytes, parts: Iterable[bytes]) -> bytes:
    """SHA-512 of the length-prefixed tag and parts (64 bytes)."""
    if not tag.startswith(TAG_PREFIX):
        raise ValueError(f"domain tag must start with {TAG_PREFIX!r}")
    return hashlib.sha512(length_prefixed([tag, *parts])).digest()


def hash_to_scalar(tag: bytes, parts: Iterable[bytes]) -> Scalar:
    """The Fiat–Shamir challenge: :func:`hash_parts` reduced modulo L."""
    return Scalar(int.from_bytes(hash_parts(tag, parts), "little") % L)
