"""Trustees, t-of-n (crypto.trustees; docs/trustees.md): ceremony, complaints, decryption."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from nacl.public import Box
from nacl.public import PublicKey

from crypto.elgamal import Ciphertext
from crypto.elgamal import discrete_log
from crypto.elgamal import encrypt
from crypto.elgamal import sum_ciphertexts
from crypto.errors import DecryptionError
from crypto.errors import InvalidShare
from crypto.errors import NotEnoughShares
from crypto.group import G
from crypto.group import Point
from crypto.group import Scalar
from crypto.trustees import Ceremony
from crypto.trustees import Complaint
from crypto.trustees import DecryptionShare
from crypto.trustees import EncryptedShare
from crypto.trustees import combine_decryption_shares
from crypto.trustees import commit
from crypto.trustees import deal_shares
from crypto.trustees import decrypt_share
from crypto.trustees import derive_key_share
from crypto.trustees import derive_threshold_key
from crypto.trustees import lagrange_coefficient
from crypto.trustees import new_trustee
from crypto.trustees import open_share
from crypto.trustees import open_shares
from crypto.trustees import resolve_complaint
from crypto.trustees import reveal_share
from crypto.trustees import sign
from crypto.trustees import verify_commitment
from crypto.trustees import verify_commitments
from crypto.trustees import verify_decryption_share
from crypto.trustees import verify_revealed_share
from crypto.trustees import verify_signed
from tests.crypto.trustee_ceremony import MANIFEST_HASH
from tests.crypto.trustee_ceremony import CeremonyResult
from tests.crypto.trustee_ceremony import run_ceremony
from tests.crypto.trustee_ceremony import seeded_rng

VOTES = (1, 0, 1, 1, 0, 1, 1)
"""Seven yes/no ballots: 5 yes, 2 no."""


@pytest.fixture(scope="module")
def done() -> CeremonyResult:
    return run_ceremony()


@pytest.fixture(scope="module")
def totals(done: CeremonyResult) -> list[Ciphertext]:
    rng = seeded_rng(7)
    yes = [encrypt(v, done.key.public_key, rng=rng)[0] for v in VOTES]
    no = [encrypt(1 - v, done.key.public_key, rng=rng)[0] for v in VOTES]
    return [sum_ciphertexts(yes), sum_ciphertexts(no)]


@pytest.fixture(scope="module")
def partials(done: CeremonyResult, totals: list[Ciphertext]) -> list[DecryptionShare]:
    rng = seeded_rng(8)
    return [
        decrypt_share(k, done.key, totals, manifest_hash=MANIFEST_HASH, rng=rng)
        for k in done.key_shares
    ]


def _joint_secret(done: CeremonyResult) -> Scalar:
    total = Scalar(0)
    for s in done.secrets:
        total = total + s.coefficients[0]
    return total


# --- the ceremony ----------------------------------------------------------------


def test_ceremony_gives_consistent_keys(done: CeremonyResult) -> None:
    assert done.key.public_key == Point.base_times(_joint_secret(done))
    for share in done.key_shares:
        assert Point.base_times(share.secret) == done.key.verification_key(share.index)
    assert done.key.trustees == done.ceremony.trustees
    assert len(done.shares) == 5 * 4


def test_key_shares_interpolate_to_the_joint_secret(done: CeremonyResult) -> None:
    for subset in itertools.combinations(done.key_shares, 3):
        indices = [k.index for k in subset]
        secret = Scalar(0)
        for k in subset:
            secret = secret + lagrange_coefficient(k.index, indices) * k.secret
        assert secret == _joint_secret(done)


# --- threshold decryption --------------------------------------------------------


def test_every_three_of_five_subset_decrypts_the_same_total(
    done: CeremonyResult, totals: list[Ciphertext], partials: list[DecryptionShare]
) -> None:
    subsets = list(itertools.combinations(partials, 3))
    assert len(subsets) == 10
    for subset in subsets:
        result = combine_decryption_shares(
            done.key, totals, subset, manifest_hash=MANIFEST_HASH, bound=len(VOTES)
        )
        assert result == (5, 2)


def test_more_than_t_shares_also_decrypt(
    done: CeremonyResult, totals: list[Ciphertext], partials: list[DecryptionShare]
) -> None:
    for k in (4, 5):
        result = combine_decryption_shares(
            done.key, totals, partials[:k], manifest_hash=MANIFEST_HASH, bound=len(VOTES)
        )
        assert result == (5, 2)


def test_two_of_five_cannot_decrypt(
    done: CeremonyResult, totals: list[Ciphertext], partials: list[DecryptionShare]
) -> None:
    for pair in itertools.combinations(partials, 2):
        with pytest.raises(NotEnoughShares, match="t = 3 trustees, got 2"):
            combine_decryption_shares(
                done.key, totals, pair, manifest_hash=MANIFEST_HASH, bound=len(VOTES)
            )
    # Interpolating a degree-2 polynomial through two points gives a wrong x·α.
    first, second = partials[0], partials[1]
    indices = [first.index, second.index]
    x_alpha = first.shares[0] * lagrange_coefficient(first.index, indices) + second.shares[
        0
    ] * lagrange_coefficient(second.index, indices)
    wrong = totals[0].data - x_alpha
    assert wrong != Point.small_multiple(5)
    with pytest.raises(DecryptionError):
        discrete_log(wrong, bound=1000)


def test_duplicate_trustee_shares_are_refused(
    done: CeremonyResult, totals: list[Ciphertext], partials: list[DecryptionShare]
) -> None:
    twice = [partials[0], partials[1], partials[0]]
    with pytest.raises(ValueError, match="duplicate"):
        combine_decryption_shares(done.key, totals, twice, manifest_hash=MANIFEST_HASH, bound=9)


def test_trivial_ciphertext_of_an_empty_tally_decrypts_to_zero(done: CeremonyResult) -> None:
    empty = sum_ciphertexts([])
    shares = [
        decrypt_share(k, done.key, [empty], manifest_hash=MANIFEST_HASH, rng=seeded_rng(3))
        for k in done.key_shares[:3]
    ]
    shares = [DecryptionShare.from_json(s.to_json()) for s in shares]
    result = combine_decryption_shares(
        done.key, [empty], shares, manifest_hash=MANIFEST_HASH, bound=0
    )
    assert result == (0,)


@settings(max_examples=25, deadline=None)
@given(
    subset=st.sets(st.integers(min_value=1, max_value=5), min_size=3, max_size=5),
    alpha_seed=st.integers(min_value=1, max_value=2**64),
)
def test_any_t_subset_reconstructs_secret_times_alpha(subset: set[int], alpha_seed: int) -> None:
    done = _CEREMONY
    alpha = Point.base_times(Scalar.from_int(alpha_seed))
    x_alpha = Point.identity()
    for k in done.key_shares:
        if k.index in subset:
            x_alpha = x_alpha + (alpha * k.secret) * lagrange_coefficient(k.index, subset)
    assert x_alpha == alpha * _joint_secret(done)


_CEREMONY = run_ceremony(seed=2)


# --- decryption proofs -------------------------------------------------------------


def test_decryption_shares_verify(
    done: CeremonyResult, totals: list[Ciphertext], partials: list[DecryptionShare]
) -> None:
    for share in partials:
        verify_decryption_share(share, done.key, totals, manifest_hash=MANIFEST_HASH)


def test_tampered_decryption_share_names_the_trustee(
    done: CeremonyResult, totals: list[Ciphertext], partials: list[DecryptionShare]
) -> None:
    carol = partials[2]
    bad = dataclasses.replace(carol, shares=(carol.shares[0] + G, carol.shares[1]))
    with pytest.raises(InvalidShare, match="ciphertext 0 does not verify") as info:
        verify_decryption_share(bad, done.key, totals, manifest_hash=MANIFEST_HASH)
    assert info.value.trustee == "carol"
    # A bad share blocks combination and is named; another trustee's share replaces it.
    with pytest.raises(InvalidShare) as info:
        combine_decryption_shares(
            done.key, totals, [partials[0], bad, partials[4]], manifest_hash=MANIFEST_HASH, bound=9
        )
    assert info.value.trustee == "carol"
    good = [partials[0], partials[3], partials[4]]
    assert combine_decryption_shares(
        done.key, totals, good, manifest_hash=MANIFEST_HASH, bound=9
    ) == (5, 2)


@pytest.mark.parametrize("position", [0, 31, 32, 63])
def test_flipped_proof_byte_names_the_trustee(
    done: CeremonyResult, totals: list[Ciphertext], partials: list[DecryptionShare], position: int
) -> None:
    data = partials[1].to_json()
    proof = data["proofs"][1]
    raw = bytearray(bytes.fromhex(proof["c"] + proof["s"]))
    raw[position] ^= 0x01  # stays below L: the top byte of c and s is below 0x10 here
    data["proofs"][1] = {"c": raw[:32].hex(), "s": raw[32:].hex()}
    bad = DecryptionShare.from_json(data)
    with pytest.raises(InvalidShare, match="ciphertext 1") as info:
        verify_decryption_share(bad, done.key, totals, manifest_hash=MANIFEST_HASH)
    assert info.value.trustee == "bob"


def test_decryption_share_is_bound_to_manifest_ciphertexts_and_trustee(
    done: CeremonyResult, totals: list[Ciphertext], partials: list[DecryptionShare]
) -> None:
    share = partials[0]
    with pytest.raises(InvalidShare):
        verify_decryption_share(share, done.key, totals, manifest_hash=bytes(32))
    with pytest.raises(InvalidShare):
        verify_decryption_share(share, done.key, totals[::-1], manifest_hash=MANIFEST_HASH)
    with pytest.raises(InvalidShare, match="expected 1"):
        verify_decryption_share(share, done.key, totals[:1], manifest_hash=MANIFEST_HASH)
    as_bob = dataclasses.replace(share, trustee="bob", index=2)
    with pytest.raises(InvalidShare) as info:
        verify_decryption_share(as_bob, done.key, totals, manifest_hash=MANIFEST_HASH)
    assert info.value.trustee == "bob"
    misnamed = dataclasses.replace(share, trustee="mallory")
    with pytest.raises(InvalidShare, match="not trustee #1"):
        verify_decryption_share(misnamed, done.key, totals, manifest_hash=MANIFEST_HASH)


# --- commitments -----------------------------------------------------------------------


def test_commitments_verify(done: CeremonyResult) -> None:
    verify_commitments(done.ceremony, done.commitments)


@pytest.mark.parametrize("k", [0, 2])
def test_tampered_commitment_proof_is_rejected(done: CeremonyResult, k: int) -> None:
    dave = done.commitments[3]
    proofs = list(dave.proofs)
    flipped = bytearray(proofs[k].response.to_bytes())
    flipped[0] ^= 0x01
    proofs[k] = dataclasses.replace(proofs[k], response=Scalar.from_bytes(bytes(flipped)))
    with pytest.raises(InvalidShare, match=f"coefficient {k}") as info:
        verify_commitment(done.ceremony, dataclasses.replace(dave, proofs=tuple(proofs)))
    assert info.value.trustee == "dave"


def test_commitment_bound_to_coefficients_keys_index_and_ceremony(done: CeremonyResult) -> None:
    erin, other = done.commitments[4], done.commitments[0]
    swapped = dataclasses.replace(erin, coefficients=erin.coefficients[::-1])
    new_box = dataclasses.replace(erin, box_public=other.box_public)
    # a server presenting erin's coefficients under a signing key of its own
    new_signer = dataclasses.replace(erin, verify_key=other.verify_key)
    elsewhere = Ceremony(ceremony_id=bytes(32), threshold=3, trustees=done.ceremony.trustees)
    for ceremony, bad in [
        (done.ceremony, swapped),
        (done.ceremony, new_box),
        (done.ceremony, new_signer),
        (elsewhere, erin),
        (dataclasses.replace(done.ceremony, threshold=2), erin),
    ]:
        with pytest.raises(InvalidShare) as info:
            verify_commitment(ceremony, bad)
        assert info.value.trustee == "erin"
    with pytest.raises(InvalidShare, match="not trustee #5"):
        verify_commitment(done.ceremony, dataclasses.replace(erin, trustee="bob"))
    with pytest.raises(InvalidShare, match="more than one commitment") as info:
        verify_commitments(done.ceremony, [*done.commitments, erin])
    assert info.value.trustee == "erin"


def test_rogue_key_without_proof_cannot_cancel_the_others(done: CeremonyResult) -> None:
    # Erin tries C_50 = a·G − Σ others' C_i0 so that she alone knows the key.
    rogue = Point.base_times(Scalar.from_int(42))
    for c in done.commitments[:4]:
        rogue = rogue - c.coefficients[0]
    erin = done.commitments[4]
    bad = dataclasses.replace(erin, coefficients=(rogue, *erin.coefficients[1:]))
    with pytest.raises(InvalidShare, match="coefficient 0"):
        derive_threshold_key(done.ceremony, [*done.commitments[:4], bad])


# --- shares and complaints -----------------------------------------------------------


def _cheating_ceremony(
    done: CeremonyResult, *, cheat: str, victim: str, delta: int = 1
) -> list[EncryptedShare]:
    """Re-deal ``cheat``'s shares with f(j) + delta for ``victim`` (a correct Box)."""
    ceremony = done.ceremony
    i, j = ceremony.index_of(cheat), ceremony.index_of(victim)
    secrets = done.secrets[i - 1]
    bent = list(secrets.coefficients)
    bent[0] = bent[0] + Scalar.from_int(delta)  # f'(x) = f(x) + delta, dealt only to j
    crooked = dataclasses.replace(secrets, coefficients=tuple(bent))
    bad = deal_shares(ceremony, crooked, done.commitments, rng=seeded_rng(11))
    shares = [s for s in done.shares if not (s.sender_index == i and s.recipient_index == j)]
    return [*shares, next(s for s in bad if s.recipient_index == j)]


