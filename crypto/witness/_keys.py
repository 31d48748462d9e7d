"""Witness keys and cosignatures with BLS12-381 (docs/witnesses.md).

Signatures follow the IETF BLS signature draft (draft-irtf-cfrg-bls-signature-05),
proof-of-possession ciphersuite ``BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_``
as implemented by ``py_ecc.bls.G2ProofOfPossession``: public keys are 48-byte
compressed G1 points, signatures 96-byte compressed G2 points.

Every witness signs the same message for a checkpoint,
``urna/v1/witness-cosignature\\n`` followed by the checkpoint's note text (its
body, with the final newline, without signature lines), so that the log can
add the signatures into one aggregate (:mod:`crypto.witness._roster`). Because
all witnesses sign one message, a rogue-key attack must be stopped by proofs of
possession: a public key joins a roster only with a verified proof.

A single witness's cosignature is written as a C2SP signed-note signature line
``— <witness name> base64(key ID ‖ 96-byte signature)`` with
``key ID = SHA-256(name ‖ 0x0A ‖ 0xFF ‖ "urna/v1/bls12-381-cosignature" ‖ public key)[:4]``
(signature type 0xFF: "without an identifier byte", followed by a longer one).
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from eth_typing import BLSPubkey
from eth_typing import BLSSignature
from py_ecc.bls import G2ProofOfPossession as _Bls
from py_ecc.bls.g2_primitives import G2_to_signature
from py_ecc.bls.g2_primitives import pubkey_to_G1
from py_ecc.bls.g2_primitives import signature_to_G2
from py_ecc.fields import optimized_bls12_381_FQ as FQ
from py_ecc.fields import optimized_bls12_381_FQ2 as FQ2
from py_ecc.fields import optimized_bls12_381_FQ12 as FQ12
from py_ecc.optimized_bls12_381 import G1
from py_ecc.optimized_bls12_381 import Z2
from py_ecc.optimized_bls12_381 import add
from py_ecc.optimized_bls12_381 import curve_order
from py_ecc.optimized_bls12_381 import final_exponentiate
from py_ecc.optimized_bls12_381 import is_inf
from py_ecc.optimized_bls12_381 import neg
from py_ecc.optimized_bls12_381 import pairing
from py_ecc.typing import Optimized_Point3D

from crypto.encoding import unhex
from crypto.errors import InvalidCosignature
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidProofOfPossession
from crypto.group import RandomBytes
from crypto.group import secure_random
from crypto.witness._g2 import hash_to_g2
from crypto.witness._g2 import in_g1
from crypto.witness._g2 import in_g2

__all__ = [
    "COSIGNATURE_CONTEXT",
    "PUBLIC_KEY_SIZE",
    "SIGNATURE_SIZE",
    "WitnessPublicKey",
    "WitnessSecretKey",
    "aggregate_signatures",
    "check_key_name",
    "cosignature_key_id",
    "cosignature_line",
    "cosignature_message",
    "parse_signature",
    "parse_witness_verifier_key",
    "prove_possession",
    "sign_checkpoint",
    "verify_checkpoint_cosignature",
    "verify_possession",
    "witness_verifier_key",
]

COSIGNATURE_CONTEXT = b"urna/v1/witness-cosignature\n"
"""Domain separation prefix of the message every witness signs."""
PUBLIC_KEY_SIZE = 48
SIGNATURE_SIZE = 96
SECRET_KEY_SIZE = 32
SIGNATURE_TYPE_OTHER = b"\xff"
"""signed-note signature type for schemes without an assigned identifier byte."""
_COSIGNATURE_ID = b"urna/v1/bls12-381-cosignature"
_MAX_KEY_NAME = 256
_VALIDATED_KEYS = 1 << 14
"""How many validated public keys a process remembers (16 rosters of 1,000 witnesses)."""
_VALIDATED_SIGNATURES = 256

G1Point = Optimized_Point3D[FQ]
G2Point = Optimized_Point3D[FQ2]


@functools.lru_cache(maxsize=_VALIDATED_KEYS)
def _validated_key_point(data: bytes) -> G1Point:
    """KeyValidate once per key and process: decode, not the identity, in G1 (~5 ms).

    The result is remembered (a key is public and immutable), so a roster's
    keys are checked when the roster is built and never again at each
    verification; a key that fails is not remembered and fails again.
    """
    try:
        point = pubkey_to_G1(BLSPubkey(data))
    except (ValueError, AssertionError) as exc:
        raise InvalidEncoding("witness public key is not a valid BLS12-381 G1 point") from exc
    if is_inf(point) or not in_g1(point):
        raise InvalidEncoding("witness public key is not a valid BLS12-381 G1 point")
    return point


@dataclass(frozen=True, slots=True)
class WitnessPublicKey:
    """A validated BLS12-381 public key (compressed G1 point, not the identity, in G1)."""

    data: bytes

    @classmethod
    def from_bytes(cls, data: bytes) -> WitnessPublicKey:
        """Validate a 48-byte public key.

        Raises:
            InvalidEncoding: wrong length, not a point, the identity, or outside G1.
        """
        if not isinstance(data, bytes) or len(data) != PUBLIC_KEY_SIZE:
            size = len(data) if isinstance(data, bytes) else type(data).__name__
            raise InvalidEncoding(f"a witness public key is {PUBLIC_KEY_SIZE} bytes, got {size}")
        _validated_key_point(data)
        return cls(data)

    def point(self) -> G1Point:
        """The validated G1 point (checked on first use in this process, then remembered).

        Raises:
            InvalidEncoding: not a point of G1 other than the identity.
        """
        return _validated_key_point(self.data)

    @classmethod
    def from_hex(cls, text: object) -> WitnessPublicKey:
        """Validate a public key given as 96 lowercase hex digits."""
        return cls.from_bytes(unhex(text, PUBLIC_KEY_SIZE, what="witness public key"))

    def hex(self) -> str:
        return self.data.hex()


@dataclass(frozen=True, slots=True)
class WitnessSecretKey:
    """A BLS12-381 secret key: an integer in [1, r). Its repr never shows the value."""

    value: int

    def __post_init__(self) -> None:
        if not 0 < self.value < curve_order:
            raise InvalidEncoding("witness secret key is out of range")

    def __repr__(self) -> str:
        return "WitnessSecretKey(<secret>)"

    @classmethod
    def generate(cls, *, rng: RandomBytes = secure_random) -> WitnessSecretKey:
        """KeyGen from 32 bytes of input keying material drawn from ``rng``."""
        return cls(_Bls.KeyGen(rng(SECRET_KEY_SIZE)))

    @classmethod
    def from_bytes(cls, data: bytes) -> WitnessSecretKey:
        """Decode 32 big-endian bytes (the draft's I2OSP encoding)."""
        if not isinstance(data, bytes) or len(data) != SECRET_KEY_SIZE:
            raise InvalidEncoding(f"a witness secret key is {SECRET_KEY_SIZE} bytes")
        return cls(int.from_bytes(data, "big"))

    def to_bytes(self) -> bytes:
        return self.value.to_bytes(SECRET_KEY_SIZE, "big")

    def public_key(self) -> WitnessPublicKey:
        return WitnessPublicKey(_Bls.SkToPk(self.value))


def check_key_name(name: object, *, what: str = "key name") -> str:
    """Return ``name`` if it is a valid signed-note key name.

    Raises:
        InvalidEncoding: empty, too long, or containing spaces, ``+`` or control characters.
    """
    if not isinstance(name, str) or not name:
        raise InvalidEncoding(f"{what} must be a non-empty string")
    if len(name) > _MAX_KEY_NAME:
        raise InvalidEncoding(f"{what} is longer than {_MAX_KEY_NAME} characters")
    if any(c.isspace() or c == "+" or ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        raise InvalidEncoding(f"{what} must not contain spaces, '+' or control characters")
    return name


def prove_possession(secret: WitnessSecretKey) -> bytes:
    """PopProve: the 96-byte proof that the holder of ``secret`` registers its public key."""
    return bytes(_Bls.PopProve(secret.value))


def verify_possession(public_key: WitnessPublicKey, proof: bytes) -> None:
    """PopVerify.

    Raises:
        InvalidProofOfPossession: the proof is malformed or does not match the key.
    """
    if not isinstance(proof, bytes) or len(proof) != SIGNATURE_SIZE:
        raise InvalidProofOfPossession(f"a proof of possession is {SIGNATURE_SIZE} bytes")
    if not _Bls.PopVerify(BLSPubkey(public_key.data), BLSSignature(proof)):
        raise InvalidProofOfPossession("proof of possession does not verify for this public key")


def cosignature_message(checkpoint_text: str) -> bytes:
    """The message every witness signs for a checkpoint (its note text)."""
    _check_note_text(checkpoint_text)
    return COSIGNATURE_CONTEXT + checkpoint_text.encode()


def sign_checkpoint(secret: WitnessSecretKey, checkpoint_text: str) -> bytes:
    """Sign :func:`cosignature_message` of ``checkpoint_text``; 96 bytes, deterministic."""
    return bytes(_Bls.Sign(secret.value, cosignature_message(checkpoint_text)))


def verify_checkpoint_cosignature(
    public_key: WitnessPublicKey, checkpoint_text: str, signature: bytes
) -> None:
    """Verify one witness's BLS cosignature of a checkpoint.

    Raises:
        InvalidCosignature: the signature is malformed or does not verify.
    """
    signature = parse_signature(signature)
    message = cosignature_message(checkpoint_text)
    try:
        key = public_key.point()
    except InvalidEncoding as exc:
        raise InvalidCosignature(f"the witness's public key is unusable: {exc}") from exc
    if not core_verify(key, message, signature):
        raise InvalidCosignature("witness cosignature does not verify for this checkpoint")


def aggregate_signatures(signatures: Sequence[bytes]) -> bytes:
    """Aggregate: the sum of the signatures, as the BLS draft defines it.

    Each input is decoded (a point on the curve) but not checked for
    membership in G2, which costs tens of milliseconds per point: the inputs
    are cosignatures that were verified on arrival, and every verification of
    the aggregate checks the sum.

    Raises:
        InvalidEncoding: no signature.
        InvalidCosignature: an input that is not 96 bytes encoding a curve point.
    """
    if not signatures:
        raise InvalidEncoding("nothing to aggregate")
    total = Z2
    for signature in signatures:
        total = add(total, _decode_signature(signature))
    return bytes(G2_to_signature(total))


def _decode_signature(signature: object) -> G2Point:
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_SIZE:
        raise InvalidCosignature(f"a BLS signature is {SIGNATURE_SIZE} bytes")
    try:
        return signature_to_G2(BLSSignature(signature))
    except (ValueError, AssertionError) as exc:
        raise InvalidCosignature("BLS signature is not a valid G2 point encoding") from exc


def parse_signature(signature: bytes) -> bytes:
    """Check that ``signature`` is 96 bytes encoding a point of G2.

    Raises:
        InvalidCosignature: wrong type or length, or not a valid G2 point.
    """
    signature_point(signature)
    return signature


def signature_point(signature: object) -> G2Point:
    """The G2 point of a 96-byte signature, subgroup-checked (remembered for the last few).

    Raises:
        InvalidCosignature: wrong type or length, or not a valid G2 point.
    """
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_SIZE:
        raise InvalidCosignature(f"a BLS signature is {SIGNATURE_SIZE} bytes")
    return _validated_signature_point(signature)


@functools.lru_cache(maxsize=_VALIDATED_SIGNATURES)
def _validated_signature_point(signature: bytes) -> G2Point:
    point = _decode_signature(signature)
    if not in_g2(point):
        raise InvalidCosignature("BLS signature is not in the G2 subgroup")
    return point


def core_verify(key: G1Point, message: bytes, signature: bytes) -> bool:
    """The draft's CoreVerify on a validated key point: ``e(σ, g1) · e(H(m), -pk) = 1``.

    ``key`` must come from :meth:`WitnessPublicKey.point` or be a sum of such
    points (proofs of possession make the sum safe); the signature is
    subgroup-checked here (or was, when it was parsed).
    """
    if is_inf(key):
        return False
    try:
        sigma = signature_point(signature)
    except InvalidCosignature:
        return False
    hashed = hash_to_g2(message, _Bls.DST, _Bls.xmd_hash_function)
    product = pairing(sigma, G1, final_exponentiate=False) * pairing(
        hashed, neg(key), final_exponentiate=False
    )
    return bool(final_exponentiate(product) == FQ12.one())


def cosignature_key_id(name: str, public_key: WitnessPublicKey) -> bytes:
    """The 4-byte signed-note key ID of a witness's single BLS cosignature line."""
    check_key_name(name, what="witness name")
    material = name.encode() + b"\n" + SIGNATURE_TYPE_OTHER + _COSIGNATURE_ID
    return hashlib.sha256(material + public_key.data).digest()[:4]


def cosignature_line(name: str, public_key: WitnessPublicKey, signature: bytes) -> str:
    """The signed-note line ``— <name> base64(key ID ‖ signature)`` with its newline."""
    payload = cosignature_key_id(name, public_key) + parse_signature(signature)
    return f"— {name} {base64.b64encode(payload).decode()}\n"


def _check_note_text(text: object) -> None:
    if not isinstance(text, str) or not text.endswith("\n") or "\n\n" in text:
        raise InvalidEncoding("a checkpoint text is non-empty lines, each ending in a newline")


def witness_verifier_key(name: str, public_key: WitnessPublicKey) -> str:
    """A witness's verifier key text: ``<name>+<hex key ID>+base64(0xFF ‖ public key)``.

    The key ID is :func:`cosignature_key_id`, so a copying mistake in the
    name or the key is caught when the text is parsed. This is the line
    format of a verifier's ``--roster`` file (docs/witnesses.md).
    """
    key_id = cosignature_key_id(name, public_key).hex()
    material = base64.b64encode(SIGNATURE_TYPE_OTHER + public_key.data).decode()
    return f"{name}+{key_id}+{material}"


def parse_witness_verifier_key(text: object) -> tuple[str, WitnessPublicKey]:
    """Parse :func:`witness_verifier_key` text into the name and the validated key.

    Raises:
        InvalidEncoding: not three ``+``-separated parts, not base64, another
            type byte, an invalid BLS key, or a key ID that does not match.
    """
    parts = text.strip().split("+", 2) if isinstance(text, str) else []
    if len(parts) != 3:
        raise InvalidEncoding("a witness verifier key is '<name>+<hex key ID>+<base64 key>'")
    name, key_id, material = parts
    check_key_name(name, what="witness name")
    try:
        raw = base64.b64decode(material, validate=True)
    except ValueError as exc:
        raise InvalidEncoding(f"the key of witness {name!r} is not base64") from exc
    if raw[:1] != SIGNATURE_TYPE_OTHER or len(raw) != 1 + PUBLIC_KEY_SIZE:
        raise InvalidEncoding(
            f"the key of witness {name!r} is not 0xFF followed by a {PUBLIC_KEY_SIZE}-byte "
            "BLS12-381 public key"
        )
    public_key = WitnessPublicKey.from_bytes(raw[1:])
    if key_id != cosignature_key_id(name, public_key).hex():
        raise InvalidEncoding(
            f"the key ID {key_id!r} of witness {name!r} does not match its name and key "
            "(a copying mistake?)"
        )
    return name, public_key
