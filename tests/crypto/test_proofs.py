"""Schnorr, Chaum–Pedersen and range proofs: honest proofs verify, every tampering fails."""

from __future__ import annotations

import pytest

from crypto.elgamal import KeyPair
from crypto.elgamal import encrypt
from crypto.elgamal import generate_keypair
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidProof
from crypto.errors import ProofRefused
from crypto.group import G
from crypto.group import Point
from crypto.group import RandomBytes
from crypto.group import Scalar
from crypto.proofs import ChaumPedersenProof
from crypto.proofs import RangeProof
from crypto.proofs import SchnorrProof
from crypto.proofs import prove_equal_logs
from crypto.proofs import prove_knowledge
from crypto.proofs import prove_range
from crypto.proofs import verify_equal_logs
from crypto.proofs import verify_knowledge
from crypto.proofs import verify_range

CONTEXT = [b"manifest-hash", b"trustee-1"]


def _flip_scalar(s: Scalar) -> Scalar:
    return Scalar.from_int(s.value ^ 1)


# --- Schnorr ---


def test_schnorr_honest_and_tampered(keypair: KeyPair, rng: RandomBytes) -> None:
    proof = prove_knowledge(keypair.secret, keypair.public, context=CONTEXT, rng=rng)
    verify_knowledge(proof, keypair.public, context=CONTEXT)
    assert SchnorrProof.from_json(proof.to_json()) == proof
    bad_proofs = [
        SchnorrProof(_flip_scalar(proof.challenge), proof.response),
        SchnorrProof(proof.challenge, _flip_scalar(proof.response)),
    ]
    for bad in bad_proofs:
        with pytest.raises(InvalidProof, match="Schnorr"):
            verify_knowledge(bad, keypair.public, context=CONTEXT)
    with pytest.raises(InvalidProof):
        verify_knowledge(proof, keypair.public, context=[b"other context"])
    with pytest.raises(InvalidProof):
        verify_knowledge(proof, keypair.public + G, context=CONTEXT)


def test_schnorr_refuses_wrong_secret(keypair: KeyPair) -> None:
    with pytest.raises(ProofRefused):
        prove_knowledge(keypair.secret + Scalar.from_int(1), keypair.public, context=CONTEXT)


# --- Chaum–Pedersen ---


def test_chaum_pedersen_honest_and_tampered(keypair: KeyPair, rng: RandomBytes) -> None:
    alpha = Point.base_times(Scalar.from_int(987654321))
    share = alpha * keypair.secret
    proof = prove_equal_logs(
        keypair.secret, base=alpha, public=keypair.public, result=share, context=CONTEXT, rng=rng
    )
    verify_equal_logs(proof, base=alpha, public=keypair.public, result=share, context=CONTEXT)
    assert ChaumPedersenProof.from_json(proof.to_json()) == proof
    with pytest.raises(InvalidProof, match="Chaum"):
        verify_equal_logs(
            proof, base=alpha, public=keypair.public, result=share + G, context=CONTEXT
        )
    with pytest.raises(InvalidProof):
        verify_equal_logs(
            ChaumPedersenProof(proof.challenge, _flip_scalar(proof.response)),
            base=alpha,
            public=keypair.public,
            result=share,
            context=CONTEXT,
        )
    with pytest.raises(InvalidProof):
        verify_equal_logs(proof, base=alpha, public=keypair.public, result=share, context=[b"x"])


def test_chaum_pedersen_refuses_false_statement(keypair: KeyPair) -> None:
    alpha = Point.base_times(Scalar.from_int(5))
    with pytest.raises(ProofRefused):
        prove_equal_logs(
            keypair.secret, base=alpha, public=keypair.public, result=alpha, context=CONTEXT
        )


# --- Range proofs ---


@pytest.mark.parametrize(("lo", "hi", "m"), [(0, 1, 0), (0, 1, 1), (0, 3, 2), (2, 5, 5), (1, 1, 1)])
def test_range_proof_honest(keypair: KeyPair, lo: int, hi: int, m: int) -> None:
    ct, r = encrypt(m, keypair.public)
    proof = prove_range(ct, value=m, nonce=r, public=keypair.public, lo=lo, hi=hi, context=CONTEXT)
    verify_range(proof, ct, public=keypair.public, lo=lo, hi=hi, context=CONTEXT)
    assert RangeProof.from_json(proof.to_json()) == proof


@pytest.mark.parametrize(("lo", "hi", "m"), [(0, 1, 2), (0, 1, -1), (2, 4, 1), (0, 3, 7)])
def test_range_prover_refuses_out_of_range(keypair: KeyPair, lo: int, hi: int, m: int) -> None:
    ct, r = encrypt(max(m, 0), keypair.public)
    with pytest.raises(ProofRefused, match="outside the range"):
        prove_range(ct, value=m, nonce=r, public=keypair.public, lo=lo, hi=hi, context=CONTEXT)


def test_range_proof_for_value_two_cannot_be_forged(keypair: KeyPair, rng: RandomBytes) -> None:
    # A proof made honestly for an encryption of 1 does not carry over to an
    # encryption of 2 that shares the same pad.
    ct1, r = encrypt(1, keypair.public)
    proof = prove_range(ct1, value=1, nonce=r, public=keypair.public, lo=0, hi=1, context=CONTEXT)
    ct2 = type(ct1)(pad=ct1.pad, data=ct1.data + G)
    with pytest.raises(InvalidProof):
        verify_range(proof, ct2, public=keypair.public, lo=0, hi=1, context=CONTEXT)


def test_range_proof_every_byte_flip_fails(keypair: KeyPair) -> None:
    ct, r = encrypt(1, keypair.public)
    proof = prove_range(ct, value=1, nonce=r, public=keypair.public, lo=0, hi=1, context=CONTEXT)
    encoded = proof.to_json()
    for branch in range(len(encoded)):
        for field in ("c", "s"):
            raw = bytearray(bytes.fromhex(encoded[branch][field]))
            for position in range(32):
                mutated = bytearray(raw)
                mutated[position] ^= 0x01
                tampered = [dict(b) for b in encoded]
                tampered[branch][field] = mutated.hex()
                try:
                    bad = RangeProof.from_json(tampered)
                except InvalidEncoding:
                    continue  # the flip made the scalar non-canonical: refused earlier
                with pytest.raises(InvalidProof):
                    verify_range(bad, ct, public=keypair.public, lo=0, hi=1, context=CONTEXT)


def test_range_proof_wrong_branch_count(keypair: KeyPair) -> None:
    ct, r = encrypt(1, keypair.public)
    proof = prove_range(ct, value=1, nonce=r, public=keypair.public, lo=0, hi=1, context=CONTEXT)
    with pytest.raises(InvalidProof, match="branches"):
        verify_range(proof, ct, public=keypair.public, lo=0, hi=2, context=CONTEXT)


def test_range_proof_bound_to_key(keypair: KeyPair) -> None:
    other = generate_keypair()
    ct, r = encrypt(1, keypair.public)
    proof = prove_range(ct, value=1, nonce=r, public=keypair.public, lo=0, hi=1, context=CONTEXT)
    with pytest.raises(InvalidProof):
        verify_range(proof, ct, public=other.public, lo=0, hi=1, context=CONTEXT)


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {},
        [{"c": "00" * 32}],
        [{"c": "00" * 32, "s": "00" * 31}],
        [{"c": "ff" * 32, "s": "00" * 32}],
    ],
)
def test_range_proof_json_refuses_malformed(bad: object) -> None:
    with pytest.raises(InvalidEncoding):
        RangeProof.from_json(bad)