def test_bad_share_names_the_sender(done: CeremonyResult) -> None:
    shares = _cheating_ceremony(done, cheat="bob", victim="carol")
    carol = done.secrets[2]
    from_bob = next(s for s in shares if s.sender_index == 2 and s.recipient_index == 3)
    with pytest.raises(InvalidShare, match="does not match its published commitments") as info:
        open_share(done.ceremony, carol, done.commitments[1], from_bob)
    assert info.value.trustee == "bob"
    received = open_shares(done.ceremony, carol, done.commitments, shares)
    assert received.complaints == (
        sign(
            done.ceremony,
            carol,
            Complaint(
                accuser="carol",
                accuser_index=3,
                accused="bob",
                accused_index=2,
                reason="wrong-share",
            ),
        ),
    )
    verify_signed(done.ceremony, done.commitments, received.complaints[0])
    assert sorted(received.shares) == [1, 4, 5]


def test_cheating_accused_is_disqualified(done: CeremonyResult) -> None:
    shares = _cheating_ceremony(done, cheat="bob", victim="carol")
    ceremony, carol = done.ceremony, done.secrets[2]
    (complaint,) = open_shares(ceremony, carol, done.commitments, shares).complaints
    # Bob answers with the same wrong value he boxed, or does not answer at all.
    honest_answer = reveal_share(ceremony, done.secrets[1], complaint)
    lie = dataclasses.replace(honest_answer, share=honest_answer.share + Scalar.from_int(1))
    for answer in (lie, None):
        with pytest.raises(InvalidShare) as info:
            resolve_complaint(ceremony, complaint, done.commitments, answer)
        assert info.value.trustee == "bob"
    # Without Bob the four others still make a working 3-of-5 key.
    qualified = [c for c in done.commitments if c.trustee != "bob"]
    key = derive_threshold_key(ceremony, qualified)
    key_shares = []
    for s in done.secrets:
        received = open_shares(ceremony, s, qualified, shares)
        assert received.complaints == ()
        key_shares.append(derive_key_share(ceremony, s, qualified, received.shares))
    ct, _ = encrypt(3, key.public_key, rng=seeded_rng(12))
    partials = [
        decrypt_share(k, key, [ct], manifest_hash=MANIFEST_HASH, rng=seeded_rng(13))
        for k in (key_shares[1], key_shares[2], key_shares[4])
    ]
    assert combine_decryption_shares(key, [ct], partials, manifest_hash=MANIFEST_HASH, bound=9) == (
        3,
    )


