"""Threshold decryption: partial decryptions with proofs, Lagrange combination.

docs/trustees.md, steps 8 and 9. For a ciphertext (α, β) trustee j publishes
D_j = x_j·α with a Chaum–Pedersen proof that log_G X_j = log_α D_j. Any t
distinct valid shares give x·α = Σ_j λ_j·D_j with the Lagrange coefficients at
zero λ_j = Π_{m≠j} m/(m − j) mod L, hence M = β − x·α = m·G and m by
baby-step giant-step.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crypto._group import Point
from crypto._group import RandomBytes
from crypto._group import Scalar
from crypto._group import secure_random
from crypto.elgamal import Ciphertext
from crypto.elgamal import discrete_log
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidProof
from crypto.errors import InvalidShare
from crypto.errors import NotEnoughShares
from crypto.proofs import ChaumPedersenProof
from crypto.proofs import prove_equal_logs
from crypto.proofs import verify_equal_logs
from crypto.trustees import _json as tj
from crypto.trustees._dkg_keys import KeyShare
from crypto.trustees._dkg_keys import ThresholdKey
from crypto.trustees._signing import sign_message
from crypto.trustees._signing import verify_message

DECRYPTION_TAG = b"urna/v1/decryption-share"
MAX_CIPHERTEXTS = 65536
"""One decryption share covers at most this many ciphertexts."""

_SHARE_KEYS = frozenset({"trustee", "index", "shares", "proofs"})


@dataclass(frozen=True, slots=True)
class DecryptionShare:
    """Trustee j's partial decryption of a list of ciphertexts, with proofs (public)."""

    trustee: str
    index: int
    """j in the spec"""
    shares: tuple[Point, ...]
    """D_j = x_j·α for each ciphertext (α, β), in order"""
    proofs: tuple[ChaumPedersenProof, ...]
    """a Chaum–Pedersen proof that log_G X_j = log_α D_j for each ciphertext"""

    def to_json(self) -> dict[str, Any]:
        return {
            "trustee": self.trustee,
            "index": self.index,
            "shares": [d.hex() for d in self.shares],
            "proofs": [p.to_json() for p in self.proofs],
        }

    @classmethod
    def from_json(cls, value: Any) -> DecryptionShare:
        """Decode strictly; each D_j is a valid point (the identity only for α = identity).

        Raises:
            InvalidEncoding: wrong shape, a bad point or scalar, or counts that differ.
        """
        obj = tj.fields(value, _SHARE_KEYS, "a decryption share")
        shares = tj.hex_list(obj["shares"], "shares", lo=1, hi=MAX_CIPHERTEXTS)
        proofs = tj.chaum_pedersen_proofs(obj["proofs"], "proofs", hi=MAX_CIPHERTEXTS)
        if len(shares) != len(proofs):
            raise InvalidEncoding("a decryption share has one proof per share")
        return cls(
            trustee=tj.check_name(obj["trustee"]),
            index=tj.check_index(obj["index"]),
            shares=tuple(tj.share_point(d) for d in shares),
            proofs=proofs,
        )


def decryption_context(
    manifest_hash: bytes, key: ThresholdKey, index: int, ciphertext: Ciphertext
) -> list[bytes]:
    """The context parts of trustee ``index``'s proof for one ciphertext (step 8)."""
    return [
        DECRYPTION_TAG,
        manifest_hash,
        key.public_key.encoded,
        tj.u32(index),
        ciphertext.to_bytes(),
    ]


def decrypt_share(
    key_share: KeyShare,
    key: ThresholdKey,
    ciphertexts: Sequence[Ciphertext],
    *,
    manifest_hash: bytes,
    rng: RandomBytes = secure_random,
) -> DecryptionShare:
    """Step 8: D_j = x_j·α and its Chaum–Pedersen proof for each ciphertext.

    Raises:
        ProofRefused: the key share does not match X_j of ``key``.
        ValueError: no ciphertexts, too many, or a name/index not in ``key``.
    """
    _check_batch(ciphertexts)
    _check_trustee(key, key_share.trustee, key_share.index)
    public = key.verification_key(key_share.index)
    shares: list[Point] = []
    proofs: list[ChaumPedersenProof] = []
    for ct in ciphertexts:
        d = ct.pad * key_share.secret  # (1) D_j = x_j·α
        context = decryption_context(manifest_hash, key, key_share.index, ct)
        shares.append(d)  # (2) prove log_G X_j = log_α D_j
        proofs.append(
            prove_equal_logs(
                key_share.secret, base=ct.pad, public=public, result=d, context=context, rng=rng
            )
        )
    return DecryptionShare(
        trustee=key_share.trustee,
        index=key_share.index,
        shares=tuple(shares),
        proofs=tuple(proofs),
    )


