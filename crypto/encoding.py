"""Canonical JSON (RFC 8785, JCS) and the hex conventions of docs/spec.md."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import rfc8785

from crypto.errors import InvalidEncoding

__all__ = ["canonical_json", "sha256_hex", "unhex"]


def canonical_json(value: Any) -> bytes:
    """Encode ``value`` as RFC 8785 canonical JSON.

    Signed and hashed objects contain no floating-point numbers, so floats are
    refused here rather than canonicalised. Values whose object keys are all
    ASCII and whose integers are exactly representable as doubles (every
    record Urna writes) take a fast path through :func:`json.dumps`, whose
    output is then byte-identical to RFC 8785 (keys sorted by code point, which
    for ASCII is the UTF-16 order; the same string escapes); anything else goes
    through the reference implementation.

    Raises:
        InvalidEncoding: a float, a non-string key, or another unsupported value.
    """
    if _fast_path_ok(value):
        try:
            text = json.dumps(
                value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
            )
            return text.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate in a string
            raise InvalidEncoding(f"cannot canonicalise: {exc.reason}") from exc
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InvalidEncoding(f"cannot canonicalise: {exc}") from exc


_MAX_SAFE_INTEGER = 2**53 - 1


def _fast_path_ok(value: Any) -> bool:
    """Refuse floats; say whether json.dumps gives the canonical form of ``value``."""
    if isinstance(value, float):
        raise InvalidEncoding("floating-point numbers are not allowed in signed objects")
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER
    if isinstance(value, dict):
        ok = True
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidEncoding("object keys must be strings")
            ok = _fast_path_ok(item) and ok and key.isascii()
        return ok
    if isinstance(value, list | tuple):
        ok = True
        for item in value:
            ok = _fast_path_ok(item) and ok
        return ok
    raise InvalidEncoding(f"cannot canonicalise a {type(value).__name__}")


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