def test_honest_accused_is_cleared_and_the_revealed_share_is_used(done: CeremonyResult) -> None:
    ceremony, alice = done.ceremony, done.secrets[0]
    # Alice falsely claims Dave's (good) share did not decrypt.
    complaint = Complaint(
        accuser="alice", accuser_index=1, accused="dave", accused_index=4, reason="undecryptable"
    )
    answer = reveal_share(ceremony, done.secrets[3], complaint)
    verify_revealed_share(ceremony, done.commitments[3], answer)
    value = resolve_complaint(ceremony, complaint, done.commitments, answer)
    received = open_shares(ceremony, alice, done.commitments, done.shares).shares
    assert value == received[4]
    key_share = derive_key_share(ceremony, alice, done.commitments, {**received, 4: value})
    assert key_share.secret == done.key_shares[0].secret
    # Dave's answer cannot be reused for another complaint.
    other = dataclasses.replace(complaint, accuser="bob", accuser_index=2)
    with pytest.raises(InvalidShare, match="different complaint"):
        resolve_complaint(ceremony, other, done.commitments, answer)
    with pytest.raises(ValueError, match="accuses 'dave'"):
        reveal_share(ceremony, done.secrets[2], complaint)


def test_undecryptable_missing_and_duplicate_shares_produce_complaints(
    done: CeremonyResult,
) -> None:
    ceremony, erin = done.ceremony, done.secrets[4]
    to_erin = {s.sender_index: s for s in done.shares if s.recipient_index == 5}
    garbled = bytearray(to_erin[1].ciphertext)
    garbled[-1] ^= 0x80
    misrouted = dataclasses.replace(to_erin[3], ciphertext=to_erin[2].ciphertext)
    shares = [
        dataclasses.replace(to_erin[1], ciphertext=bytes(garbled)),  # alice: undecryptable
        # bob: missing
        misrouted,  # carol: bob's ciphertext under carol's name
        to_erin[4],
        to_erin[4],  # dave: twice
    ]
    received = open_shares(ceremony, erin, done.commitments, shares)
    reasons = {c.accused: c.reason for c in received.complaints}
    assert reasons == {
        "alice": "undecryptable",
        "bob": "missing",
        "carol": "undecryptable",
        "dave": "duplicate",
    }
    assert received.shares == {}
    with pytest.raises(InvalidShare, match="does not decrypt") as info:
        open_share(ceremony, erin, done.commitments[2], misrouted)
    assert info.value.trustee == "carol"