def verify_decryption_share(
    share: DecryptionShare,
    key: ThresholdKey,
    ciphertexts: Sequence[Ciphertext],
    *,
    manifest_hash: bytes,
) -> None:
    """Step 9 (1): check a trustee's partial decryption of ``ciphertexts``.

    Raises:
        InvalidShare: ``trustee`` is the share's author: unknown name/index,
            a count that differs from the ciphertexts', or a proof that fails.
    """
    who = share.trustee
    try:
        _check_batch(ciphertexts)
        _check_trustee(key, who, share.index)
    except ValueError as exc:
        raise InvalidShare(f"decryption share of {who!r}: {exc}", trustee=who) from exc
    if len(share.shares) != len(ciphertexts) or len(share.proofs) != len(ciphertexts):
        raise InvalidShare(
            f"trustee {who!r} decrypted {len(share.shares)} ciphertexts, expected "
            f"{len(ciphertexts)}",
            trustee=who,
        )
    public = key.verification_key(share.index)
    for position, (ct, d, proof) in enumerate(
        zip(ciphertexts, share.shares, share.proofs, strict=True)
    ):
        context = decryption_context(manifest_hash, key, share.index, ct)
        try:
            verify_equal_logs(proof, base=ct.pad, public=public, result=d, context=context)
        except InvalidProof as exc:
            raise InvalidShare(
                f"trustee {who!r}: decryption proof for ciphertext {position} does not verify",
                trustee=who,
            ) from exc


def lagrange_coefficient(index: int, indices: Collection[int]) -> Scalar:
    """λ_index = Π_{m ∈ indices, m ≠ index} m / (m − index) mod L.

    Raises:
        ValueError: ``index`` not in ``indices``, or an index that is not a
            positive integer.
    """
    if index not in indices or any(type(m) is not int or m < 1 for m in indices):
        raise ValueError("Lagrange coefficients need positive indices including the one asked")
    result = Scalar.from_int(1)
    for m in set(indices) - {index}:
        result = result * Scalar.from_int(m) * Scalar.from_int(m - index).inverse()
    return result


def combine_decryption_shares(
    key: ThresholdKey,
    ciphertexts: Sequence[Ciphertext],
    shares: Sequence[DecryptionShare],
    *,
    manifest_hash: bytes,
    bound: int,
) -> tuple[int, ...]:
    """Step 9: verify every share, then recover each plaintext m in [0, bound].

    Any t or more distinct trustees' shares give the same result.

    Raises:
        ValueError: two shares from the same trustee.
        NotEnoughShares: fewer than t shares.
        InvalidShare: a share fails verification (``trustee`` names it): drop
            it and try again with another trustee's.
        DecryptionError: a plaintext is outside [0, bound].
    """
    indices = [s.index for s in shares]
    if len(set(indices)) != len(indices):  # (1) distinct trustees
        raise ValueError(f"duplicate decryption shares from trustee indices {sorted(indices)}")
    if len(shares) < key.threshold:  # (2) at least t of them
        raise NotEnoughShares(
            f"decryption needs shares from t = {key.threshold} trustees, got {len(shares)}"
        )
    for share in shares:  # (3) every share proves its D_j
        verify_decryption_share(share, key, ciphertexts, manifest_hash=manifest_hash)
    lambdas = [lagrange_coefficient(s.index, indices) for s in shares]
    totals: list[int] = []
    for position, ct in enumerate(ciphertexts):
        # (4) x·α = Σ λ_j·D_j ; (5) M = β − x·α = m·G ; (6) m by baby-step giant-step
        x_alpha = Point.identity()
        for lam, share in zip(lambdas, shares, strict=True):
            x_alpha = x_alpha + share.shares[position] * lam
        totals.append(discrete_log(ct.data - x_alpha, bound=bound))
    return tuple(totals)


def _check_batch(ciphertexts: Sequence[Ciphertext]) -> None:
    if not 1 <= len(ciphertexts) <= MAX_CIPHERTEXTS:
        raise ValueError(f"a decryption share covers 1 to {MAX_CIPHERTEXTS} ciphertexts")


def _check_trustee(key: ThresholdKey, name: str, index: int) -> None:
    if type(index) is not int or not 1 <= index <= len(key.trustees):
        raise ValueError(f"no trustee with index {index}")
    if key.trustees[index - 1] != name:
        raise ValueError(f"{name!r} is not trustee #{index}")


def sign_decryption(
    key_share: KeyShare, unit: str, share: DecryptionShare, *, manifest_hash: bytes
) -> bytes:
    """Trustee j's Ed25519 signature of its decryption share of ``unit`` (64 bytes).

    Signed: lp("urna/v1/decryption-shares") ‖ lp(manifest hash) ‖
    lp(JCS({"unit": unit, "share": share})) (docs/trustees.md, step 8).
    """
    if (share.trustee, share.index) != (key_share.trustee, key_share.index):
        raise ValueError(f"{key_share.trustee!r} cannot sign {share.trustee!r}'s share")
    body = {"unit": unit, "share": share.to_json()}
    return sign_message("decryption", manifest_hash, body, key_share.signing_key)


def verify_decryption_signature(
    unit: str,
    share: DecryptionShare,
    signature: bytes,
    verify_key: bytes,
    *,
    manifest_hash: bytes,
) -> None:
    """Check trustee j's signature on its decryption share of ``unit``.

    Raises:
        InvalidSignature: not j's signature (``verify_key`` is j's commitment's).
    """
    body = {"unit": unit, "share": share.to_json()}
    verify_message("decryption", manifest_hash, body, signature, verify_key, author=share.trustee)
