"""BLS witness keys, proofs of possession, aggregate cosignatures (crypto.witness).

Pairings in py-ecc cost a few tenths of a second each, so keys are made once
per module and each test does as few verifications as it can.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.errors import InvalidCosignature
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidProofOfPossession
from crypto.errors import InvalidSignature
from crypto.errors import NotEnoughCosignatures
from crypto.note import Checkpoint
from crypto.note import NoteSigner
from crypto.note import add_signatures
from crypto.note import sign_checkpoint as log_sign_checkpoint
from crypto.witness import AggregateCosignature
from crypto.witness import Roster
from crypto.witness import RosterMember
from crypto.witness import WitnessPublicKey
from crypto.witness import WitnessSecretKey
from crypto.witness import aggregate_cosignatures
from crypto.witness import aggregate_signatures
from crypto.witness import cosignature_line
from crypto.witness import cosignature_message
from crypto.witness import decode_bitmap
from crypto.witness import encode_bitmap
from crypto.witness import prove_possession
from crypto.witness import roster_key_id
from crypto.witness import sign_checkpoint
from crypto.witness import verify_aggregate_cosignature
from crypto.witness import verify_checkpoint_cosignature
from crypto.witness import verify_cosigned_checkpoint
from crypto.witness import verify_possession

ORIGIN = "urna.example/log/2026-11-29"
LOG = NoteSigner(ORIGIN, bytes(range(32)))


def _fixed(seed: int) -> WitnessSecretKey:
    return WitnessSecretKey.generate(rng=lambda n: bytes([seed]) * n)


@pytest.fixture(scope="module")
def secrets() -> list[WitnessSecretKey]:
    return [_fixed(i) for i in (1, 2, 3)]


@pytest.fixture(scope="module")
def roster(secrets: list[WitnessSecretKey]) -> Roster:
    members = [RosterMember(f"w{i}.example", s.public_key()) for i, s in enumerate(secrets)]
    return Roster("urna.example/log/2026-11-29/witnesses", tuple(members))


@pytest.fixture(scope="module")
def note() -> str:
    return log_sign_checkpoint(Checkpoint(ORIGIN, 5, hashlib.sha256(b"root").digest()), LOG)


@pytest.fixture(scope="module")
def text(note: str) -> str:
    return note[: note.rindex("\n\n") + 1]


@pytest.fixture(scope="module")
def signatures(secrets: list[WitnessSecretKey], text: str) -> list[bytes]:
    return [sign_checkpoint(s, text) for s in secrets]


def _with_line(note: str, aggregate: AggregateCosignature, roster: Roster) -> str:
    return add_signatures(note, [aggregate.line(roster.name)])


# --- keys and proofs of possession -------------------------------------------------


def test_secret_key_round_trips_and_hides_itself(secrets: list[WitnessSecretKey]) -> None:
    key = secrets[0]
    assert WitnessSecretKey.from_bytes(key.to_bytes()) == key
    assert str(key.value) not in repr(key)
    with pytest.raises(InvalidEncoding):
        WitnessSecretKey.from_bytes(b"\x00" * 32)
    with pytest.raises(InvalidEncoding):
        WitnessSecretKey.from_bytes(b"\xff" * 32)


def test_public_key_validation(secrets: list[WitnessSecretKey]) -> None:
    good = secrets[0].public_key()
    assert WitnessPublicKey.from_hex(good.hex()) == good
    identity = b"\xc0" + b"\x00" * 47
    for bad in (good.data[:47], identity, b"\x80" + b"\x11" * 47, good.hex().encode()):
        with pytest.raises(InvalidEncoding):
            WitnessPublicKey.from_bytes(bad)
    with pytest.raises(InvalidEncoding, match="lowercase"):
        WitnessPublicKey.from_hex(good.hex().upper())


def test_proof_of_possession_is_required_and_checked(
    secrets: list[WitnessSecretKey], signatures: list[bytes]
) -> None:
    proof = prove_possession(secrets[0])
    verify_possession(secrets[0].public_key(), proof)
    # a proof for another key, a cosignature used as a proof, a short proof: all refused
    for key, bad in (
        (secrets[1].public_key(), proof),
        (secrets[0].public_key(), signatures[0]),
        (secrets[0].public_key(), proof[:95]),
    ):
        with pytest.raises(InvalidProofOfPossession):
            verify_possession(key, bad)


# --- single cosignatures --------------------------------------------------------------


def test_single_cosignature(secrets: list[WitnessSecretKey], text: str) -> None:
    signature = sign_checkpoint(secrets[0], text)
    assert signature == sign_checkpoint(secrets[0], text)  # deterministic: resending is safe
    assert cosignature_message(text) == b"urna/v1/witness-cosignature\n" + text.encode()
    verify_checkpoint_cosignature(secrets[0].public_key(), text, signature)
    other = text.replace("\n5\n", "\n6\n")
    with pytest.raises(InvalidCosignature, match="does not verify"):
        verify_checkpoint_cosignature(secrets[0].public_key(), other, signature)
    with pytest.raises(InvalidCosignature, match="96 bytes"):
        verify_checkpoint_cosignature(secrets[0].public_key(), text, signature[:-1])
    line = cosignature_line("w0.example", secrets[0].public_key(), signature)
    assert line.startswith("— w0.example ") and line.endswith("\n")
    assert base64.b64decode(line.split()[2])[4:] == signature


# --- the bitmap ----------------------------------------------------------------------


def test_bitmap_bit_order_is_msb_first() -> None:
    assert encode_bitmap([0]) == b"\x80"
    assert encode_bitmap([0, 9]) == b"\x80\x40"
    assert encode_bitmap([7, 8, 15]) == b"\x01\x81"
    assert decode_bitmap(b"\x01\x81") == (7, 8, 15)


@given(st.sets(st.integers(min_value=0, max_value=2000), min_size=1, max_size=50))
def test_bitmap_round_trips(indexes: set[int]) -> None:
    assert decode_bitmap(encode_bitmap(indexes)) == tuple(sorted(indexes))


def test_bitmap_must_be_canonical() -> None:
    for bad in (b"", b"\x80\x00", b"\x00"):
        with pytest.raises(InvalidCosignature, match="bitmap"):
            decode_bitmap(bad)
    with pytest.raises(InvalidEncoding):
        encode_bitmap([])


# --- aggregates on a checkpoint ------------------------------------------------------


def test_two_of_three_verifies_with_required_up_to_two(
    roster: Roster, note: str, signatures: list[bytes]
) -> None:
    aggregate = aggregate_cosignatures({0: signatures[0], 2: signatures[2]})
    assert aggregate.signers == (0, 2)
    served = _with_line(note, aggregate, roster)
    result = verify_cosigned_checkpoint(served, str(LOG.verifier), roster, required=2)
    assert [w.name for w in result.witnesses] == ["w0.example", "w2.example"]
    assert result.checkpoint.size == 5
    with pytest.raises(NotEnoughCosignatures, match="2 of 3 witnesses cosigned, 3 required"):
        verify_cosigned_checkpoint(served, LOG.verifier, roster, required=3)


def test_aggregate_line_format(roster: Roster, signatures: list[bytes]) -> None:
    aggregate = aggregate_cosignatures({1: signatures[1]})
    line = aggregate.line(roster.name)
    name, blob = line.removeprefix("— ").removesuffix("\n").split(" ")
    payload = base64.b64decode(blob)
    assert name == roster.name
    assert payload[:4] == roster_key_id(roster.name)
    assert (
        payload[:4]
        == hashlib.sha256(roster.name.encode() + b"\n\xffurna/v1/bls12-381-aggregate").digest()[:4]
    )
    assert payload[4:5] == b"\x40"
    assert payload[5:] == aggregate.signature and len(payload) == 4 + 1 + 96


def test_tampered_bitmap_fails(roster: Roster, note: str, signatures: list[bytes]) -> None:
    aggregate = aggregate_cosignatures({0: signatures[0], 2: signatures[2]})
    # claims witnesses 0 and 1 signed: the aggregate does not verify for their keys
    swapped = AggregateCosignature((0, 1), aggregate.signature)
    with pytest.raises(InvalidCosignature, match="does not verify"):
        verify_cosigned_checkpoint(_with_line(note, swapped, roster), LOG.verifier, roster, 1)
    # claims a third witness: the aggregate no longer matches either
    extra = AggregateCosignature((0, 1, 2), aggregate.signature)
    with pytest.raises(InvalidCosignature, match="does not verify"):
        verify_cosigned_checkpoint(_with_line(note, extra, roster), LOG.verifier, roster, 1)
    # marks a witness the roster does not have: refused before any pairing
    beyond = AggregateCosignature((0, 3), aggregate.signature)
    with pytest.raises(InvalidCosignature, match="roster has 3"):
        verify_cosigned_checkpoint(_with_line(note, beyond, roster), LOG.verifier, roster, 1)


def test_tampered_signature_fails(roster: Roster, note: str, signatures: list[bytes]) -> None:
    aggregate = aggregate_cosignatures({0: signatures[0], 1: signatures[1]})
    # another valid G2 point (one witness's own signature) in place of the aggregate
    forged = AggregateCosignature((0, 1), signatures[0])
    with pytest.raises(InvalidCosignature, match="does not verify"):
        verify_cosigned_checkpoint(_with_line(note, forged, roster), LOG.verifier, roster, 1)
    # a flipped byte inside the signature: no longer a point of G2
    line = AggregateCosignature((0, 1), aggregate.signature).line(roster.name)
    blob = bytearray(base64.b64decode(line.split()[2]))
    blob[-46] ^= 0x01
    bad_line = f"— {roster.name} {base64.b64encode(bytes(blob)).decode()}\n"
    with pytest.raises(InvalidCosignature):
        verify_cosigned_checkpoint(add_signatures(note, [bad_line]), LOG.verifier, roster, 1)


def test_aggregating_refuses_non_points(signatures: list[bytes]) -> None:
    not_a_point = b"\x8f" + b"\xff" * 95
    for bad in ([signatures[0], not_a_point], [signatures[0][:95]]):
        with pytest.raises(InvalidCosignature):
            aggregate_signatures(bad)
    with pytest.raises(InvalidEncoding):
        aggregate_signatures([])


def test_checkpoint_changed_after_cosigning_fails(roster: Roster, signatures: list[bytes]) -> None:
    aggregate = aggregate_cosignatures({0: signatures[0]})
    other = log_sign_checkpoint(Checkpoint(ORIGIN, 6, hashlib.sha256(b"x").digest()), LOG)
    with pytest.raises(InvalidCosignature, match="does not verify"):
        verify_cosigned_checkpoint(_with_line(other, aggregate, roster), LOG.verifier, roster, 1)


def test_missing_or_duplicate_aggregate_line(
    roster: Roster, note: str, signatures: list[bytes]
) -> None:
    with pytest.raises(NotEnoughCosignatures, match="no aggregate cosignature"):
        verify_cosigned_checkpoint(note, LOG.verifier, roster, 1)
    line = aggregate_cosignatures({0: signatures[0]}).line(roster.name)
    with pytest.raises(InvalidCosignature, match="2 lines"):
        verify_cosigned_checkpoint(add_signatures(note, [line, line]), LOG.verifier, roster, 1)


def test_unknown_lines_are_ignored_and_log_signature_is_checked(
    roster: Roster, note: str, signatures: list[bytes]
) -> None:
    line = aggregate_cosignatures({1: signatures[1]}).line(roster.name)
    stranger = "— someone.example/w AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
    # same name, other key ID: another roster's line, ignored
    other_id = f"— {roster.name} {base64.b64encode(b'zzzz' + b'x' * 97).decode()}\n"
    served = add_signatures(note, [stranger, other_id, line])
    verify_cosigned_checkpoint(served, LOG.verifier, roster, 1)
    impostor = NoteSigner(ORIGIN, b"\x07" * 32)
    with pytest.raises(InvalidSignature):
        verify_cosigned_checkpoint(served, impostor.verifier, roster, 1)


def test_roster_rejects_duplicates_and_bad_names(secrets: list[WitnessSecretKey]) -> None:
    key = secrets[0].public_key()
    with pytest.raises(InvalidEncoding, match="once"):
        Roster("r.example", (RosterMember("a", key), RosterMember("b", key)))
    with pytest.raises(InvalidEncoding, match="spaces"):
        Roster("bad name", ())
    with pytest.raises(ValueError, match="at least 1"):
        verify_aggregate_cosignature(
            Roster("r.example", ()), "a\n", AggregateCosignature((0,), b"\x00"), 0
        )
