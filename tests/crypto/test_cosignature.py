"""C2SP cosignature/v1 (Ed25519) lines of outside witnesses (crypto.witness.cosignature)."""

from __future__ import annotations

import base64
import hashlib

import nacl.signing
import pytest

from crypto.errors import InvalidCosignature
from crypto.errors import InvalidEncoding
from crypto.note import Checkpoint
from crypto.note import NoteSigner
from crypto.note import add_signatures
from crypto.note import sign_checkpoint
from crypto.witness.cosignature import CosignerKey
from crypto.witness.cosignature import cosignature_v1_line
from crypto.witness.cosignature import cosignature_v1_message
from crypto.witness.cosignature import verify_cosignature_v1

ORIGIN = "urna.example/log/2026-11-29"
WITNESS = nacl.signing.SigningKey(b"\x05" * 32)
KEY = CosignerKey("witness.example/w1", bytes(WITNESS.verify_key))


@pytest.fixture()
def note() -> str:
    log = NoteSigner(ORIGIN, b"\x01" * 32)
    return sign_checkpoint(Checkpoint(ORIGIN, 3, hashlib.sha256(b"r").digest()), log)


def test_message_layout() -> None:
    assert cosignature_v1_message("o\n1\nr\n", 1679315147) == (
        b"cosignature/v1\ntime 1679315147\no\n1\nr\n"
    )
    with pytest.raises(InvalidEncoding):
        cosignature_v1_message("o\n1\nr\n", -1)


def test_vkey_round_trip_and_key_id() -> None:
    assert CosignerKey.from_vkey(KEY.vkey()) == KEY
    material = b"witness.example/w1\n\x04" + KEY.public_key
    assert KEY.key_id == hashlib.sha256(material).digest()[:4]
    wrong_id = KEY.vkey().replace(KEY.key_id.hex(), "00000000")
    with pytest.raises(InvalidEncoding, match="key ID"):
        CosignerKey.from_vkey(wrong_id)


def test_sign_and_verify(note: str) -> None:
    text = note[: note.rindex("\n\n") + 1]
    line = cosignature_v1_line(WITNESS, KEY.name, text, 1_700_000_000)
    payload = base64.b64decode(line.split()[2])
    assert payload[:4] == KEY.key_id and int.from_bytes(payload[4:12], "big") == 1_700_000_000
    cosigned = add_signatures(note, [line])
    assert verify_cosignature_v1(cosigned, KEY) == 1_700_000_000


def test_tampered_or_missing_line_fails(note: str) -> None:
    text = note[: note.rindex("\n\n") + 1]
    line = cosignature_v1_line(WITNESS, KEY.name, text, 1_700_000_000)
    with pytest.raises(InvalidCosignature, match="no cosignature/v1 line"):
        verify_cosignature_v1(note, KEY)
    payload = bytearray(base64.b64decode(line.split()[2]))
    payload[11] ^= 1  # another timestamp than the one signed
    tampered = f"— {KEY.name} {base64.b64encode(bytes(payload)).decode()}\n"
    with pytest.raises(InvalidCosignature, match="does not verify"):
        verify_cosignature_v1(add_signatures(note, [tampered]), KEY)
    other = CosignerKey(KEY.name, bytes(nacl.signing.SigningKey(b"\x06" * 32).verify_key))
    with pytest.raises(InvalidCosignature, match="no cosignature/v1 line"):
        verify_cosignature_v1(add_signatures(note, [line]), other)


def _generated_keys(count: int) -> list[CosignerKey]:
    seeds = (hashlib.sha256(b"urna witness vkey %d" % i).digest() for i in range(count))
    return [
        CosignerKey(f"witness{i}.example/w", bytes(nacl.signing.SigningKey(seed).verify_key))
        for i, seed in enumerate(seeds)
    ]


def test_every_generated_vkey_parses_including_those_whose_base64_has_a_plus(note: str) -> None:
    """Standard base64 holds '+': about half of all keys (99 of these 200) did not parse."""
    keys = _generated_keys(200)
    with_plus = [key for key in keys if "+" in key.vkey().split("+", 2)[2]]
    assert len(with_plus) == 99
    for key in keys:
        assert CosignerKey.from_vkey(key.vkey()) == key
    # and a cosignature by such a key verifies through the parsed key
    seed = hashlib.sha256(b"urna witness vkey %d" % keys.index(with_plus[0])).digest()
    line = cosignature_v1_line(nacl.signing.SigningKey(seed), with_plus[0].name, _text(note), 7)
    parsed = CosignerKey.from_vkey(with_plus[0].vkey())
    assert verify_cosignature_v1(add_signatures(note, [line]), parsed) == 7


@pytest.mark.parametrize(
    "vkey",
    [
        "witness.example/w1+{id}",  # two parts
        "witness+example/w1+{id}+{b64}",  # a name with '+' shifts the parts
        "witness.example/w1+{id}+{b64}+",  # trailing '+' is not base64
        "witness.example/w1+{id}+{b64}AAAA",  # 37 bytes of material
    ],
)
def test_malformed_vkeys_are_still_refused(vkey: str) -> None:
    b64 = KEY.vkey().split("+", 2)[2]
    with pytest.raises(InvalidEncoding):
        CosignerKey.from_vkey(vkey.format(id=KEY.key_id.hex(), b64=b64))


def _text(note: str) -> str:
    return note[: note.index("\n\n") + 1]


def test_find_cosignature_v1_tells_absent_from_invalid(note: str) -> None:
    from crypto.witness.cosignature import find_cosignature_v1

    key = nacl.signing.SigningKey(b"\x05" * 32)
    cosigner = CosignerKey("w.example/a", bytes(key.verify_key))
    assert find_cosignature_v1(note, cosigner) is None
    signed = add_signatures(note, [cosignature_v1_line(key, cosigner.name, _text(note), 42)])
    assert find_cosignature_v1(signed, cosigner) == 42
    other = sign_checkpoint(
        Checkpoint("urna.test/log", 3, b"\x07" * 32), NoteSigner("urna.test/log", b"\x01" * 32)
    )
    line = cosignature_v1_line(key, cosigner.name, _text(other), 42)
    with pytest.raises(InvalidCosignature):
        find_cosignature_v1(add_signatures(note, [line]), cosigner)


def _text(note: str) -> str:
    from crypto.note import parse_note

    return parse_note(note).text


def test_a_pinned_roster_file_mixes_bls_and_c2sp_witnesses() -> None:
    from crypto.witness import WitnessSecretKey
    from crypto.witness import parse_pinned_roster
    from crypto.witness import witness_verifier_key

    bls = witness_verifier_key(
        "bern.ch/w", WitnessSecretKey.from_bytes(b"\x00" * 31 + b"\x07").public_key()
    )
    c2sp = CosignerKey("witness.example/w1", b"\x09" * 32).vkey()
    pinned = parse_pinned_roster(f"# trusted\n{bls}\n\n{c2sp}\n")
    assert [m.name for m in pinned.bls] == ["bern.ch/w"]
    assert [c.name for c in pinned.cosigners] == ["witness.example/w1"] and len(pinned) == 2
    with pytest.raises(InvalidEncoding, match=r"line 2: .*listed twice"):
        parse_pinned_roster(f"{c2sp}\n{c2sp}\n")
    with pytest.raises(InvalidEncoding, match="line 1"):
        parse_pinned_roster(c2sp[:-6] + "!!!!=\n")
    with pytest.raises(InvalidEncoding, match="no witness"):
        parse_pinned_roster("# nobody\n")
