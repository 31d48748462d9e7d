"""Canonical JSON (RFC 8785, JCS) and the hex conventions of docs/spec.md."""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

from crypto.errors import InvalidEncoding

__all__ = ["canonical_json", "sha256_hex", "unhex"]


def canonical_json(value: Any) -> bytes:
    """Encode ``value`` as RFC 8785 canonical JSON.

    Signed and hashed objects contain no floating-point numbers, so floats are
    refused here rather than canonicalised.

    Raises:
        InvalidEncoding: a float, a non-string key, or another unsupported value.
    """
    _refuse_floats(value)
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InvalidEncoding(f"cannot canonicalise: {exc}") from exc


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def unhex(text: object, size: int | None = None, *, what: str = "value") -> bytes:
    """Decode lowercase hex, optionally of an exact byte length.

    Raises:
        InvalidEncoding: not a lowercase hex string of the expected length.
    """
    if not isinstance(text, str):
        raise InvalidEncoding(f"{what} must be a hex string, got {type(text).__name__}")
    if size is not None and len(text) != 2 * size:
        raise InvalidEncoding(f"{what} must be {2 * size} hex digits, got {len(text)}")
    if text != text.lower():
        raise InvalidEncoding(f"{what} hex must be lowercase")
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise InvalidEncoding(f"{what} is not hexadecimal") from exc


def _refuse_floats(value: Any) -> None:
    if isinstance(value, float):
        raise InvalidEncoding("floating-point numbers are not allowed in signed objects")
    if isinstance(value, dict):
        for item in value.values():
            _refuse_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_floats(item)