def test_share_from_another_ceremony_is_refused(done: CeremonyResult) -> None:
    # Same Box keys, same polynomial, but a different ceremony id in the plaintext.
    ceremony = done.ceremony
    elsewhere = dataclasses.replace(ceremony, ceremony_id=b"\xee" * 32)
    replayed = deal_shares(elsewhere, done.secrets[0], _recommit(elsewhere, done))
    share = next(s for s in replayed if s.recipient_index == 2)
    with pytest.raises(InvalidShare, match="not for this ceremony") as info:
        open_share(ceremony, done.secrets[1], done.commitments[0], share)
    assert info.value.trustee == "alice"


def _recommit(ceremony: Ceremony, done: CeremonyResult) -> list:
    return [commit(ceremony, s, rng=seeded_rng(5)) for s in done.secrets]


def test_new_trustee_refuses_unknown_names(done: CeremonyResult) -> None:
    with pytest.raises(ValueError, match="not a trustee"):
        new_trustee(done.ceremony, "mallory")


# --- the byte layouts of docs/trustees.md, recomputed independently -----------------


def _lp(*parts: bytes) -> bytes:
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


def _h(*parts: bytes) -> Scalar:
    return Scalar.from_int(int.from_bytes(hashlib.sha512(_lp(*parts)).digest(), "little"))


