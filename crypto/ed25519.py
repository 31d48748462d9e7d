"""Ed25519 public keys (RFC 8032): the check every verify key passes before use.

Credentials, clerks' keys, trustees' signing keys and the log's key are
Ed25519 keys, points of edwards25519 — not elements of the election group,
which is ristretto255 (:mod:`crypto.group`). A key is accepted only if it is
the canonical encoding of a point of the prime-order subgroup other than the
identity: no small-order key (which would verify signatures on messages its
owner never signed) and no key with a torsion component (which libsodium
and other Ed25519 verifiers could judge differently). docs/spec.md, "Ed25519
keys".
"""

from __future__ import annotations

import nacl.bindings as sodium

from crypto.errors import InvalidEncoding

__all__ = ["PUBLIC_KEY_SIZE", "check_public_key"]

PUBLIC_KEY_SIZE = 32
_P_FIELD = 2**255 - 19


def check_public_key(data: bytes, *, what: str = "an Ed25519 public key") -> bytes:
    """Return ``data`` if it is a valid Ed25519 public key.

    Refuses: a length other than 32; a non-canonical encoding (y >= p,
    checked here before libsodium sees the bytes); a point not on the curve;
    the identity and every other small-order point; a point with a torsion
    component. libsodium's subgroup check let points with an order-2
    component through before CVE-2025-69277 was fixed; PyNaCl >= 1.6.2
    bundles the fixed library and tests/crypto/test_ed25519_keys.py fails on
    any build that accepts a valid point plus any of the seven non-trivial
    torsion points.

    Raises:
        InvalidEncoding: any of these fails; the message names ``what``.
    """
    if not isinstance(data, bytes) or len(data) != PUBLIC_KEY_SIZE:
        got = f"{len(data)} bytes" if isinstance(data, bytes | bytearray) else type(data).__name__
        raise InvalidEncoding(f"{what} is {PUBLIC_KEY_SIZE} bytes, got {got}")
    y = int.from_bytes(data, "little") & ((1 << 255) - 1)
    if y >= _P_FIELD:
        raise InvalidEncoding(f"{what} is not canonical: y is not below the field prime")
    if not sodium.crypto_core_ed25519_is_valid_point(data):
        raise InvalidEncoding(
            f"{what} is not a valid point: off the curve, of small order, "
            "or outside the prime-order subgroup"
        )
    return data