def test_layouts_match_the_documentation(
    done: CeremonyResult, totals: list[Ciphertext], partials: list[DecryptionShare]
) -> None:
    c = done.ceremony
    names = [n.encode() for n in c.trustees]
    h_c = hashlib.sha512(
        _lp(b"urna/v1/trustee-ceremony", c.ceremony_id, b"\0\0\0\3", b"\0\0\0\5", *names)
    ).digest()
    assert c.digest() == h_c
    # Step 2: the Schnorr challenge of C_21.
    bob = done.commitments[1]
    proof, point = bob.proofs[1], bob.coefficients[1]
    a = Point.base_times(proof.response) - point * proof.challenge
    ctx = [
        b"urna/v1/trustee-coefficient",
        h_c,
        b"\0\0\0\2",
        bob.box_public,
        bob.verify_key,
        b"\0\0\0\1",
    ]
    assert _h(b"urna/v1/schnorr", *ctx, point.encoded, a.encoded) == proof.challenge
    # Step 4: the box plaintext from alice to bob.
    share = next(s for s in done.shares if (s.sender_index, s.recipient_index) == (1, 2))
    box = Box(done.secrets[1].box_key, PublicKey(done.commitments[0].box_public))
    plain = box.decrypt(share.ciphertext[24:], share.ciphertext[:24])
    assert plain[:72] == h_c + b"\0\0\0\1\0\0\0\2"
    assert plain[72:] == done.secrets[0].evaluate(2).to_bytes()
    # Step 8: the Chaum–Pedersen challenge of carol's share of the second total.
    carol, ct = partials[2], totals[1]
    d, proof2 = carol.shares[1], carol.proofs[1]
    x3 = done.key.verification_key(3)
    a1 = Point.base_times(proof2.response) - x3 * proof2.challenge
    a2 = ct.pad * proof2.response - d * proof2.challenge
    ctx2 = [b"urna/v1/decryption-share", MANIFEST_HASH, done.key.public_key.encoded, b"\0\0\0\3"]
    statement = [ct.pad.encoded + ct.data.encoded, ct.pad.encoded, x3.encoded, d.encoded]
    challenge = _h(b"urna/v1/chaum-pedersen", *ctx2, *statement, a1.encoded, a2.encoded)
    assert challenge == proof2.challenge
